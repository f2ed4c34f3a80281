/* The actor's side of the control channel (corral.h). It encodes and decodes netlink
 * attributes itself rather than with libmnl: Debian ships libmnl without a static archive,
 * and the test actor (like any program that wants to be static) links this statically. The
 * supervisor's side (spawner/ctl.c) validates with libmnl's policy tables. */
#include "../corral.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))

struct corral_ctl {
        int fd;
        uint32_t seq;
        char rx[CORRAL_MSG_MAX];
        char tx[CORRAL_MSG_MAX];
};

/* ---- encoding ---- */

struct enc {
        char *buf;
        size_t len, cap;
        bool overflow;
};

static void *enc_put(struct enc *e, uint16_t type, const void *data, size_t n)
{
        struct nlattr *a = (struct nlattr *)(e->buf + e->len);
        size_t total = NLA_HDRLEN + NLA_ALIGN(n);

        if (e->overflow || n > UINT16_MAX - NLA_HDRLEN || e->len + total > e->cap) {
                e->overflow = true;
                return NULL;
        }
        a->nla_len = (uint16_t)(NLA_HDRLEN + n);
        a->nla_type = type;
        if (n)
                memcpy((char *)a + NLA_HDRLEN, data, n);
        memset((char *)a + NLA_HDRLEN + n, 0, NLA_ALIGN(n) - n);
        e->len += total;
        return a;
}

static void enc_u32(struct enc *e, uint16_t type, uint32_t v)
{
        enc_put(e, type, &v, sizeof v);
}

static void enc_str(struct enc *e, uint16_t type, const char *s)
{
        if (s)
                enc_put(e, type, s, strlen(s) + 1);
}

/* A nested list of strings; NULL list: absent. */
static void enc_list(struct enc *e, uint16_t type, const char *const *v, int n)
{
        size_t start = e->len;
        struct nlattr *nest;

        if (!v)
                return;
        nest = enc_put(e, type | NLA_F_NESTED, NULL, 0);
        if (!nest)
                return;
        for (int i = 0; n < 0 ? v[i] != NULL : i < n; i++)
                enc_str(e, CORRAL_A_STRING, v[i]);
        if (e->len - start > UINT16_MAX)
                e->overflow = true; /* an attribute holds at most 64 KiB */
        if (!e->overflow)
                ((struct nlattr *)(e->buf + start))->nla_len = (uint16_t)(e->len - start);
}

static void enc_begin(struct corral_ctl *c, struct enc *e, uint16_t type, uint32_t *seq)
{
        struct nlmsghdr *h = (struct nlmsghdr *)c->tx;

        memset(h, 0, sizeof *h);
        h->nlmsg_type = type;
        if (++c->seq == 0)
                c->seq = 1;
        h->nlmsg_seq = c->seq;
        if (seq)
                *seq = c->seq;
        e->buf = c->tx;
        e->len = NLMSG_HDRLEN;
        e->cap = sizeof c->tx;
        e->overflow = false;
}

static int enc_send(struct corral_ctl *c, struct enc *e, const int *fds, int nfds)
{
        struct nlmsghdr *h = (struct nlmsghdr *)c->tx;
        struct iovec iov = {.iov_base = c->tx, .iov_len = e->len};
        union {
                char buf[CMSG_SPACE(sizeof(int) * CORRAL_FDS_MAX)];
                struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

        if (e->overflow || nfds > CORRAL_FDS_MAX || nfds < 0) {
                errno = E2BIG;
                return -1;
        }
        h->nlmsg_len = (uint32_t)e->len;
        if (nfds > 0) {
                struct cmsghdr *cm;

                memset(&u, 0, sizeof u);
                msg.msg_control = u.buf;
                msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
                cm = CMSG_FIRSTHDR(&msg);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
        }
        for (;;) {
                ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);

                if (n == (ssize_t)e->len)
                        return 0;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n >= 0)
                        errno = EMSGSIZE;
                return -1;
        }
}

/* ---- decoding ---- */

/* The string of an attribute: NUL-terminated inside its payload, else NULL. */
static const char *attr_str(const struct nlattr *a)
{
        size_t n = a->nla_len - NLA_HDRLEN;
        const char *s = (const char *)a + NLA_HDRLEN;

        return n > 0 && memchr(s, '\0', n) == s + n - 1 ? s : NULL;
}

