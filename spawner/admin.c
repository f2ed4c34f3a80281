/* The supervisor's end of the admin socket (admin.h, PROTOCOL.md "The admin socket").
 *
 * Who may connect: the socket file is 0600 (only its owner, the supervisor's uid, and root get
 * past connect()), and each accepted peer is checked again: SO_PEERCRED must say root or our
 * own uid, and the peer's v2 cgroup must lie outside every corral tree (no tagged directory at
 * or above it; read by pid, the pid pinned by SO_PEERPIDFD where the kernel has it). A refused peer
 * gets one ERROR (EPERM) saying why, then the connection closes.
 *
 * The supervisor never blocks on a client: connections are non-blocking, an answer the client's
 * socket cannot take closes that connection, and at most ADM_CONN_MAX are open at once. A
 * malformed request is an ERROR and a strike; ADM_STRIKES_MAX strikes close the connection. */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../ns/syscalls.h"
#include "../ns/timeutil.h"
#include "admin.h"
#include "sup.h"

struct admin_conn {
        int fd;
        struct watch w;
        int strikes;
        /* a CANCEL it follows: its subtree's stages and ends go to it, then DONE */
        bool following;
        uint32_t target; /* 0: the whole tree */
        uint32_t seq;
        enum cstage first, furthest; /* of the target's own cascade */
        bool stuck;
        struct admin_conn *next;
};

static void conn_close(struct corral_sup *s, struct admin_conn *c)
{
        for (struct admin_conn **pp = &s->admins; *pp; pp = &(*pp)->next) {
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        }
        sup_unwatch(s, c->fd);
        /* what the peer sent and we did not read is dropped first: closing a unix socket
         * with unread data makes the peer's next recv fail (ECONNRESET) before it reads the
         * answer we queued for it (the ERROR that says why it was refused) */
        for (int i = 0; i < 64; i++) {
                char drop[64];

                if (recv(c->fd, drop, sizeof drop, MSG_DONTWAIT | MSG_TRUNC) <= 0)
                        break;
        }
        close(c->fd);
        s->nadmins--;
        free(c);
}

static struct nlmsghdr *msg(char *buf, uint16_t type, uint32_t seq)
{
        struct nlmsghdr *h;

        memset(buf, 0, ADM_MSG_MAX);
        h = mnl_nlmsg_put_header(buf);
        h->nlmsg_type = type;
        h->nlmsg_seq = seq;
        return h;
}

/* False when the peer cannot take it (it does not read): the connection is closed then. */
static bool conn_send(struct corral_sup *s, struct admin_conn *c, const struct nlmsghdr *h)
{
        if (send(c->fd, h, h->nlmsg_len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)h->nlmsg_len)
                return true;
        conn_close(s, c);
        return false;
}

static bool send_error(struct corral_sup *s, struct admin_conn *c, uint32_t seq, int errnum,
                       const char *text)
{
        char buf[ADM_MSG_MAX];
        struct nlmsghdr *h = msg(buf, ADM_MSG_ERROR, seq);

        mnl_attr_put_strz(h, CORRAL_A_STAGE, "admin");
        mnl_attr_put_u32(h, CORRAL_A_ERRNO, (uint32_t)errnum);
        mnl_attr_put_strz(h, CORRAL_A_TEXT, text);
        return conn_send(s, c, h);
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; glibc 2.36's headers lack it */
#endif

/* The peer's v2 cgroup (from /proc/PID/cgroup, "0::PATH"), into out; -1 when unknown. */
static int peer_cgroup(pid_t pid, char *out, size_t len)
{
        char path[64], line[PATH_MAX + 16];
        FILE *f;
        int rc = -1;

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f)) {
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(out, len, "%s", line + 3);
                        rc = 0;
                        break;
                }
        }
        fclose(f);
        return rc;
}

