/* sock_diag dumps (sockdiag.h): one NLM_F_DUMP request per family and protocol, answered in
 * multipart messages read with libmnl until NLMSG_DONE. */
#include "sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *sockdiag_state_name(int state)
{
        /* include/net/tcp_states.h; a unix socket's are TCP_ESTABLISHED, TCP_LISTEN, TCP_CLOSE */
        static const char *const names[] = {
            "?",          "ESTAB",     "SYN-SENT",     "SYN-RECV",   "FIN-WAIT-1",
            "FIN-WAIT-2", "TIME-WAIT", "UNCONN",       "CLOSE-WAIT", "LAST-ACK",
            "LISTEN",     "CLOSING",   "NEW-SYN-RECV",
        };

        return state > 0 && state < (int)(sizeof names / sizeof names[0]) ? names[state] : "?";
}

const char *sockdiag_proto_name(const struct sockdiag_sock *s)
{
        switch (s->proto) {
        case SD_TCP:
                return s->family == AF_INET6 ? "tcp6" : "tcp";
        case SD_UDP:
                return s->family == AF_INET6 ? "udp6" : "udp";
        case SD_UNIX:
                break;
        }
        return s->type == SOCK_DGRAM ? "u_dgr" : s->type == SOCK_SEQPACKET ? "u_seq" : "u_str";
}

const char *sockdiag_module(enum sockdiag_proto p)
{
        return p == SD_TCP ? "tcp_diag" : p == SD_UDP ? "udp_diag" : "unix_diag";
}

struct dump {
        struct sockdiag_sock *v;
        size_t n, cap;
        enum sockdiag_proto proto;
        int family;
        unsigned missing; /* 1 << proto: the kernel cannot list them (diag module absent) */
};

static struct sockdiag_sock *dump_add(struct dump *d)
{
        if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 64;
                struct sockdiag_sock *v = realloc(d->v, cap * sizeof *v);

                if (!v)
                        return NULL;
                d->v = v;
                d->cap = cap;
        }
        memset(&d->v[d->n], 0, sizeof d->v[0]);
        return &d->v[d->n++];
}

static void fmt_addr(char *out, size_t len, int family, const __be32 *addr, __be16 port)
{
        char a[INET6_ADDRSTRLEN] = "?";
        unsigned p = ntohs(port);
        bool any = family == AF_INET ? addr[0] == 0 : !(addr[0] | addr[1] | addr[2] | addr[3]);

        inet_ntop(family, addr, a, sizeof a);
        if (any && p == 0)
                snprintf(out, len, "*:*");
        else if (family == AF_INET6)
                snprintf(out, len, "[%s]:%u", any ? "*" : a, p);
        else
                snprintf(out, len, "%s:%u", any ? "*" : a, p);
}

