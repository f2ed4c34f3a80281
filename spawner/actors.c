/* The actor table (sup.h): ids from 1, never reused; each actor linked to its parent and
 * children; its node below its parent's; and how it ended. An actor's record stays until
 * the supervisor closes, so what became of it can always be asked (corral_sup_actor). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/fdpass.h"
#include "../ns/clone.h"
#include "../ns/kfile.h"
#include "../ns/signals.h"
#include "../ns/timeutil.h"
#include "limits.h"
#include "shim.h"
#include "sup.h"

int sup_watch(struct corral_sup *s, int fd, uint32_t events, struct watch *w, enum watch_kind kind,
              void *p)
{
        struct epoll_event ev = {.events = events, .data.ptr = w};

        w->kind = kind;
        w->p = p;
        return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void sup_unwatch(struct corral_sup *s, int fd)
{
        if (fd >= 0 && s->epfd >= 0)
                epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static char *join(const char *a, const char *b)
{
        size_t n = strlen(a) + strlen(b) + 2;
        char *p = malloc(n);

        if (p)
                snprintf(p, n, "%s/%s", a, b);
        return p;
}

/* Names that could collide with a cgroup interface file (cgroup.*, memory.* ...). */
static const char *const reserved_prefixes[] = {
    "cgroup",
    "memory",
    "pids",
    "cpu",
    "cpuset",
    "cpuacct",
    "io",
    "blkio",
    "hugetlb",
    "rdma",
    "misc",
    "freezer",
    "devices",
    "net_cls",
    "net_prio",
    "perf_event",
    "notify_on_release",
    "release_agent",
    "tasks",
};

bool sup_name_valid(const char *name)
{
        if (!cg_name_valid(name) || strlen(name) > PROFILE_NAME_MAX)
                return false;
        for (size_t i = 0; i < sizeof reserved_prefixes / sizeof reserved_prefixes[0]; i++) {
                size_t n = strlen(reserved_prefixes[i]);

                if (strncmp(name, reserved_prefixes[i], n) == 0 &&
                    (name[n] == '.' || name[n] == '\0'))
                        return false;
        }
        return true;
}

struct actor *actor_new(struct corral_sup *s, struct actor *parent, const char *name,
                        const struct sup_profile *prof, struct cerr *err)
{
        struct actor *a;
        char node_name[PROFILE_NAME_MAX + 16];

        if (s->nactors + 1 >= s->cap_actors) {
                uint32_t cap = s->cap_actors ? s->cap_actors * 2 : 16;
                struct actor **nb = realloc(s->by_id, cap * sizeof(struct actor *));

                if (!nb)
                        return cerr_set(err, ENOMEM, CERR_ALLOC, "the actor table"), NULL;
                memset(nb + s->cap_actors, 0, (cap - s->cap_actors) * sizeof(struct actor *));
                s->by_id = nb;
                s->cap_actors = cap;
        }
        a = calloc(1, sizeof *a);
        if (!a)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "an actor"), NULL;
        a->id = s->nactors + 1;
        /* A fresh node per spawn, named by the id: a killed node is never reused (§4b). */
        snprintf(node_name, sizeof node_name, "%s-%u", name, a->id);
        a->name = strdup(name);
        a->node = join(parent ? parent->node : s->tree_node.path, node_name);
        a->leaf = a->node ? join(a->node, "self") : NULL;
        if (!a->name || !a->node || !a->leaf) {
                free(a->name);
                free(a->node);
                free(a->leaf);
                free(a);
                return cerr_set(err, ENOMEM, CERR_ALLOC, "an actor"), NULL;
        }
        a->prof = prof;
        a->parent = parent;
        a->depth = parent ? parent->depth + 1 : 0;
        a->state = AS_STARTING;
        a->waiting = WAIT_REPLY | WAIT_EXEC;
        a->node_fd = a->pidfd = a->exec_rd = a->report_rd = a->ctl_fd = -1;
        a->pty_sock = a->pty_master = -1;
        for (int c = 0; c < CG_NCTRL; c++)
                a->v1_fd[c] = -1;
        a->ended_in = CS_IDLE;
        a->t_request = mono_us();
        /* linked last among its siblings: the order of spawns */
        {
                struct actor **link = parent ? &parent->first_child : &s->top;

                while (*link)
                        link = &(*link)->next_sibling;
                *link = a;
        }
        s->by_id[a->id] = a;
        s->nactors++;
        return a;
}

