#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void outstream_open(struct outstream *o, int fd)
{
        struct stat st;

        o->fd = fd;
        o->kind = OUT_DIRECT;
        o->gone = false;
        o->failed = 0;
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
                        o->gone = true;
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
                if (w < 0 && errno == EPIPE) {
                        o->kind = OUT_CLOSED;
                        o->gone = true;
                } else if (w < 0 && errno != EAGAIN) {
                        o->failed = errno;
                        o->kind = OUT_CLOSED;
                }
                break; /* EAGAIN or an error: the rest is the caller's */
        }
        return done;
}

int outstream_pollable_fd(const struct outstream *o)
{
        return o->kind == OUT_REOPENED || o->kind == OUT_SOCKET ? o->fd : -1;
}

void outq_open(struct outq *q, int fd)
{
        outstream_open(&q->s, fd);
        q->discarded = 0;
        q->buf = NULL;
        q->off = q->len = q->cap = 0;
}

void outq_close(struct outq *q)
{
        outstream_close(&q->s);
        free(q->buf);
        q->buf = NULL;
        q->off = q->len = q->cap = 0;
}

size_t outq_pending(const struct outq *q)
{
        return q->len - q->off;
}

static bool outq_reserve(struct outq *q, size_t more)
{
        size_t need = outq_pending(q) + more;

        if (q->off && q->len + more > q->cap) {
                memmove(q->buf, q->buf + q->off, outq_pending(q));
                q->len -= q->off;
                q->off = 0;
        }
        if (q->len + more > q->cap) {
                size_t cap = q->cap ? q->cap : 4096;
                char *nb;

                while (cap < need)
                        cap *= 2;
                nb = realloc(q->buf, cap);
                if (!nb)
                        return false;
                q->buf = nb;
                q->cap = cap;
        }
        return true;
}

size_t outq_push(struct outq *q, const void *buf, size_t len, size_t limit, bool whole)
{
        size_t direct = 0, take;

        if (q->s.kind == OUT_CLOSED && q->s.failed)
                return 0;
        if (q->s.kind == OUT_CLOSED)
                return len; /* no stream, or its reader is gone: taken, and discarded */
        if (!outq_pending(q))
                direct = outstream_write(&q->s, buf, len);
        if (direct == len || q->s.kind == OUT_CLOSED)
                return direct;
        take = len - direct;
        /* (a record the stream took in part is finished whatever the limit: half a line
         * would be worse than a little more) */
        if (outq_pending(q) + take > limit && !(whole && direct)) {
                if (whole)
                        return 0;
                take = limit > outq_pending(q) ? limit - outq_pending(q) : 0;
        }
        if (!take || !outq_reserve(q, take))
                return direct;
        memcpy(q->buf + q->len, (const char *)buf + direct, take);
        q->len += take;
        return direct + take;
}

size_t outq_flush(struct outq *q)
{
        if (outq_pending(q)) {
                q->off += outstream_write(&q->s, q->buf + q->off, outq_pending(q));
                if (q->s.kind == OUT_CLOSED) {
                        /* the reader is gone, or writing failed: what waited is lost */
                        q->discarded += outq_pending(q);
                        q->off = q->len;
                }
                if (q->off == q->len)
                        q->off = q->len = 0;
        }
        return outq_pending(q);
}

void drain_init(struct drain *d, int fd, struct outq *dst, size_t limit, const char *name)
{
        d->fd = fd;
        d->dst = dst;
        d->limit = limit;
        snprintf(d->name, sizeof d->name, "[%s]", name);
        d->len = 0;
        d->cont = false;
        d->bytes = d->dropped = 0;
}

bool drain_blocked(const struct drain *d)
{
        return outq_pending(d->dst) >= d->limit;
}

struct chunk {
        char buf[DRAIN_CHUNK];
        size_t len;
        size_t src; /* bytes of actor output in buf (the rest are prefixes and newlines) */
};