/* NULL when the peer may talk to us, else why not. */
static const char *peer_refused(const struct corral_sup *s, int fd)
{
        struct ucred cr;
        socklen_t l = sizeof cr, pl = sizeof(int);
        char cg[PATH_MAX];
        const char *why = NULL;
        int pidfd = -1;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0)
                return "its credentials cannot be read";
        if (cr.uid != 0 && cr.uid != getuid())
                return "only root and the tree's owner may use this socket";
        /* (the pid is the connecting process's, as our PID namespace sees it; one outside it
         * reads 0: refused, as is one whose cgroup cannot be read) */
        if (cr.pid <= 0)
                return "its cgroup cannot be read";
        /* the peer as a pidfd (Linux 6.5): checked alive after its cgroup was read, so the
         * cgroup read was the connecting process's and not one that got its pid after it
         * exited (having handed the connection to another process of its tree). ENOPROTOOPT:
         * an older kernel, the pid alone; any other failure: the peer is gone. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &pl) < 0) {
                if (errno != ENOPROTOOPT)
                        return "it exited before it could be checked";
                pidfd = -1;
        }
        if (peer_cgroup(cr.pid, cg, sizeof cg) < 0)
                why = "its cgroup cannot be read";
        /* (EPERM: alive, and root's: a rootless supervisor may not signal it) */
        else if (pidfd >= 0 && sys_pidfd_send_signal(pidfd, 0, NULL, 0) < 0 && errno == ESRCH)
                why = "it exited before it could be checked";
        else if (!s->host.has_v2 || admin_cgroup_in_tree(s->host.v2.mount, cg))
                why = "it runs inside a corral tree";
        if (pidfd >= 0)
                close(pidfd);
        return why;
}

static void tap(struct corral_sup *s, const struct corral_event *e);

int admin_open(struct corral_sup *s, struct cerr *err)
{
        const char *dir = s->opt.registry_dir ? s->opt.registry_dir : registry_default_dir();
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        mode_t old;
        int rc;

        if (admin_socket_path(sa.sun_path, sizeof sa.sun_path, dir, s->tree) < 0)
                return cerr_set(err, ENAMETOOLONG, CERR_SETUP, "the admin socket's path");
        s->admin_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->admin_fd < 0)
                return cerr_set(err, errno, CERR_SETUP, "the admin socket");
        /* we hold the name's registry lock: a socket file there is a dead supervisor's */
        unlink(sa.sun_path);
        old = umask(0177); /* 0600 from the start: no moment where others could connect */
        rc = bind(s->admin_fd, (struct sockaddr *)&sa, sizeof sa);
        umask(old);
        if (rc < 0 || chmod(sa.sun_path, 0600) < 0 || listen(s->admin_fd, 8) < 0)
                return cerr_set(err, errno, CERR_SETUP, "listening on %s", sa.sun_path);
        free(s->admin_path);
        s->admin_path = strdup(sa.sun_path);
        if (!s->admin_path) {
                unlink(sa.sun_path);
                return cerr_set(err, ENOMEM, CERR_ALLOC, "the admin socket's path");
        }
        if (sup_watch(s, s->admin_fd, EPOLLIN, &s->w_admin, W_ADMIN, NULL) < 0)
                return cerr_set(err, errno, CERR_EPOLL, "watching the admin socket");
        s->admin_tap = tap;
        return 0;
}