struct actor *actor_get(const struct corral_sup *s, uint32_t id)
{
        return id >= 1 && id <= s->nactors ? s->by_id[id] : NULL;
}

static void free_drain(struct corral_sup *s, struct drain **d)
{
        if (!*d)
                return;
        sup_unwatch(s, (*d)->fd);
        drain_close(*d);
        free(*d);
        *d = NULL;
}

void actor_close_fds(struct corral_sup *s, struct actor *a)
{
        int *fds[] = {&a->pidfd, &a->exec_rd, &a->report_rd};

        for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
                sup_unwatch(s, *fds[i]);
                close_fd(fds[i]);
        }
        close_fd(&a->node_fd);
        close_fd(&a->pty_sock);
        close_fd(&a->pty_master);
        for (int c = 0; c < CG_NCTRL; c++)
                close_fd(&a->v1_fd[c]);
        free_drain(s, &a->out);
        free_drain(s, &a->err);
        ctl_close(s, a, NULL);
}

void actor_free(struct corral_sup *s, struct actor *a)
{
        actor_close_fds(s, a);
        s->by_id[a->id] = NULL;
        free(a->exec_desc);
        free(a->chain);
        free(a->name);
        free(a->node);
        free(a->leaf);
        free(a);
}

bool actor_live(const struct actor *a)
{
        return !a->dead;
}

void actor_walk(struct actor *a, void (*fn)(struct actor *, void *), void *ctx)
{
        struct actor *c = a->first_child;

        fn(a, ctx);
        while (c) {
                struct actor *next = c->next_sibling; /* fn may not unlink, but be safe */

                actor_walk(c, fn, ctx);
                c = next;
        }
}

void actors_walk(struct corral_sup *s, void (*fn)(struct actor *, void *), void *ctx)
{
        for (struct actor *a = s->top; a; a = a->next_sibling)
                actor_walk(a, fn, ctx);
}

void actor_finish_output(struct corral_sup *s, struct actor *a)
{
        struct drain *d[2] = {a->out, a->err};
        /* all writers are gone: what is left is at most a pipe's worth, queued whole unless
         * the profile chose to drop */
        enum drain_mode mode =
            a->prof->p.log_overflow == LOG_OVERFLOW_DROP ? DRAIN_DROP : DRAIN_ALL;

        for (int i = 0; i < 2; i++) {
                if (d[i] && d[i]->fd >= 0) {
                        int fd = d[i]->fd;

                        drain_read(d[i], SIZE_MAX, mode);
                        sup_unwatch(s, fd);
                        drain_close(d[i]);
                }
        }
        output_report_drops(s, a);
        free_drain(s, &a->out);
        free_drain(s, &a->err);
        outqs_update(s);
}

/* Its v1 group for controller c: the same path below the tree's v1 group as its v2 node
 * below the tree's node. */
static void v1_path(const struct corral_sup *s, const struct actor *a, int c, char *out, size_t len)
{
        snprintf(out, len, "%s%s", s->v1_tree[c], a->node + strlen(s->tree_node.path));
}

int actor_remove_node(struct corral_sup *s, struct actor *a, struct cerr *err)
{
        int rc = 0;

        if (a->node_removed)
                return 0;
        close_fd(&a->node_fd);
        /* Its children went first (teardown.c: reap_actor), so the nodes we made go by
         * their paths, leaf first; whatever else is there makes cg_remove_own walk. */
        if (a->made_node) {
                if ((a->made_leaf && cg_remove_own(a->leaf, err) < 0) ||
                    cg_remove_own(a->node, err) < 0)
                        rc = -1;
        } else if (cg_remove_tree(a->node, err) < 0) {
                rc = -1;
        }
        /* (by what was made, not by open fds: those close when it ends, before this) */
        for (int c = 0; c < CG_NCTRL && rc == 0; c++) {
                char path[PATH_MAX];

                if (!(a->v1_made & (1u << c)))
                        continue;
                close_fd(&a->v1_fd[c]);
                v1_path(s, a, c, path, sizeof path);
                if (cg_remove_tree(path, err) < 0)
                        rc = -1;
        }
        if (rc == 0) {
                a->node_removed = true;
                a->t_removed = mono_us();
                ctl_child_exited(s, a, actor_exit_code(a)); /* its whole subtree is gone */
        }
        return rc;
}