static int attr_u32(const struct nlattr *a, uint32_t *v)
{
        if (a->nla_len != NLA_HDRLEN + sizeof *v)
                return -1;
        memcpy(v, (const char *)a + NLA_HDRLEN, sizeof *v);
        return 0;
}

static int attr_u64(const struct nlattr *a, uint64_t *v)
{
        if (a->nla_len != NLA_HDRLEN + sizeof *v)
                return -1;
        memcpy(v, (const char *)a + NLA_HDRLEN, sizeof *v);
        return 0;
}

static int decode_attr(const struct nlattr *a, struct corral_msg *m)
{
        int t = a->nla_type & NLA_TYPE_MASK;
        const char **str = t == CORRAL_A_NAME     ? &m->name
                           : t == CORRAL_A_TREE   ? &m->tree
                           : t == CORRAL_A_STAGE  ? &m->stage
                           : t == CORRAL_A_TEXT   ? &m->text
                           : t == CORRAL_A_REASON ? &m->reason
                                                  : NULL;
        uint32_t *u32 = t == CORRAL_A_ACTOR_ID    ? &m->actor_id
                        : t == CORRAL_A_CHILD_ID  ? &m->child_id
                        : t == CORRAL_A_ERRNO     ? &m->errnum
                        : t == CORRAL_A_EXIT_CODE ? &m->exit_code
                        : t == CORRAL_A_SIGNAL    ? &m->signal
                                                  : NULL;

        if (str)
                return (*str = attr_str(a)) ? 0 : -1;
        if (u32)
                return attr_u32(a, u32);
        switch (t) {
        case CORRAL_A_DURATION_US:
                return attr_u64(a, &m->duration_us);
        case CORRAL_A_TIME_LEFT_US:
                return attr_u64(a, &m->time_left_us);
        case CORRAL_A_MEMORY:
                m->has_memory = true;
                return attr_u64(a, &m->memory);
        case CORRAL_A_PIDS:
                m->has_pids = true;
                return attr_u64(a, &m->pids);
        case CORRAL_A_CPU_US:
                m->has_cpu = true;
                return attr_u64(a, &m->cpu_us);
        default:
                return 0; /* an attribute of a newer supervisor: ignored */
        }
}

static int decode(const char *buf, size_t n, struct corral_msg *m)
{
        const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
        size_t off = NLMSG_HDRLEN;

        memset(m, 0, sizeof *m);
        if (n < NLMSG_HDRLEN || h->nlmsg_len != n)
                return -1;
        m->type = (enum corral_msg_type)h->nlmsg_type;
        m->seq = h->nlmsg_seq;
        while (off + NLA_HDRLEN <= n) {
                const struct nlattr *a = (const struct nlattr *)(buf + off);

                if (a->nla_len < NLA_HDRLEN || off + a->nla_len > n)
                        return -1;
                if (decode_attr(a, m) < 0)
                        return -1;
                off += NLA_ALIGN(a->nla_len);
        }
        return off >= n ? 0 : -1;
}

/* ---- the API ---- */

API int corral_open_fd(struct corral_ctl **out, int fd)
{
        struct corral_ctl *c;
        int type;
        socklen_t len = sizeof type;

        *out = NULL;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
                return -1;
        if (type != SOCK_SEQPACKET) {
                errno = ENOTSOCK;
                return -1;
        }
        c = calloc(1, sizeof *c);
        if (!c)
                return -1;
        c->fd = fd;
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        *out = c;
        return 0;
}

API int corral_open(struct corral_ctl **out)
{
        const char *v = getenv("CORRAL_CTL_FD");
        char *end;
        long fd;

        *out = NULL;
        if (!v) {
                errno = ENOENT;
                return -1;
        }
        errno = 0;
        fd = strtol(v, &end, 10);
        if (errno || end == v || *end || fd < 3 || fd > 1 << 20) {
                errno = EBADF;
                return -1;
        }
        if (corral_open_fd(out, (int)fd) < 0)
                return -1;
        unsetenv("CORRAL_CTL_FD");
        return 0;
}

