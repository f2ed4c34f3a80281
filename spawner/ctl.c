/* What the supervisor reads on an actor's control channel (DESIGN §8, PROTOCOL.md). Every
 * message is validated with libmnl's policy checks before it is used; a malformed one is
 * an ERROR and a strike, and after CORRAL_STRIKES_MAX the channel closes (an event says why;
 * the actor keeps running). The channel itself is the authority: an actor names only its
 * own children. HELLO, CANCEL_CHILD, STAT, HOLD and RELEASE are answered here; a SPAWN that passed
 * every check (the stated limits, SpawnProfiles=, a profile no looser than the actor's own
 * (policy/nesting.h), MaxChildren=, MaxDepth=, MaxActors=, the open-file limit) goes back to
 * the engine, which spawns it below the actor. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../policy/nesting.h"
#include "corral.h"
#include "sup.h"

/* A malformed message (or one before HELLO): an ERROR, and one strike more. */
static void strike(struct corral_sup *s, struct actor *a, uint32_t seq, int errnum,
                   const char *text)
{
        char why[160];

        ctl_send_error(s, a, seq, "protocol", errnum, text);
        if (++a->ctl_strikes >= CORRAL_STRIKES_MAX) {
                snprintf(why, sizeof why, "%d malformed messages (the last: %s)", a->ctl_strikes,
                         text);
                ctl_close(s, a, why);
        }
}

struct attrs {
        const struct nlattr *tb[CORRAL_A_MAX + 1];
};

static int attr_type_of(int t)
{
        switch (t) {
        case CORRAL_A_VERSION:
        case CORRAL_A_CAPS:
        case CORRAL_A_CHILD_ID:
                return MNL_TYPE_U32;
        case CORRAL_A_FORCE:
                return MNL_TYPE_U8;
        case CORRAL_A_NAME:
        case CORRAL_A_PROFILE:
                return MNL_TYPE_NUL_STRING;
        case CORRAL_A_ARGV:
        case CORRAL_A_ENV:
        case CORRAL_A_FD_NAMES:
                return MNL_TYPE_NESTED;
        default:
                return -1; /* not one an actor sends */
        }
}

static int attr_cb(const struct nlattr *attr, void *data)
{
        struct attrs *a = data;
        int t = mnl_attr_get_type(attr);
        int kind = t <= CORRAL_A_MAX ? attr_type_of(t) : -1;

        if (kind < 0 || a->tb[t])
                return MNL_CB_ERROR; /* unknown, or twice */
        if (mnl_attr_validate(attr, (enum mnl_attr_data_type)kind) < 0)
                return MNL_CB_ERROR;
        if (kind == MNL_TYPE_NESTED && !(attr->nla_type & NLA_F_NESTED))
                return MNL_CB_ERROR;
        a->tb[t] = attr;
        return MNL_CB_OK;
}

/* A nested list of NUL-terminated strings, into v (at most max, NULL-terminated). Returns the
 * count, -1 when malformed or too many. */
static int str_list(const struct nlattr *nest, const char **v, int max)
{
        const struct nlattr *e;
        int n = 0;

        if (!nest) {
                v[0] = NULL;
                return 0;
        }
        mnl_attr_for_each_nested(e, nest)
        {
                if (mnl_attr_get_type(e) != CORRAL_A_STRING || n >= max ||
                    mnl_attr_validate(e, MNL_TYPE_NUL_STRING) < 0)
                        return -1;
                v[n++] = mnl_attr_get_str(e);
        }
        /* the walk stops at the first attribute that does not fit: all of it must be used */
        if ((const char *)e != (const char *)nest + NLA_ALIGN(nest->nla_len) &&
            (const char *)e != (const char *)nest + nest->nla_len)
                return -1;
        v[n] = NULL;
        return n;
}