/* The tree's v2 nodes by the paths we made them at, leaf first: ids grow down the tree (a
 * child is spawned after its parent), so from the last id down every child goes before its
 * parent, and the tree's node last. No walk and no tag read unless something we did not
 * make is there (cg_remove_own). */
int actors_remove_tree_nodes(struct corral_sup *s, struct cerr *err)
{
        for (uint32_t i = s->nactors; i >= 1; i--) {
                struct actor *a = s->by_id[i];

                if (!a || a->node_removed || !a->made_node)
                        continue;
                if ((a->made_leaf && cg_remove_own(a->leaf, err) < 0) ||
                    cg_remove_own(a->node, err) < 0)
                        return -1;
        }
        return s->tree_created ? cg_remove_own(s->tree_node.path, err)
                               : cg_remove_tree(s->tree_node.path, err);
}

void actor_spawn_failed(struct corral_sup *s, struct actor *a, int stage, int e, const char *label)
{
        struct corral_event ev;

        if (a->state == AS_SPAWN_FAILED)
                return;
        a->state = AS_SPAWN_FAILED;
        a->fail_stage = stage;
        a->fail_errno = e;
        snprintf(a->fail_msg, sizeof a->fail_msg, "%s",
                 label && *label ? label : spawn_stage_name(stage));
        snprintf(a->reason, sizeof a->reason, "spawn-failed %s: %s", a->fail_msg, strerror(e));
        ev_init(s, &ev, CORRAL_EV_SPAWN_FAILED, a);
        ev.u.spawn_failed.stage = a->fail_msg;
        ev.u.spawn_failed.errnum = e;
        ev_emit(s, &ev);
        ctl_child_failed(s, a);
}

void actor_emit_started(struct corral_sup *s, struct actor *a)
{
        struct corral_event e;

        if (a->state != AS_STARTING || a->waiting || a->pid <= 0)
                return;
        a->state = AS_RUNNING;
        a->t_started = mono_us();
        if (a->prof->p.runtime_max)
                a->runtime_deadline_us = a->t_started + (int64_t)a->prof->p.runtime_max;
        ev_init(s, &e, CORRAL_EV_STARTED, a);
        e.u.started.pid = a->pid;
        e.u.started.node = a->leaf;
        e.u.started.fallback = a->fallback;
        e.u.started.v1_moves = __builtin_popcount(a->v1_made);
        e.u.started.seccomp_filters = a->nchain;
        e.u.started.seccomp_insns = a->chain_insns;
        e.u.started.seccomp_stacked = a->chain_stacked;
        ev_emit(s, &e);
        ctl_child_spawned(s, a);
}

/* What the shim did instead of failing: today only a working directory it could not enter
 * (the caller's, hidden by the actor's mounts or closed to its user), where the program
 * starts in / instead. */
static void exec_warning(struct corral_sup *s, struct actor *a, const struct spec_child_error *rec)
{
        struct corral_event e;
        char msg[PATH_MAX + 160], cwd[PATH_MAX];

        if (rec->stage != STAGE_CHDIR)
                return;
        if (!getcwd(cwd, sizeof cwd))
                snprintf(cwd, sizeof cwd, "(unknown)");
        snprintf(msg, sizeof msg,
                 "the working directory %s is not reachable inside the actor (%s): "
                 "the program starts in / (WorkingDirectory= or -C chooses one)",
                 cwd, strerror(-rec->errnum));
        ev_init(s, &e, CORRAL_EV_WARNING, a);
        e.u.warning.profile = a->prof->p.name;
        e.u.warning.message = msg;
        ev_emit(s, &e);
}

/* proven: the program's output arrived, so its execve succeeded, and the warnings written
 * before it are all in the pipe; the EOF may still be on its way (the shim vforks the program
 * and drops its own copy of the pipe only when it runs again after the execve), and an empty
 * pipe counts as that EOF. Otherwise one read per call, as epoll says. */