void admin_on_listen(struct corral_sup *s)
{
        for (int i = 0; i < 8; i++) {
                int fd = accept4(s->admin_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                struct admin_conn *c;
                const char *why;

                if (fd < 0)
                        return;
                c = calloc(1, sizeof *c);
                if (!c) {
                        close(fd);
                        return;
                }
                c->fd = fd;
                c->next = s->admins;
                s->admins = c;
                s->nadmins++;
                why = peer_refused(s, fd);
                if (!why && s->nadmins > ADM_CONN_MAX)
                        why = "too many admin connections";
                if (!why && sup_watch(s, fd, EPOLLIN, &c->w, W_ADMIN_CONN, c) == 0)
                        continue;
                /* refused: told why when it can take it (send_error closes it otherwise) */
                if (!why || send_error(s, c, 0, EPERM, why))
                        conn_close(s, c);
        }
}

static const char *state_name(const struct corral_sup *s, const struct actor *a)
{
        switch (a->state) {
        case AS_STARTING:
                return "starting";
        case AS_RUNNING:
                if (teardown_stage_of(s, a) != CS_IDLE)
                        return "cancelling";
                return s->frozen_since_us ? "frozen" : "running";
        case AS_CANCELLING:
                return "cancelling";
        case AS_EXITED:
                return "exited";
        case AS_SPAWN_FAILED:
                return "spawn-failed";
        }
        return "unknown";
}

static bool send_actor(struct corral_sup *s, struct admin_conn *c, uint32_t seq,
                       const struct actor *a)
{
        char buf[ADM_MSG_MAX];
        struct nlmsghdr *h = msg(buf, ADM_MSG_ACTOR, seq);
        struct actor_stats st;
        const char *state = a->ended ? "exited" : state_name(s, a);

        mnl_attr_put_u32(h, CORRAL_A_ACTOR_ID, a->id);
        mnl_attr_put_u32(h, ADM_A_PARENT_ID, a->parent ? a->parent->id : 0);
        mnl_attr_put_strz(h, CORRAL_A_NAME, a->name);
        mnl_attr_put_strz(h, CORRAL_A_PROFILE, a->prof->p.name);
        mnl_attr_put_strz(h, ADM_A_STATE, state);
        mnl_attr_put_strz(h, CORRAL_A_STAGE, cstage_name(teardown_stage_of(s, a)));
        mnl_attr_put_u32(h, ADM_A_PID, a->pid > 0 && !a->dead ? (uint32_t)a->pid : 0);
        if (a->node && !a->node_removed)
                mnl_attr_put_strz(h, ADM_A_NODE, a->node);
        if (a->t_started && !a->ended)
                mnl_attr_put_u64(h, ADM_A_UPTIME_US, (uint64_t)(mono_us() - a->t_started));
        mnl_attr_put_u8(h, ADM_A_HOLDS, a->holds);
        if (a->ended)
                mnl_attr_put_strz(h, CORRAL_A_TEXT, a->reason);
        actor_read_stats(s, a, &st);
        if (st.has_memory)
                mnl_attr_put_u64(h, CORRAL_A_MEMORY, st.memory);
        if (st.has_pids)
                mnl_attr_put_u64(h, CORRAL_A_PIDS, st.pids);
        if (st.has_cpu)
                mnl_attr_put_u64(h, CORRAL_A_CPU_US, st.cpu_us);
        return conn_send(s, c, h);
}

static void do_list(struct corral_sup *s, struct admin_conn *c, uint32_t seq)
{
        char buf[ADM_MSG_MAX];
        struct nlmsghdr *h = msg(buf, ADM_MSG_TREE, seq);
        uint32_t n = 0;

        for (uint32_t i = 1; i <= s->nactors; i++)
                n += s->by_id[i] != NULL;
        mnl_attr_put_strz(h, CORRAL_A_TREE, s->tree);
        mnl_attr_put_u32(h, ADM_A_PID, (uint32_t)getpid());
        mnl_attr_put_strz(h, ADM_A_NODE, s->tree_node.path);
        mnl_attr_put_u64(h, ADM_A_UPTIME_US, (uint64_t)(mono_us() - s->t0_us));
        mnl_attr_put_u32(h, ADM_A_NACTORS, n);
        mnl_attr_put_u8(h, ADM_A_FROZEN, s->frozen_since_us != 0);
        mnl_attr_put_strz(h, CORRAL_A_STAGE,
                          cstage_name(s->tree_casc ? s->tree_casc->c.stage : CS_IDLE));
        if (!conn_send(s, c, h))
                return;
        for (uint32_t i = 1; i <= s->nactors; i++) {
                if (s->by_id[i] && !send_actor(s, c, seq, s->by_id[i]))
                        return;
        }
        conn_send(s, c, msg(buf, ADM_MSG_DONE, seq));
}

/* Is a (NULL: the tree) inside the subtree of id (0: the tree)? */
static bool within(const struct corral_sup *s, uint32_t id, const struct actor *a)
{
        if (id == 0)
                return true;
        for (; a; a = a->parent) {
                if (a->id == id)
                        return true;
        }
        (void)s;
        return false;
}

static void send_done(struct corral_sup *s, struct admin_conn *c)
{
        char buf[ADM_MSG_MAX];
        struct nlmsghdr *h = msg(buf, ADM_MSG_DONE, c->seq);

        c->following = false;
        mnl_attr_put_strz(h, CORRAL_A_STAGE, cstage_name(c->stuck ? CS_STUCK : c->furthest));
        mnl_attr_put_strz(h, CORRAL_A_REASON,
                          c->stuck                 ? "stuck"
                          : c->furthest > c->first ? "escalated"
                          : c->furthest == CS_IDLE ? "ended"
                                                   : "graceful");
        conn_send(s, c, h);
}

/* The events of a followed cancel, as they happen. */
static void tap(struct corral_sup *s, const struct corral_event *e)
{
        struct admin_conn *next;

        for (struct admin_conn *c = s->admins; c; c = next) {
                char buf[ADM_MSG_MAX];
                struct nlmsghdr *h;
                const struct actor *a = e->actor_id ? actor_get(s, e->actor_id) : NULL;

                next = c->next;
                if (!c->following || (e->actor_id && !a) || !within(s, c->target, a))
                        continue;
                if (e->type == CORRAL_EV_CASCADE) {
                        if (e->actor_id == c->target) {
                                if (c->first == CS_IDLE)
                                        c->first = e->u.cascade.stage;
                                if (e->u.cascade.stage > c->furthest)
                                        c->furthest = e->u.cascade.stage;
                        }
                        h = msg(buf, ADM_MSG_STAGE, c->seq);
                        mnl_attr_put_u32(h, CORRAL_A_ACTOR_ID, e->actor_id);
                        if (e->actor)
                                mnl_attr_put_strz(h, CORRAL_A_NAME, e->actor);
                        mnl_attr_put_strz(h, CORRAL_A_STAGE, cstage_name(e->u.cascade.stage));
                        if (e->u.cascade.why)
                                mnl_attr_put_strz(h, CORRAL_A_TEXT, e->u.cascade.why);
                        conn_send(s, c, h);
                } else if (e->type == CORRAL_EV_EXITED && a) {
                        h = msg(buf, ADM_MSG_ENDED, c->seq);
                        mnl_attr_put_u32(h, CORRAL_A_ACTOR_ID, e->actor_id);
                        mnl_attr_put_strz(h, CORRAL_A_NAME, e->actor);
                        mnl_attr_put_strz(h, CORRAL_A_TEXT, e->u.exited.reason);
                        mnl_attr_put_u32(h, CORRAL_A_EXIT_CODE, (uint32_t)e->u.exited.exit_code);
                        mnl_attr_put_strz(h, CORRAL_A_STAGE, cstage_name(a->ended_in));
                        conn_send(s, c, h);
                } else if (e->type == CORRAL_EV_STUCK) {
                        c->stuck = true;
                        send_done(s, c);
                }
        }
}

static bool target_gone(const struct corral_sup *s, const struct admin_conn *c)
{
        const struct actor *a;

        if (s->done || c->target == 0)
                return s->done;
        a = actor_get(s, c->target);
        return !a || (a->ended && a->node_removed);
}

static void do_cancel(struct corral_sup *s, struct admin_conn *c, uint32_t seq,
                      const struct nlattr **tb)
{
        uint32_t id = tb[CORRAL_A_ACTOR_ID] ? mnl_attr_get_u32(tb[CORRAL_A_ACTOR_ID]) : 0;
        uint64_t grace = tb[ADM_A_GRACE_US] ? mnl_attr_get_u64(tb[ADM_A_GRACE_US]) : 0;
        struct actor *a = id ? actor_get(s, id) : NULL;

        if (id && !a) {
                send_error(s, c, seq, ENOENT, "no such actor in this tree");
                return;
        }
        if (tb[ADM_A_GRACE_US] && grace < ADM_GRACE_MIN_US) {
                send_error(s, c, seq, EINVAL, "the grace is below 1ms");
                return;
        }
        c->following = true;
        c->target = id;
        c->seq = seq;
        c->first = c->furthest = CS_IDLE;
        if (target_gone(s, c)) {
                send_done(s, c);
                return;
        }
        if (s->frozen_since_us) /* a frozen tree could act on nothing the cascade asks */
                teardown_freeze(s, false, "a cascade was requested");
        teardown_request_grace(s, a, CM_GRACEFUL, "corral kill", grace);
}

static void do_signal(struct corral_sup *s, struct admin_conn *c, uint32_t seq,
                      const struct nlattr **tb)
{
        struct actor *a = actor_get(s, mnl_attr_get_u32(tb[CORRAL_A_ACTOR_ID]));
        char buf[ADM_MSG_MAX];
        uint32_t sig = mnl_attr_get_u32(tb[CORRAL_A_SIGNAL]);
        int e = sig >= 64 ? EINVAL : 0;

        if (!e && actor_signal(s, a, (int)sig) < 0)
                e = errno;
        if (e) {
                send_error(s, c, seq, e,
                           e == EINVAL ? "the shim does not forward this signal"
                                       : "the actor has ended");
                return;
        }
        conn_send(s, c, msg(buf, ADM_MSG_DONE, seq));
}

void admin_on_conn(struct corral_sup *s, struct admin_conn *c, uint32_t events)
{
        char buf[ADM_MSG_MAX];
        const struct nlattr *tb[ADM_A_MAX + 1];
        const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
        ssize_t n;

        (void)events;
        n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                conn_close(s, c); /* the client is gone (a followed cancel goes on) */
                return;
        }
        if ((size_t)n > sizeof buf || admin_decode_request(h, (size_t)n, tb) < 0) {
                uint32_t seq = (size_t)n >= sizeof *h ? h->nlmsg_seq : 0;

                if (send_error(s, c, seq, EPROTO, "a malformed request") &&
                    ++c->strikes >= ADM_STRIKES_MAX)
                        conn_close(s, c);
                return;
        }
        if (c->following) {
                send_error(s, c, h->nlmsg_seq, EBUSY, "this connection follows a cancel");
                return;
        }
        switch (h->nlmsg_type) {
        case ADM_MSG_LIST:
                do_list(s, c, h->nlmsg_seq);
                break;
        case ADM_MSG_CANCEL:
                do_cancel(s, c, h->nlmsg_seq, tb);
                break;
        case ADM_MSG_SIGNAL:
                do_signal(s, c, h->nlmsg_seq, tb);
                break;
        default:
                break;
        }
}

void admin_progress(struct corral_sup *s)
{
        struct admin_conn *next;

        for (struct admin_conn *c = s->admins; c; c = next) {
                next = c->next;
                if (c->following && target_gone(s, c))
                        send_done(s, c);
        }
}

void admin_close(struct corral_sup *s)
{
        admin_progress(s);
        while (s->admins)
                conn_close(s, s->admins);
        if (s->admin_fd >= 0) {
                sup_unwatch(s, s->admin_fd);
                close(s->admin_fd);
                s->admin_fd = -1;
        }
        if (s->admin_path)
                unlink(s->admin_path);
        free(s->admin_path);
        s->admin_path = NULL;
        s->admin_tap = NULL;
}
