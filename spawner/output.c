#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void outstream_open(struct outstream *o, int fd)
{
        struct stat st;

        o->fd = fd;
        o->kind = OUT_DIRECT;
        o->dropped = 0;
        if (fd < 0 || fstat(fd, &st) < 0) {
                o->kind = OUT_CLOSED;
                return;
        }
        if (S_ISSOCK(st.st_mode)) {
                o->kind = OUT_SOCKET;
        } else if (S_ISFIFO(st.st_mode) || isatty(fd)) {
                char path[64];
                int nfd;

                snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
                nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (nfd >= 0) {
                        o->fd = nfd;
                        o->kind = OUT_REOPENED;
                } else if (errno == ENXIO) {
                        o->kind = OUT_CLOSED; /* a FIFO without a reader: nothing can be written */
                }
                /* otherwise (no /proc): direct writes, which may block on a full pipe */
        }
}

void outstream_close(struct outstream *o)
{
        if (o->kind == OUT_REOPENED && o->fd >= 0)
                close(o->fd);
        o->kind = OUT_CLOSED;
        o->fd = -1;
}

size_t outstream_write(struct outstream *o, const void *buf, size_t len)
{
        size_t done = 0;

        while (done < len && o->kind != OUT_CLOSED) {
                ssize_t w;

                if (o->kind == OUT_SOCKET)
                        w = send(o->fd, (const char *)buf + done, len - done,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                else
                        w = write(o->fd, (const char *)buf + done, len - done);
                if (w > 0) {
                        done += (size_t)w;
                        continue;
                }
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EPIPE)
                        o->kind = OUT_CLOSED;
                break; /* EAGAIN or an error: drop the rest */
        }
        o->dropped += len - done;
        return done;
}

void drain_init(struct drain *d, int fd, struct outstream *dst, const char *prefix)
{
        d->fd = fd;
        d->dst = dst;
        snprintf(d->prefix, sizeof d->prefix, "%s", prefix);
        d->len = 0;
        d->bytes = d->dropped = 0;
}

struct chunk {
        char buf[DRAIN_CHUNK];
        size_t len;
        size_t src; /* bytes of actor output in buf (the rest are prefixes and newlines) */
};

static void chunk_flush(struct drain *d, struct chunk *c)
{
        size_t w;

        if (!c->len)
                return;
        w = outstream_write(d->dst, c->buf, c->len);
        /* count the actor's bytes that were lost, not our prefixes */
        d->dropped += w == c->len ? 0 : (uint64_t)c->src * (c->len - w) / c->len;
        c->len = c->src = 0;
}

static void emit_line(struct drain *d, struct chunk *c, const char *s, size_t n)
{
        size_t pl = strlen(d->prefix);

        if (c->len + pl + n + 1 > sizeof c->buf)
                chunk_flush(d, c);
        memcpy(c->buf + c->len, d->prefix, pl);
        memcpy(c->buf + c->len + pl, s, n);
        c->buf[c->len + pl + n] = '\n';
        c->len += pl + n + 1;
        c->src += n;
}

int drain_read(struct drain *d, size_t budget)
{
        static char in[DRAIN_CHUNK];
        static struct chunk out;
        size_t taken = 0;
        int rc = 1;

        if (d->fd < 0)
                return 0;
        out.len = out.src = 0;
        while (taken < budget) {
                ssize_t r = read(d->fd, in, sizeof in);
                const char *p = in, *end;

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        break; /* EAGAIN: drained for now */
                if (r == 0) {
                        rc = 0;
                        break;
                }
                d->bytes += (uint64_t)r;
                taken += (size_t)r;
                end = in + r;
                while (p < end) {
                        const char *nl = memchr(p, '\n', (size_t)(end - p));
                        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

                        if (d->len == 0 && nl && n <= DRAIN_LINE_MAX) {
                                emit_line(d, &out, p,
                                          n); /* the common case: no copy to the line buffer */
                        } else {
                                size_t room = sizeof d->line - d->len;
                                size_t k = n < room ? n : room;

                                memcpy(d->line + d->len, p, k);
                                d->len += k;
                                /* a line longer than the buffer is cut: the cut-off part is dropped
                                 */
                                d->dropped += n - k;
                                if (nl) {
                                        emit_line(d, &out, d->line, d->len);
                                        d->len = 0;
                                }
                        }
                        p += n + (nl ? 1 : 0);
                }
        }
        if (rc == 0 && d->len) {
                emit_line(d, &out, d->line, d->len);
                d->len = 0;
        }
        chunk_flush(d, &out);
        if (rc == 0)
                drain_close(d);
        return rc;
}

void drain_close(struct drain *d)
{
        if (d->fd >= 0)
                close(d->fd);
        d->fd = -1;
}