int ctl_decode(const struct nlmsghdr *h, size_t n, const struct nlattr **tb)
{
        static const char *scratch[CORRAL_STRINGS_MAX + 1];
        struct attrs t;
        const int lists[] = {CORRAL_A_ARGV, CORRAL_A_ENV, CORRAL_A_FD_NAMES};

        memset(&t, 0, sizeof t);
        /* (aligned: libmnl walks attributes up to the aligned end of the message, which
         * must not reach past the datagram) */
        if (n < sizeof *h || n > INT_MAX || n != MNL_ALIGN(n) || !mnl_nlmsg_ok(h, (int)n) ||
            h->nlmsg_len != n || h->nlmsg_type < CORRAL_MSG_HELLO ||
            h->nlmsg_type > CORRAL_MSG_RELEASE || mnl_attr_parse(h, 0, attr_cb, &t) < 0)
                return -1;
        for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
                if (t.tb[lists[i]] && str_list(t.tb[lists[i]], scratch, CORRAL_STRINGS_MAX) < 0)
                        return -1;
        }
        memcpy(tb, t.tb, sizeof t.tb);
        return 0;
}

static struct actor *own_child(struct actor *a, uint32_t id)
{
        for (struct actor *c = a->first_child; c; c = c->next_sibling) {
                if (c->id == id)
                        return c;
        }
        return NULL;
}

/* The fds one more actor may hold at once while it spawns and runs: its control channel,
 * pidfd, exec and report pipes, node, v1 groups, `log` pipes, and the request's own transient
 * ones. Besides, every live actor may need one more when it is cancelled (its cascade's
 * cgroup.events, held until it ends), and the supervisor a few for its own work
 * (cgroup.kill, registry, reads of cgroup files). A SPAWN that would eat into that is refused
 * (EMFILE), or a later cancel could not be carried out. */
#define CTL_FDS_PER_ACTOR 24
#define CTL_FDS_RESERVE   16

/* Room for `need` more fds under this process's open-file limit? Probed exactly (duplicated
 * and closed again), whatever holes the fd table has. */
static bool fd_headroom(int like, uint32_t need)
{
        int *got = malloc(sizeof *got * need);
        uint32_t n = 0;
        bool ok = got != NULL;

        for (; ok && n < need; n++) {
                got[n] = fcntl(like, F_DUPFD_CLOEXEC, 3);
                if (got[n] < 0)
                        ok = false;
        }
        while (got && n-- > 0) {
                if (got[n] >= 0)
                        close(got[n]);
        }
        free(got);
        return ok;
}

/* Is fd the actor's end of one of our control channels? (Passing one on would hand a child
 * its parent's authority.) */
static bool is_ctl_socket(const struct corral_sup *s, int fd)
{
        struct stat st;

        if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
                return false;
        for (uint32_t i = 1; i <= s->nactors; i++) {
                const struct actor *a = s->by_id[i];

                if (a && a->ctl_peer_ino && a->ctl_peer_ino == st.st_ino)
                        return true;
        }
        return false;
}

static bool profile_allowed(const struct actor *parent, const char *name)
{
        const struct strlist *l = &parent->prof->p.spawn_profiles;

        if (l->n == 0)
                return strcmp(name, parent->prof->p.name) == 0;
        for (size_t i = 0; i < l->n; i++) {
                if (strcmp(l->v[i], name) == 0)
                        return true;
        }
        return false;
}

static uint32_t live_children(const struct actor *a)
{
        uint32_t n = 0;

        for (const struct actor *c = a->first_child; c; c = c->next_sibling)
                n += !c->ended;
        return n;
}

static uint32_t live_actors(const struct corral_sup *s)
{
        uint32_t n = 0;

        for (uint32_t i = 1; i <= s->nactors; i++)
                n += s->by_id[i] && !s->by_id[i]->ended;
        return n;
}