static void exec_read(struct corral_sup *s, struct actor *a, bool proven)
{
        struct spec_child_error rec;
        ssize_t n;

        for (;;) {
                n = read(a->exec_rd, &rec, sizeof rec);
                if (n < 0 && errno == EAGAIN && proven)
                        n = 0;
                else if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n != (ssize_t)sizeof rec || rec.errnum >= 0)
                        break;
                exec_warning(s, a, &rec); /* the spawn goes on: more may follow, or EOF */
                if (!proven)
                        return;
        }
        if (n == (ssize_t)sizeof rec) {
                rec.detail[sizeof rec.detail - 1] = '\0';
                actor_spawn_failed(s, a, rec.stage, rec.errnum, rec.detail);
        }
        /* execve succeeded: the shim sent the pty's master before it forked the program */
        if (n == 0 && a->pty_sock >= 0) {
                char byte;

                if (fdpass_recv(a->pty_sock, &byte, 1, &a->pty_master, MSG_DONTWAIT) <= 0)
                        a->pty_master = -1;
                close_fd(&a->pty_sock);
        }
        /* EOF (or the record, after which the child exits): no more to learn here */
        if (n <= 0 || n == (ssize_t)sizeof rec) {
                sup_unwatch(s, a->exec_rd);
                close_fd(&a->exec_rd);
                a->waiting &= ~(unsigned)WAIT_EXEC;
                actor_emit_started(s, a);
        }
}

void actor_on_exec(struct corral_sup *s, struct actor *a)
{
        exec_read(s, a, false);
}

void actor_on_output_first(struct corral_sup *s, struct actor *a)
{
        if (a->exec_rd >= 0)
                exec_read(s, a, true);
}

void actor_on_report(struct corral_sup *s, struct actor *a)
{
        struct shim_report rep;
        ssize_t n = read(a->report_rd, &rep, sizeof rep);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n == (ssize_t)sizeof rep && rep.magic == SHIM_REPORT_MAGIC) {
                a->have_report = true;
                a->wstatus = rep.wstatus;
        }
        sup_unwatch(s, a->report_rd);
        close_fd(&a->report_rd);
}

static bool crash_signal(int sig)
{
        return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
               sig == SIGABRT || sig == SIGSYS || sig == SIGTRAP;
}

static void describe_exit(struct actor *a)
{
        char st[80];
        int status = a->have_report ? a->wstatus : a->shim_status;

        wstatus_describe(status, st, sizeof st);
        if (a->state == AS_SPAWN_FAILED)
                return; /* reason already says where it failed */
        if (a->oom_killed)
                snprintf(a->reason, sizeof a->reason, "oom-killed (%s)", st);
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
                snprintf(a->reason, sizeof a->reason, "seccomp (%s)", st);
        else if (WIFSIGNALED(status) && crash_signal(WTERMSIG(status)))
                snprintf(a->reason, sizeof a->reason, "%s", st); /* whatever the stage */
        else if (a->timed_out)
                snprintf(a->reason, sizeof a->reason, "timed-out (%s, %s)",
                         cstage_outcome(a->ended_in != CS_IDLE ? a->ended_in : CS_CANCEL), st);
        else if (a->sup_killed)
                snprintf(a->reason, sizeof a->reason, "%s (%s)", cstage_outcome(CS_KILL), st);
        else if (!a->have_report && WIFSIGNALED(status) && a->ended_in < CS_KILL)
                /* the shim itself died of a signal nobody in corral sent (it reports the
                 * program's end before it exits): not the program's own SIGKILL */
                snprintf(a->reason, sizeof a->reason, "shim-killed (the shim %s)", st);
        else if (a->ended_in != CS_IDLE)
                snprintf(a->reason, sizeof a->reason, "%s (%s)", cstage_outcome(a->ended_in), st);
        else
                snprintf(a->reason, sizeof a->reason, "%s", st);
}

int actor_exit_code(const struct actor *a)
{
        if (a->state == AS_SPAWN_FAILED) {
                if (a->fail_stage == STAGE_EXECVE)
                        return a->fail_errno == ENOENT ? 127 : 126;
                return 125;
        }
        return wstatus_exit_code(a->have_report ? a->wstatus : a->shim_status);
}

/* OOM kills, where the backend of the memory controller counts them: the actor's v1 memory
 * group when it has one, else its v2 node (when its profile or an ancestor's limits memory). */
static bool oom_killed(const struct corral_sup *s, const struct actor *a)
{
        const struct cg_backend *be = cg_backend_for(&s->host, CG_MEMORY);
        struct cg_node n = {.fd = a->v1_fd[CG_MEMORY] >= 0 ? a->v1_fd[CG_MEMORY] : a->node_fd};

        bool limited = false;

        /* its own limit, or an ancestor's: a nested node (or v1 group) counts its kills */
        for (const struct actor *p = a; p; p = p->parent)
                limited |= (limits_mask(&p->prof->p) & (1u << CG_MEMORY)) != 0;
        if (!be || !limited)
                return false;
        snprintf(n.path, sizeof n.path, "%s", a->node);
        return be->oom_kills(&n) > 0;
}