static void chunk_flush(struct drain *d, struct chunk *c, enum drain_mode mode)
{
        size_t w;

        if (!c->len)
                return;
        w = outq_push(d->dst, c->buf, c->len, mode == DRAIN_DROP ? d->limit : SIZE_MAX, false);
        /* count the actor's bytes that were lost, not our prefixes */
        d->dropped += w == c->len ? 0 : (uint64_t)c->src * (c->len - w) / c->len;
        c->len = c->src = 0;
}

static const char no_newline[] = "no newline at end of output";

/* One record: "[name]" + mark + text + "\n" (mark " ", "+ " or "\\ "). */
static void emit(struct drain *d, struct chunk *c, enum drain_mode mode, const char *mark,
                 const char *s, size_t n, size_t src)
{
        size_t nl = strlen(d->name), ml = strlen(mark);

        if (c->len + nl + ml + n + 1 > sizeof c->buf)
                chunk_flush(d, c, mode);
        memcpy(c->buf + c->len, d->name, nl);
        memcpy(c->buf + c->len + nl, mark, ml);
        memcpy(c->buf + c->len + nl + ml, s, n);
        c->buf[c->len + nl + ml + n] = '\n';
        c->len += nl + ml + n + 1;
        c->src += src;
}

/* A record of n bytes of the current line; `more`: the line goes on past it; `nl`: its
 * newline was the program's. */
static void emit_record(struct drain *d, struct chunk *c, enum drain_mode mode, const char *s,
                        size_t n, bool more, bool nl)
{
        emit(d, c, mode, d->cont ? "+ " : " ", s, n, n + (nl ? 1 : 0));
        d->cont = more;
}

static void split(struct drain *d, struct chunk *c, enum drain_mode mode, const char *p,
                  const char *end)
{
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                size_t k;

                if (d->len == 0 && nl && n <= DRAIN_RECORD_MAX) {
                        emit_record(d, c, mode, p, n, false, true); /* the common case: no copy */
                        p += n + 1;
                        continue;
                }
                k = n < DRAIN_RECORD_MAX - d->len ? n : DRAIN_RECORD_MAX - d->len;
                memcpy(d->line + d->len, p, k);
                d->len += k;
                p += k;
                if (k == n && nl) { /* the line ends here */
                        emit_record(d, c, mode, d->line, d->len, false, true);
                        d->len = 0;
                        p++;
                } else if (k < n) { /* a full record, and the line goes on */
                        emit_record(d, c, mode, d->line, d->len, true, false);
                        d->len = 0;
                }
                /* else: the input ended inside the line; it waits for more */
        }
}

/* How much to read now: under DRAIN_WAIT, little enough that even a read of empty lines
 * (each a whole record) keeps the queue near its limit. */
static size_t read_size(const struct drain *d, enum drain_mode mode)
{
        size_t room, n;

        if (mode != DRAIN_WAIT)
                return DRAIN_CHUNK;
        room = d->limit > outq_pending(d->dst) ? d->limit - outq_pending(d->dst) : 0;
        n = room / (strlen(d->name) + 3);
        return n < 256 ? 256 : n > DRAIN_CHUNK ? DRAIN_CHUNK : n;
}

int drain_read(struct drain *d, size_t budget, enum drain_mode mode)
{
        static char in[DRAIN_CHUNK];
        static struct chunk out;
        size_t taken = 0;
        int rc = 1;

        if (d->fd < 0)
                return 0;
        out.len = out.src = 0;
        while (taken < budget && !(mode == DRAIN_WAIT && drain_blocked(d))) {
                ssize_t r = read(d->fd, in, read_size(d, mode));

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
                split(d, &out, mode, in, in + r);
                if (mode == DRAIN_WAIT)
                        chunk_flush(d, &out, mode); /* so that drain_blocked sees it */
        }
        if (rc == 0) {
                bool unterminated = d->len || d->cont;

                if (d->len)
                        emit_record(d, &out, mode, d->line, d->len, false, false);
                if (unterminated)
                        emit(d, &out, mode, "\\ ", no_newline, sizeof no_newline - 1, 0);
                d->len = 0;
                d->cont = false;
        }
        chunk_flush(d, &out, mode);
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