/* Returns NULL when the request may go on, else the ERROR's text (errno in *e). */
static const char *check_spawn(struct corral_sup *s, struct actor *a, struct ctl_spawn *m,
                               const struct nlattr *const *tb, const int *fds, int nfds, int *e,
                               char *text, size_t len)
{
        const struct profile *pp = &a->prof->p;
        const struct profile *tp = s->top ? &s->top->prof->p : &s->profiles[0].p;
        const struct sup_profile *cp;
        struct cerr nerr = {0};

        *e = EINVAL;
        m->name = tb[CORRAL_A_NAME] ? mnl_attr_get_str(tb[CORRAL_A_NAME]) : NULL;
        m->profile = tb[CORRAL_A_PROFILE] ? mnl_attr_get_str(tb[CORRAL_A_PROFILE]) : pp->name;
        if (!m->name || !sup_name_valid(m->name))
                return "SPAWN: a valid name is required ([A-Za-z0-9_.-]{1,64})";
        m->argc = str_list(tb[CORRAL_A_ARGV], m->argv, CORRAL_STRINGS_MAX);
        m->envc = str_list(tb[CORRAL_A_ENV], m->env, CORRAL_STRINGS_MAX);
        m->nnames = str_list(tb[CORRAL_A_FD_NAMES], m->fd_names, CORRAL_FDS_MAX);
        if (m->argc < 1)
                return "SPAWN: argv must hold the program and its arguments";
        if (m->envc < 0 || m->nnames < 0) {
                *e = E2BIG;
                return "SPAWN: a malformed list, or more than the stated limits";
        }
        if (m->argc + m->envc + m->nnames > CORRAL_STRINGS_MAX) {
                *e = E2BIG;
                snprintf(text, len, "SPAWN: more than %d strings", CORRAL_STRINGS_MAX);
                return text;
        }
        for (int i = 0; i < m->envc; i++) {
                if (!strchr(m->env[i], '=') || m->env[i][0] == '=')
                        return "SPAWN: env entries are KEY=VALUE";
        }
        if (m->nnames != nfds) {
                snprintf(text, len, "SPAWN: %d fds came with %d fd names", nfds, m->nnames);
                return text;
        }
        for (int i = 0; i < nfds; i++) {
                if (is_ctl_socket(s, fds[i])) {
                        *e = EPERM;
                        return "SPAWN: a corral control channel cannot be passed to a child";
                }
        }
        *e = EPERM;
        if (!profile_allowed(a, m->profile)) {
                snprintf(text, len,
                         "SPAWN: profile '%s' is not in SpawnProfiles= of profile '%s'%s",
                         m->profile, pp->name,
                         pp->spawn_profiles.n ? "" : " (empty: its own profile only)");
                return text;
        }
        /* The child is cloned by us, not forked by its parent: it keeps nothing of the
         * parent's confinement but its node's limits unless its profile says so. */
        cp = spawn_profile(s, m->profile);
        if (cp && profile_nests(pp, &cp->p, a->depth == 0 ? NEST_PARENT_IS_ROOT : 0, &nerr) < 0) {
                snprintf(text, len, "SPAWN: %s", nerr.msg);
                return text;
        }
        *e = EMLINK;
        if (live_children(a) >= pp->max_children) {
                snprintf(text, len, "SPAWN: MaxChildren=%llu of profile '%s' reached",
                         (unsigned long long)pp->max_children, pp->name);
                return text;
        }
        if ((uint64_t)a->depth + 1 > pp->max_depth) {
                snprintf(text, len, "SPAWN: MaxDepth=%llu of profile '%s' reached",
                         (unsigned long long)pp->max_depth, pp->name);
                return text;
        }
        if (live_actors(s) >= tp->max_actors) {
                snprintf(text, len, "SPAWN: MaxActors=%llu of the tree's profile '%s' reached",
                         (unsigned long long)tp->max_actors, tp->name);
                return text;
        }
        if (!fd_headroom(a->ctl_fd, CTL_FDS_PER_ACTOR + CTL_FDS_RESERVE + live_actors(s))) {
                *e = EMFILE;
                snprintf(text, len,
                         "SPAWN: the supervisor's open-file limit (RLIMIT_NOFILE) leaves no room "
                         "for one more actor (%d fds, and one per live actor to cancel it)",
                         CTL_FDS_PER_ACTOR + CTL_FDS_RESERVE);
                return text;
        }
        return NULL;
}

static void on_hello(struct corral_sup *s, struct actor *a, const struct nlmsghdr *h,
                     struct attrs *t)
{
        char buf[CTL_SMALL_MSG + 2 * 72];
        struct nlmsghdr *r;