API void corral_close(struct corral_ctl *c)
{
        if (!c)
                return;
        close(c->fd);
        free(c);
}

API int corral_fd(const struct corral_ctl *c)
{
        return c->fd;
}

API int corral_hello(struct corral_ctl *c)
{
        struct enc e;

        enc_begin(c, &e, CORRAL_MSG_HELLO, NULL);
        enc_u32(&e, CORRAL_A_VERSION, CORRAL_PROTOCOL_VERSION);
        enc_u32(&e, CORRAL_A_CAPS, 0);
        return enc_send(c, &e, NULL, 0);
}

API int corral_spawn(struct corral_ctl *c, const struct corral_spawn_req *r, uint32_t *req_id)
{
        struct enc e;

        if (!r->name || !r->argv || !r->argv[0] || r->nfds < 0 || r->nfds > CORRAL_FDS_MAX ||
            (r->nfds > 0 && (!r->fds || !r->fd_names))) {
                errno = EINVAL;
                return -1;
        }
        enc_begin(c, &e, CORRAL_MSG_SPAWN, req_id);
        enc_str(&e, CORRAL_A_NAME, r->name);
        enc_str(&e, CORRAL_A_PROFILE, r->profile);
        enc_list(&e, CORRAL_A_ARGV, r->argv, -1);
        enc_list(&e, CORRAL_A_ENV, r->env, -1);
        if (r->nfds > 0)
                enc_list(&e, CORRAL_A_FD_NAMES, r->fd_names, r->nfds);
        return enc_send(c, &e, r->fds, r->nfds);
}

API int corral_cancel_child(struct corral_ctl *c, uint32_t child, bool force)
{
        struct enc e;
        uint8_t f = force ? 1 : 0;

        enc_begin(c, &e, CORRAL_MSG_CANCEL_CHILD, NULL);
        enc_u32(&e, CORRAL_A_CHILD_ID, child);
        if (force)
                enc_put(&e, CORRAL_A_FORCE, &f, sizeof f);
        return enc_send(c, &e, NULL, 0);
}

API int corral_stat(struct corral_ctl *c, uint32_t child, uint32_t *req_id)
{
        struct enc e;

        enc_begin(c, &e, CORRAL_MSG_STAT, req_id);
        enc_u32(&e, CORRAL_A_CHILD_ID, child);
        return enc_send(c, &e, NULL, 0);
}

static int bare(struct corral_ctl *c, uint16_t type)
{
        struct enc e;

        enc_begin(c, &e, type, NULL);
        return enc_send(c, &e, NULL, 0);
}

API int corral_hold(struct corral_ctl *c)
{
        return bare(c, CORRAL_MSG_HOLD);
}

API int corral_release(struct corral_ctl *c)
{
        return bare(c, CORRAL_MSG_RELEASE);
}

API int corral_next(struct corral_ctl *c, struct corral_msg *m, int timeout_ms)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * 8)];
                struct cmsghdr align;
        } u;
        struct iovec iov = {.iov_base = c->rx, .iov_len = sizeof c->rx};
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        ssize_t n;
        int r;

        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r <= 0)
                return r;
        do
                n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN)
                return 0;
        if (n < 0)
                return -1;
        /* the supervisor sends no fds: any that came are closed */
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                        int *fds = (int *)CMSG_DATA(cm);
                        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        for (size_t i = 0; i < k; i++)
                                close(fds[i]);
                }
        }
        if (n == 0) {
                errno = EPIPE;
                return -1;
        }
        if ((msg.msg_flags & MSG_TRUNC) || decode(c->rx, (size_t)n, m) < 0) {
                errno = EBADMSG;
                return -1;
        }
        return 1;
}

API const char *corral_msg_name(uint32_t type)
{
        static const char *const names[] = {
            "HELLO",        "WELCOME", "SPAWN", "SPAWNED", "ERROR", "CHILD_READY", "CANCEL_CHILD",
            "CHILD_EXITED", "CANCEL",  "STAT",  "STATS",   "HOLD",  "RELEASE"};

        return type >= CORRAL_MSG_HELLO && type <= CORRAL_MSG_RELEASE ? names[type - 0x10] : NULL;
}