void actor_ended(struct corral_sup *s, struct actor *a, enum cstage stage)
{
        struct corral_event e;

        if (a->ended)
                return;
        sup_unwatch(s, a->pidfd);
        close_fd(&a->pidfd);
        a->dead = true;
        a->ended = true;
        a->in_flight = false;
        a->t_exited = mono_us();
        a->ended_in = stage >= CS_CANCEL && stage <= CS_KILL ? stage : CS_IDLE;
        a->oom_killed = oom_killed(s, a);
        /* Everything the dead shim wrote is in the pipes now: read it before deciding. */
        if (a->report_rd >= 0)
                actor_on_report(s, a);
        if (a->exec_rd >= 0)
                actor_on_exec(s, a);
        if (a->state != AS_SPAWN_FAILED)
                a->state = AS_EXITED;
        describe_exit(a);
        ev_init(s, &e, CORRAL_EV_EXITED, a);
        e.u.exited.reason = a->reason;
        e.u.exited.wstatus = a->have_report ? a->wstatus : a->shim_status;
        e.u.exited.exit_code = actor_exit_code(a);
        e.u.exited.duration_us = a->t_exited - a->t_request;
        ev_emit(s, &e);
}

/* "12345\n" or "usage_usec 12345\n..." (key NULL: the first number) */
static bool read_num(const char *path, const char *key, uint64_t *v)
{
        char buf[512];
        const char *p = buf;

        if (kfile_read(path, buf, sizeof buf) < 0)
                return false;
        if (key) {
                p = strstr(buf, key);
                if (!p)
                        return false;
                p += strlen(key);
        }
        return sscanf(p, "%" SCNu64, v) == 1;
}

void actor_read_stats(const struct corral_sup *s, const struct actor *a, struct actor_stats *st)
{
        char path[PATH_MAX + 32], v1[PATH_MAX];
        uint64_t ns;

        memset(st, 0, sizeof *st);
        if (a->node_removed)
                return;
        /* v2 first (the node's own files exist when the controller is enabled for it) */
        snprintf(path, sizeof path, "%s/memory.current", a->node);
        st->has_memory = read_num(path, NULL, &st->memory);
        snprintf(path, sizeof path, "%s/pids.current", a->node);
        st->has_pids = read_num(path, NULL, &st->pids);
        snprintf(path, sizeof path, "%s/cpu.stat", a->node);
        st->has_cpu = read_num(path, "usage_usec ", &st->cpu_us);
        /* then its v1 groups, where it has them */
        if (!st->has_memory && (a->v1_made & (1u << CG_MEMORY))) {
                v1_path(s, a, CG_MEMORY, v1, sizeof v1);
                snprintf(path, sizeof path, "%s/memory.usage_in_bytes", v1);
                st->has_memory = read_num(path, NULL, &st->memory);
        }
        if (!st->has_pids && (a->v1_made & (1u << CG_PIDS))) {
                v1_path(s, a, CG_PIDS, v1, sizeof v1);
                snprintf(path, sizeof path, "%s/pids.current", v1);
                st->has_pids = read_num(path, NULL, &st->pids);
        }
        if (!st->has_cpu && (a->v1_made & (1u << CG_CPU))) {
                v1_path(s, a, CG_CPU, v1, sizeof v1);
                snprintf(path, sizeof path, "%s/cpuacct.usage", v1);
                if (read_num(path, NULL, &ns)) {
                        st->has_cpu = true;
                        st->cpu_us = ns / 1000;
                }
        }
}

int actor_signal(struct corral_sup *s, struct actor *a, int sig)
{
        struct corral_event e;

        if (!shim_forwards(sig)) {
                errno = EINVAL;
                return -1;
        }
        if (!a || a->ended || a->dead) {
                errno = ESRCH;
                return -1;
        }
        if (a->pidfd >= 0) {
                if (pidfd_signal(a->pidfd, sig, NULL) < 0)
                        return -1;
        } else {
                a->pending_sigs |= 1ull << sig; /* sent once the zygote answers */
        }
        ev_init(s, &e, CORRAL_EV_SIGNAL, a);
        e.u.signal.signo = sig;
        e.u.signal.action = "forwarded";
        ev_emit(s, &e);
        return 0;
}