        if (!t->tb[CORRAL_A_VERSION] ||
            mnl_attr_get_u32(t->tb[CORRAL_A_VERSION]) != CORRAL_PROTOCOL_VERSION) {
                strike(s, a, h->nlmsg_seq, EPROTONOSUPPORT, "HELLO: protocol version 1 expected");
                return;
        }
        if (a->said_hello) {
                strike(s, a, h->nlmsg_seq, EALREADY, "HELLO: said twice");
                return;
        }
        a->said_hello = true;
        r = ctl_msg(buf, CORRAL_MSG_WELCOME, h->nlmsg_seq);
        mnl_attr_put_u32(r, CORRAL_A_ACTOR_ID, a->id);
        mnl_attr_put_strz(r, CORRAL_A_NAME, a->name);
        mnl_attr_put_strz(r, CORRAL_A_TREE, s->tree);
        ctl_send(s, a, r);
        ctl_child_hello(s, a);
}

static void on_cancel_child(struct corral_sup *s, struct actor *a, const struct nlmsghdr *h,
                            struct attrs *t)
{
        struct actor *c;
        bool force;

        if (!t->tb[CORRAL_A_CHILD_ID]) {
                strike(s, a, h->nlmsg_seq, EINVAL, "CANCEL_CHILD: no child id");
                return;
        }
        c = own_child(a, mnl_attr_get_u32(t->tb[CORRAL_A_CHILD_ID]));
        if (!c) {
                ctl_send_error(s, a, h->nlmsg_seq, "cancel", ENOENT,
                               "CANCEL_CHILD: not a child of yours");
                return;
        }
        force = t->tb[CORRAL_A_FORCE] && mnl_attr_get_u8(t->tb[CORRAL_A_FORCE]);
        c->asked_by_parent = true;
        teardown_request(s, c, force ? CM_KILL : CM_GRACEFUL,
                         force ? "CANCEL_CHILD (force) from its parent"
                               : "CANCEL_CHILD from its parent");
}

static void on_stat(struct corral_sup *s, struct actor *a, const struct nlmsghdr *h,
                    struct attrs *t)
{
        char buf[256];
        struct nlmsghdr *r;
        struct actor *c;
        struct actor_stats st;

        if (!t->tb[CORRAL_A_CHILD_ID]) {
                strike(s, a, h->nlmsg_seq, EINVAL, "STAT: no child id");
                return;
        }
        c = own_child(a, mnl_attr_get_u32(t->tb[CORRAL_A_CHILD_ID]));
        if (!c) {
                ctl_send_error(s, a, h->nlmsg_seq, "stat", ENOENT, "STAT: not a child of yours");
                return;
        }
        actor_read_stats(s, c, &st);
        r = ctl_msg(buf, CORRAL_MSG_STATS, h->nlmsg_seq);
        mnl_attr_put_u32(r, CORRAL_A_CHILD_ID, c->id);
        if (st.has_memory)
                mnl_attr_put_u64(r, CORRAL_A_MEMORY, st.memory);
        if (st.has_pids)
                mnl_attr_put_u64(r, CORRAL_A_PIDS, st.pids);
        if (st.has_cpu)
                mnl_attr_put_u64(r, CORRAL_A_CPU_US, st.cpu_us);
        ctl_send(s, a, r);
}

/* HOLD (a debugger is attached): the cascades covering the actor, now or once one starts,
 * do not escalate while it holds, within their hold budgets; RELEASE ends it (so does the
 * actor's end). The engine steps the cascades after every message. Only a mistake is
 * answered (an ERROR, no strike). */
static void on_hold(struct corral_sup *s, struct actor *a, const struct nlmsghdr *h)
{
        bool hold = h->nlmsg_type == CORRAL_MSG_HOLD;

        if (a->holds == hold) {
                ctl_send_error(s, a, h->nlmsg_seq, "hold", hold ? EALREADY : EINVAL,
                               hold ? "HOLD: held already" : "RELEASE: no HOLD to end");
                return;
        }
        a->holds = hold;
}