static int inet_cb(const struct nlmsghdr *h, void *data)
{
        struct dump *d = data;
        const struct inet_diag_msg *m = mnl_nlmsg_get_payload(h);
        struct sockdiag_sock *s;

        if (mnl_nlmsg_get_payload_len(h) < sizeof *m)
                return MNL_CB_ERROR;
        s = dump_add(d);
        if (!s)
                return MNL_CB_ERROR;
        s->ino = m->idiag_inode;
        s->proto = d->proto;
        s->family = m->idiag_family;
        s->type = d->proto == SD_TCP ? SOCK_STREAM : SOCK_DGRAM;
        s->state = m->idiag_state;
        fmt_addr(s->local, sizeof s->local, m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
        fmt_addr(s->remote, sizeof s->remote, m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
        return MNL_CB_OK;
}

static int unix_attr_cb(const struct nlattr *a, void *data)
{
        struct sockdiag_sock *s = data;

        switch (mnl_attr_get_type(a)) {
        case UNIX_DIAG_NAME: {
                /* sun_path as bound: not NUL-terminated; a leading NUL is the abstract space */
                const char *p = mnl_attr_get_payload(a);
                size_t l = mnl_attr_get_payload_len(a);

                if (l > 0 && p[0] == '\0')
                        snprintf(s->path, sizeof s->path, "@%.*s", (int)(l - 1), p + 1);
                else
                        snprintf(s->path, sizeof s->path, "%.*s", (int)l, p);
                break;
        }
        case UNIX_DIAG_PEER:
                if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
                        s->peer_ino = mnl_attr_get_u32(a);
                break;
        default:
                break;
        }
        return MNL_CB_OK;
}

static int unix_cb(const struct nlmsghdr *h, void *data)
{
        struct dump *d = data;
        const struct unix_diag_msg *m = mnl_nlmsg_get_payload(h);
        struct sockdiag_sock *s;

        if (mnl_nlmsg_get_payload_len(h) < sizeof *m)
                return MNL_CB_ERROR;
        s = dump_add(d);
        if (!s)
                return MNL_CB_ERROR;
        s->ino = m->udiag_ino;
        s->proto = SD_UNIX;
        s->family = AF_UNIX;
        s->type = m->udiag_type;
        s->state = m->udiag_state;
        mnl_attr_parse(h, sizeof *m, unix_attr_cb, s);
        return MNL_CB_OK;
}

/* One dump request on nl and its answers. A family the kernel lacks (its diag module not
 * loaded, no IPv6) answers ENOENT: nothing of it to list. */
static int dump_one(struct mnl_socket *nl, struct dump *d, struct cerr *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
        uint32_t seq = (uint32_t)time(NULL) + (uint32_t)d->n + (uint32_t)d->family;
        unsigned port = mnl_socket_get_portid(nl);
        ssize_t r;
        int rc;

        h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        h->nlmsg_seq = seq;
        if (d->proto == SD_UNIX) {
                struct unix_diag_req *q = mnl_nlmsg_put_extra_header(h, sizeof *q);

                q->sdiag_family = AF_UNIX;
                q->udiag_states = ~0u;
                q->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER;
        } else {
                struct inet_diag_req_v2 *q = mnl_nlmsg_put_extra_header(h, sizeof *q);

                q->sdiag_family = (uint8_t)d->family;
                q->sdiag_protocol = d->proto == SD_TCP ? IPPROTO_TCP : IPPROTO_UDP;
                q->idiag_states = ~0u;
        }
        if (mnl_socket_sendto(nl, h, h->nlmsg_len) < 0)
                return cerr_set(err, errno, CERR_READ, "sock_diag request");
        for (;;) {
                r = mnl_socket_recvfrom(nl, buf, sizeof buf);
                if (r < 0)
                        return cerr_set(err, errno, CERR_READ, "sock_diag answer");
                rc = mnl_cb_run(buf, (size_t)r, seq, port, d->proto == SD_UNIX ? unix_cb : inet_cb,
                                d);
                if (rc == MNL_CB_STOP)
                        return 0;
                if (rc < 0 && (errno == ENOENT || errno == EPROTONOSUPPORT || errno == EINVAL)) {
                        /* (IPv6 absent is a host without IPv6; IPv4 or Unix absent is a diag
                         * module not loaded: said, not hidden) */
                        if (d->family != AF_INET6)
                                d->missing |= 1u << d->proto;
                        return 0;
                }
                if (rc < 0)
                        return cerr_set(err, errno, CERR_READ, "sock_diag dump");
        }
}

/* A netlink socket made in netns_fd's namespace; we are back in our own when it returns. */
static struct mnl_socket *open_in(int netns_fd, struct cerr *err)
{
        struct mnl_socket *nl;
        int self = -1, e;

        if (netns_fd >= 0) {
                self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                if (self < 0) {
                        cerr_set(err, errno, CERR_OPEN, "/proc/self/ns/net");
                        return NULL;
                }
                if (setns(netns_fd, CLONE_NEWNET) < 0) {
                        cerr_set(err, errno, CERR_OPEN, "entering the network namespace");
                        close(self);
                        return NULL;
                }
        }
        nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
        e = errno;
        if (self >= 0) {
                if (setns(self, CLONE_NEWNET) < 0)
                        abort(); /* stranded in another namespace: nothing we do is right */
                close(self);
        }
        if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                cerr_set(err, nl ? errno : e, CERR_OPEN, "a NETLINK_SOCK_DIAG socket");
                if (nl)
                        mnl_socket_close(nl);
                return NULL;
        }
        return nl;
}

int sockdiag_dump(int netns_fd, struct sockdiag_sock **out, size_t *n, unsigned *missing,
                  struct cerr *err)
{
        static const struct {
                enum sockdiag_proto proto;
                int family;
        } what[] = {{SD_TCP, AF_INET},
                    {SD_TCP, AF_INET6},
                    {SD_UDP, AF_INET},
                    {SD_UDP, AF_INET6},
                    {SD_UNIX, AF_UNIX}};
        struct dump d = {0};
        struct mnl_socket *nl = open_in(netns_fd, err);

        *out = NULL;
        *n = 0;
        if (!nl)
                return -1;
        for (size_t i = 0; i < sizeof what / sizeof what[0]; i++) {
                d.proto = what[i].proto;
                d.family = what[i].family;
                if (dump_one(nl, &d, err) < 0) {
                        mnl_socket_close(nl);
                        free(d.v);
                        return -1;
                }
        }
        mnl_socket_close(nl);
        *out = d.v;
        *n = d.n;
        *missing |= d.missing;
        return 0;
}