/* One message: answered here, or (a SPAWN that passed its checks) 1 with *sp filled. */
static int handle(struct corral_sup *s, struct actor *a, const struct nlmsghdr *h, int *fds,
                  int nfds, struct ctl_spawn *sp)
{
        struct attrs t;
        char text[CERR_MSG_MAX + 64];
        const char *why;
        int e = 0;

        if (ctl_decode(h, h->nlmsg_len, t.tb) < 0) {
                strike(s, a, h->nlmsg_seq, EBADMSG, "a message that does not decode");
                goto close_fds;
        }
        if (!a->said_hello && h->nlmsg_type != CORRAL_MSG_HELLO) {
                strike(s, a, h->nlmsg_seq, EPROTO, "HELLO must come first");
                goto close_fds;
        }
        switch (h->nlmsg_type) {
        case CORRAL_MSG_HELLO:
                on_hello(s, a, h, &t);
                break;
        case CORRAL_MSG_SPAWN:
                why = check_spawn(s, a, sp, t.tb, fds, nfds, &e, text, sizeof text);
                if (why) {
                        ctl_send_error(s, a, h->nlmsg_seq, "spawn", e, why);
                        break;
                }
                sp->seq = h->nlmsg_seq;
                for (int i = 0; i < nfds; i++) {
                        sp->pass[i].fd = fds[i];
                        snprintf(sp->pass[i].name, sizeof sp->pass[i].name, "%s", sp->fd_names[i]);
                }
                sp->npass = nfds;
                return 1; /* the fds are the engine's now */
        case CORRAL_MSG_CANCEL_CHILD:
                on_cancel_child(s, a, h, &t);
                break;
        case CORRAL_MSG_STAT:
                on_stat(s, a, h, &t);
                break;
        case CORRAL_MSG_HOLD:
        case CORRAL_MSG_RELEASE:
                on_hold(s, a, h);
                break;
        default:
                strike(s, a, h->nlmsg_seq, EBADMSG, "a supervisor's message sent by an actor");
                break;
        }
close_fds:
        for (int i = 0; i < nfds; i++)
                close(fds[i]); /* unannounced, or a request refused: closed at once */
        return 0;
}

/* The fds that came with a message (MSG_CMSG_CLOEXEC); past CORRAL_FDS_MAX they are closed,
 * and the count says more came than can be passed. */
static int take_fds(struct msghdr *msg, int *fds, int max)
{
        int n = 0;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                        if (n < max)
                                fds[n] = fd;
                        else
                                close(fd);
                        n++;
                }
        }
        return n;
}

int ctl_read(struct corral_sup *s, struct actor *a, int *budget, struct ctl_spawn *sp)
{
        while (*budget > 0 && a->ctl_fd >= 0) {
                union {
                        char b[CMSG_SPACE(sizeof(int) * CORRAL_FDS_MAX)];
                        struct cmsghdr align;
                } u;
                struct iovec iov = {.iov_base = sp->msg, .iov_len = sizeof sp->msg};
                struct msghdr msg = {.msg_iov = &iov,
                                     .msg_iovlen = 1,
                                     .msg_control = u.b,
                                     .msg_controllen = sizeof u.b};
                int fds[CORRAL_FDS_MAX], nfds;
                ssize_t n = recvmsg(a->ctl_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                const struct nlmsghdr *h = (const struct nlmsghdr *)sp->msg;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0) {
                        ctl_close(s, a, NULL); /* the actor closed its end, or died */
                        return 0;
                }
                (*budget)--;
                /* a message means execve succeeded, as output does (only the program writes
                 * here): `started` is said before anything the program asks for */
                actor_on_output_first(s, a);
                nfds = take_fds(&msg, fds, CORRAL_FDS_MAX);
                if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || nfds > CORRAL_FDS_MAX ||
                    !mnl_nlmsg_ok(h, (int)n) || h->nlmsg_len != (uint32_t)n) {
                        for (int i = 0; i < nfds && i < CORRAL_FDS_MAX; i++)
                                close(fds[i]);
                        strike(s, a, (size_t)n >= sizeof *h ? h->nlmsg_seq : 0, EMSGSIZE,
                               "a truncated or oversized message, or too many fds");
                        continue;
                }
                if (handle(s, a, h, fds, nfds, sp) == 1)
                        return 1;
        }
        return 0;
}
