/* The supervisor engine's API (supervisor.h): open, spawn, dispatch, cancel, close; and the
 * handlers of every fd it watches. The rest lives by concern: actors.c (the table),
 * spawn.c (requests), teardown.c (cascades), events.c (records and output queues). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/clone.h"
#include "../ns/creds.h"
#include "../ns/signals.h"
#include "../ns/syscalls.h"
#include "../ns/timeutil.h"
#include "../policy/policy.h"
#include "gc.h"
#include "sup.h"

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

/* ---- opening ---- */

/* Every fd we inherited above 2 becomes CLOEXEC, and every fd we open is: nothing of ours
 * reaches a program unless the allowlist names it. */
static void own_fds_cloexec(void)
{
        if (sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                for (int fd = 3; fd < 1024; fd++) {
                        int fl = fcntl(fd, F_GETFD);

                        if (fl >= 0)
                                fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
                }
        }
}

/* Our soft fd limit goes up to the hard one; programs get the caller's back. */
static int raise_nofile(struct corral_sup *s, struct cerr *err)
{
        struct rlimit rl;

        getrlimit(RLIMIT_NOFILE, &s->caller_nofile);
        rl = s->caller_nofile;
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < CORRAL_MIN_NOFILE)
                return cerr_set(err, EMFILE, CERR_SETUP,
                                "the open-file limit (RLIMIT_NOFILE, `ulimit -n`) is %llu; corral "
                                "needs at least %d",
                                (unsigned long long)rl.rlim_cur, CORRAL_MIN_NOFILE);
        return 0;
}

/* SIGCHLD arrives for every shim (we are their parent): back to its default (an inherited
 * SIG_IGN would make the kernel reap the shims and lose their statuses), blocked, and read
 * from a signalfd of our own, where a stopped shim shows. SIGPIPE: ignored. */
static int setup_child_signals(struct corral_sup *s, struct cerr *err)
{
        sigset_t set;

        signal(SIGCHLD, SIG_DFL);
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return cerr_set(err, errno, CERR_SIGNALS, "sigprocmask");
        signal(SIGPIPE, SIG_IGN);
        s->cfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (s->cfd < 0)
                return cerr_set(err, errno, CERR_SIGNALS, "signalfd");
        return 0;
}

static int copy_profiles(struct corral_sup *s, const struct corral_sup_options *o, struct cerr *err)
{
        if (!o->nprofiles)
                return cerr_set(err, EINVAL, CERR_USAGE, "a supervisor needs at least one profile");
        s->profiles = calloc(o->nprofiles, sizeof *s->profiles);
        if (!s->profiles)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "profiles");
        for (size_t i = 0; i < o->nprofiles; i++) {
                if (profile_copy(&s->profiles[i].p, &o->profiles[i], err) < 0)
                        return -1;
                s->nprofiles++;
        }
        return 0;
}

/* Each profile's seccomp filter, compiled once, before the zygote is forked (so it stays
 * small); each child only installs it (seccomp(2)), since compiling allocates. */
static int compile_filters(struct corral_sup *s, struct cerr *err)
{
        for (size_t i = 0; i < s->nprofiles; i++) {
                if (seccomp_compile(&s->profiles[i].p, &s->profiles[i].bpf, err) < 0)
                        return cerr_wrap(err, "compiling the seccomp filter of profile %s",
                                         s->profiles[i].p.name);
                s->profiles[i].compiled = true;
        }
        return 0;
}

/* Keys this host cannot apply: a warning each, never silence. */
static void host_warnings(struct corral_sup *s, const struct profile *p)
{
        struct strlist w = {0};
        struct cerr err = {0};
        bool swap = false;

        policy_host_has_swap(&swap, &err);
        policy_host_warnings(p, &s->host, swap, &w, &err);
        for (size_t i = 0; i < w.n; i++) {
                struct corral_event e;

                ev_init(s, &e, CORRAL_EV_WARNING, NULL);
                e.u.warning.profile = p->name;
                e.u.warning.message = w.v[i];
                ev_emit(s, &e);
        }
        strlist_clear(&w);
}

/* What a dead supervisor left: removed when empty; otherwise left for `corral gc` (its
 * shims may still be dying: a run does not wait for another tree). Each orphan is an event. */
static void report_orphan(const struct gc_report *r, void *ctx)
{
        struct corral_sup *s = ctx;
        char buf[CERR_MSG_MAX + 64];
        struct corral_event e;

        ev_init(s, &e, CORRAL_EV_ORPHAN, NULL);
        e.u.orphan.removed = r->outcome == GC_REMOVED;
        e.u.orphan.orphan = r->e ? r->e->tree : NULL;
        e.u.orphan.record = r->record;
        e.u.orphan.supervisor_pid = r->e ? r->e->supervisor_pid : 0;
        e.u.orphan.populated = r->outcome == GC_POPULATED;
        if (r->outcome != GC_REMOVED && r->outcome != GC_POPULATED)
                e.u.orphan.error = cerr_str(&r->err, buf, sizeof buf);
        ev_emit(s, &e);
}

/* A shared base (<own>/corral) that does not exist yet goes into the record: we may be the
 * one to create it, and may die between its mkdir and its tag. */
static void record_base(struct registry_entry *e, const char *own)
{
        char base[PATH_MAX];

        snprintf(base, sizeof base, "%s/%s", own, CG_BASE_NAME);
        if (access(base, F_OK) < 0 && e->nbases < REGISTRY_MAX_NODES)
                snprintf(e->bases[e->nbases++], sizeof e->bases[0], "%s", base);
}

/* The tree's node, its cgroup.events watch and its registry record. */
static int setup_tree(struct corral_sup *s, struct cerr *err)
{
        static const struct gc_options no_wait = {0};
        struct registry_entry *e = calloc(1, sizeof *e);
        const char *dir = s->opt.registry_dir ? s->opt.registry_dir : REGISTRY_DIR;
        int rc = -1;

        if (!e)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "a registry record");
        if (s->opt.sweep_orphans && gc_sweep(dir, &no_wait, report_orphan, s, err) < 0)
                goto out;
        if (registry_claim(dir, s->tree, &s->reg, err) < 0)
                goto out;
        /* Every path goes into the record before anything exists (DESIGN §7): whatever
         * instant we die at, gc finds all we made, tagged or not yet. */
        gc_tree_node_name(s->tree_node_name, sizeof s->tree_node_name, s->tree);
        snprintf(e->tree, sizeof e->tree, "%s", s->tree);
        e->supervisor_pid = getpid();
        e->supervisor_start = proc_start_time(getpid());
        snprintf(e->nodes[e->nnodes++], sizeof e->nodes[0], "%s/%s/%s", s->deleg.own_dir,
                 CG_BASE_NAME, s->tree_node_name);
        record_base(e, s->deleg.own_dir);
        /* where the tree's v1 groups go, should a profile limit a v1 controller */
        for (int c = 0; c < CG_NCTRL; c++) {
                const struct cg_ctrl_info *ci = &s->host.ctrl[c];

                if (ci->src != CG_SRC_V1 || !ci->v1.own_dir[0] || e->nnodes == REGISTRY_MAX_NODES)
                        continue;
                snprintf(s->v1_tree[c], sizeof s->v1_tree[c], "%s/%s/%s", ci->v1.own_dir,
                         CG_BASE_NAME, s->tree_node_name);
                snprintf(e->nodes[e->nnodes++], sizeof e->nodes[0], "%s", s->v1_tree[c]);
                record_base(e, ci->v1.own_dir);
        }
        if (registry_write(&s->reg, e, err) < 0)
                goto out;
        if (cg_base_open(&s->deleg, &s->base, err) < 0) {
                cerr_wrap(err, "opening corral's cgroup base");
                goto out;
        }
        if (cg_node_create(&s->tree_node, s->base.path, s->tree_node_name, s->tree, err) < 0) {
                cerr_wrap(err, "creating the tree's node");
                goto out;
        }
        s->tree_created = true;
        s->tree_events_fd = openat(s->tree_node.fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (s->tree_events_fd < 0) {
                cerr_set(err, errno, CERR_OPEN, "%s/cgroup.events", s->tree_node.path);
                goto out;
        }
        if (sup_watch(s, s->tree_events_fd, EPOLLPRI, &s->w_tree, W_NODE, NULL) < 0) {
                cerr_set(err, errno, CERR_EPOLL, "watching cgroup.events");
                goto out;
        }
        rc = 0;
out:
        free(e);
        return rc;
}

static void init_closed(struct corral_sup *s, const struct corral_sup_options *o)
{
        s->opt = *o;
        s->opt.profiles = NULL; /* ours are copies */
        s->t0_us = mono_us();
        s->epfd = s->cfd = s->tfd = s->tree_events_fd = -1;
        s->reg.fd = -1;
        s->zy.pid = -1;
        s->zy.sock = s->zy.pidfd = -1;
        s->base.fd = s->tree_node.fd = -1;
        for (int c = 0; c < CG_NCTRL; c++)
                s->v1_tree_node[c].fd = -1;
}

int corral_sup_open(struct corral_sup **out, const struct corral_sup_options *o, struct cerr *err)
{
        struct corral_sup *s = calloc(1, sizeof *s);

        *out = NULL;
        if (!s)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "supervisor");
        init_closed(s, o);
        outqs_open(s);
        if (!o->tree_name || !sup_name_valid(o->tree_name)) {
                cerr_set(err, EINVAL, CERR_USAGE,
                         "invalid tree name '%s': use 1-64 of [A-Za-z0-9_.-], not starting "
                         "with '.' or a cgroup controller prefix such as 'memory.'",
                         o->tree_name ? o->tree_name : "");
                goto fail;
        }
        snprintf(s->tree, sizeof s->tree, "%s", o->tree_name);
        own_fds_cloexec();
        if (raise_nofile(s, err) < 0 || copy_profiles(s, o, err) < 0 ||
            setup_child_signals(s, err) < 0)
                goto fail;
        if (cg_mounts_discover(&s->host, err) < 0 || cg_mounts_usable(&s->host, err) < 0 ||
            cg_delegation_probe(&s->host, &s->deleg, err) < 0 ||
            cg_delegation_enter_leaf(&s->deleg, err) < 0)
                goto fail;
        s->cap_last = creds_cap_last();
        if (compile_filters(s, err) < 0)
                goto fail;
        /* The zygote is forked now, while we hold almost nothing, and after the leaf move so
         * that it shares our (never killed) cgroup. */
        if (zygote_start(&s->zy, err) < 0)
                goto fail;
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s->epfd < 0 || s->tfd < 0) {
                cerr_set(err, errno, CERR_SETUP, "epoll/timerfd");
                goto fail;
        }
        if (sup_watch(s, s->tfd, EPOLLIN, &s->w_timer, W_TIMER, NULL) < 0 ||
            sup_watch(s, s->zy.sock, EPOLLIN, &s->w_zygote, W_ZYGOTE, NULL) < 0 ||
            sup_watch(s, s->zy.pidfd, EPOLLIN, &s->w_zygote_pid, W_ZYGOTE_PID, NULL) < 0 ||
            sup_watch(s, s->cfd, EPOLLIN, &s->w_child, W_CHILD, NULL) < 0) {
                cerr_set(err, errno, CERR_SETUP, "epoll_ctl");
                goto fail;
        }
        if (setup_tree(s, err) < 0)
                goto fail;
        host_warnings(s, &s->profiles[0].p);
        *out = s;
        return 0;
fail:
        corral_sup_close(s);
        return -1;
}

/* ---- ends of actors ---- */

/* An actor's end known: its node goes when nothing is left in it, and the tree's end follows
 * the actor that ends it (corral run's program). */
static void after_end(struct corral_sup *s, struct actor *a)
{
        teardown_actor_ended(s, a);
        if (a->ends_tree)
                teardown_request(s, NULL, CM_GRACEFUL,
                                 "leftover processes after the program exited");
}

static void end_actor(struct corral_sup *s, struct actor *a)
{
        actor_ended(s, a, teardown_stage_of(s, a));
        after_end(s, a);
}

static void on_pidfd(struct corral_sup *s, struct actor *a)
{
        struct cerr err = {0};
        int status = WSTATUS_UNKNOWN;

        if (a->ended || a->pidfd < 0)
                return;
        if (pidfd_wait(a->pidfd, 0, &status, &err) == 0)
                return; /* spurious */
        a->shim_status = status;
        end_actor(s, a);
}

/* A spawn that will never be answered (the zygote is gone): it fails, whatever it was. */
static void fail_unanswered(struct corral_sup *s, struct actor *a)
{
        a->in_flight = false;
        s->n_in_flight--;
        a->dead = true;
        actor_spawn_failed(s, a, STAGE_NONE, EPIPE, "zygote");
        a->waiting = 0;
        end_actor(s, a);
}

static void zygote_lost(struct corral_sup *s)
{
        sup_unwatch(s, s->zy.sock);
        spawn_drop_queue(s);
        while (s->in_flight_head) {
                struct actor *a = s->in_flight_head;

                s->in_flight_head = a->next_in_flight;
                fail_unanswered(s, a);
        }
        s->in_flight_tail = NULL;
        /* queued ones never reached it */
        for (uint32_t i = 1; i <= s->nactors; i++) {
                struct actor *a = s->by_id[i];

                if (a && a->in_flight)
                        fail_unanswered(s, a);
        }
}

/* The zygote died while we still needed it: say how (it was killed, or crashed). */
static void zygote_exited(struct corral_sup *s)
{
        siginfo_t si;

        sup_unwatch(s, s->zy.pidfd);
        memset(&si, 0, sizeof si);
        if (waitid((idtype_t)P_PIDFD, (id_t)s->zy.pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            si.si_pid > 0) {
                if (si.si_code == CLD_EXITED)
                        ev_error(s, "the spawn server (zygote, pid %d) exited with status %d",
                                 (int)si.si_pid, si.si_status);
                else
                        ev_error(s, "the spawn server (zygote, pid %d) died of %s", (int)si.si_pid,
                                 sig_name(si.si_status));
        }
        zygote_lost(s);
}

static struct actor *take_in_flight(struct corral_sup *s, uint32_t req_id, bool unnamed)
{
        struct actor *prev = NULL;

        for (struct actor *a = s->in_flight_head; a; prev = a, a = a->next_in_flight) {
                /* the zygote answers a request it could not even parse with req_id 0: it reads
                 * requests in order, so that is the oldest one it has not answered */
                if (a->req_id != req_id && !unnamed)
                        continue;
                if (prev)
                        prev->next_in_flight = a->next_in_flight;
                else
                        s->in_flight_head = a->next_in_flight;
                if (s->in_flight_tail == a)
                        s->in_flight_tail = prev;
                a->next_in_flight = NULL;
                a->in_flight = false;
                s->n_in_flight--;
                return a;
        }
        return NULL;
}

static void on_reply(struct corral_sup *s)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct spec_reply rep;
        struct iovec iov = {.iov_base = &rep, .iov_len = sizeof rep};
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
        struct actor *a;
        int pidfd = -1;
        ssize_t n = recvmsg(s->zy.sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                zygote_lost(s);
                return;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        memcpy(&pidfd, CMSG_DATA(c), sizeof pidfd);
        }
        a = (size_t)n == sizeof rep && rep.magic == SPEC_MAGIC
                ? take_in_flight(s, rep.req_id, rep.req_id == 0 && rep.errnum)
                : NULL;
        if (!a) {
                if (pidfd >= 0)
                        close(pidfd);
                return; /* not a reply we are waiting for */
        }
        a->t_replied = mono_us();
        a->fallback = rep.fallback;
        if (rep.pid > 0 && pidfd >= 0) {
                a->pid = rep.pid;
                a->pidfd = pidfd;
                sup_watch(s, a->pidfd, EPOLLIN, &a->w_pidfd, W_PIDFD, a);
                /* A spawn that lands while its subtree is being torn down is part of the
                 * cascade. */
                if (teardown_stage_of(s, a) != CS_IDLE)
                        pidfd_signal(a->pidfd, SIGKILL, NULL);
        } else {
                if (pidfd >= 0)
                        close(pidfd);
                a->dead = true;
        }
        if (rep.errnum)
                actor_spawn_failed(s, a, rep.stage, rep.errnum,
                                   rep.stage == STAGE_NONE ? rep.msg : NULL);
        a->waiting &= ~(unsigned)WAIT_REPLY;
        actor_emit_started(s, a);
        if (a->dead)
                end_actor(s, a);
}

/* A shim that stopped (SIGSTOP from outside: the only signal that can stop it) cannot forward
 * signals or report the program's end: its subtree's cascade starts (the tree's, for the actor
 * whose end ends the tree), and its deadlines bound what follows. */
static void check_stopped(struct corral_sup *s)
{
        struct signalfd_siginfo si;

        while (read(s->cfd, &si, sizeof si) == sizeof si)
                ; /* coalesced anyway: look at every shim */
        for (uint32_t i = 1; i <= s->nactors; i++) {
                struct actor *a = s->by_id[i];
                siginfo_t info;

                if (!a || a->dead || a->pidfd < 0)
                        continue;
                memset(&info, 0, sizeof info);
                if (waitid((idtype_t)P_PIDFD, (id_t)a->pidfd, &info, WSTOPPED | WNOHANG) == 0 &&
                    info.si_pid > 0 && info.si_code == CLD_STOPPED) {
                        char why[96];

                        snprintf(why, sizeof why, "the shim (pid %d) was stopped (%s)",
                                 (int)info.si_pid, sig_name(info.si_status));
                        teardown_request(s, a->ends_tree ? NULL : a, CM_GRACEFUL, why);
                }
        }
}

static void on_output(struct corral_sup *s, struct actor *a, bool is_err)
{
        struct drain *d = is_err ? a->err : a->out;
        int fd = d ? d->fd : -1;

        /* a bounded budget per turn: one flooding actor cannot starve the loop */
        if (d && drain_read(d, 1 << 20) == 0)
                sup_unwatch(s, fd);
        outqs_update(s);
}

static void dispatch_one(struct corral_sup *s, struct watch *w, uint32_t events)
{
        switch (w->kind) {
        case W_ZYGOTE:
                if (events & EPOLLIN)
                        on_reply(s);
                else if (events & (EPOLLHUP | EPOLLERR))
                        zygote_lost(s);
                if ((events & EPOLLOUT) && s->zy.sock >= 0)
                        spawn_send_queued(s);
                break;
        case W_ZYGOTE_PID:
                zygote_exited(s);
                break;
        case W_CHILD:
                check_stopped(s);
                break;
        case W_TIMER:
                teardown_on_timer(s);
                break;
        case W_NODE:
                teardown_on_node(s, w->p ? w->p : s->tree_casc);
                break;
        case W_PIDFD:
                on_pidfd(s, w->p);
                break;
        case W_EXEC:
                actor_on_exec(s, w->p);
                break;
        case W_REPORT:
                actor_on_report(s, w->p);
                break;
        case W_OUT:
                on_output(s, w->p, false);
                break;
        case W_ERR:
                on_output(s, w->p, true);
                break;
        case W_OUTQ:
                outq_on_writable(s, w->p);
                break;
        }
}

int corral_sup_dispatch(struct corral_sup *s, int timeout_ms, struct cerr *err)
{
        struct epoll_event evs[32];
        int n = epoll_wait(s->epfd, evs, 32, timeout_ms);

        if (n < 0 && errno == EINTR)
                return 0;
        if (n < 0)
                return cerr_set(err, errno, CERR_EPOLL, "epoll_wait");
        for (int i = 0; i < n && !s->done; i++) {
                dispatch_one(s, evs[i].data.ptr, evs[i].events);
                teardown_progress(s);
        }
        return n;
}

int corral_sup_fd(const struct corral_sup *s)
{
        return s->epfd;
}

bool corral_sup_done(const struct corral_sup *s)
{
        return s->done;
}

/* ---- spawning, cancelling ---- */

static void unlink_actor(struct corral_sup *s, struct actor *a);

static void discard_actor(struct corral_sup *s, struct actor *a)
{
        struct cerr e2 = {0};

        actor_close_fds(s, a);
        if (a->node_fd >= 0 || access(a->node, F_OK) == 0)
                actor_remove_node(s, a, &e2);
        unlink_actor(s, a);
        actor_free(s, a);
}

int corral_sup_spawn(struct corral_sup *s, const struct corral_spawn *req, uint32_t *id,
                     struct cerr *err)
{
        struct actor *parent = NULL, *a;
        const struct sup_profile *prof;

        if (s->done)
                return cerr_set(err, ESHUTDOWN, CERR_SPAWN, "the tree is gone");
        if (req->parent && !(parent = actor_get(s, req->parent)))
                return cerr_set(err, ENOENT, CERR_SPAWN, "no actor %u to be a parent", req->parent);
        if (!req->name || !sup_name_valid(req->name))
                return cerr_set(err, EINVAL, CERR_SPAWN, "invalid actor name '%s'",
                                req->name ? req->name : "");
        if (!req->argv || !req->argv[0])
                return cerr_set(err, EINVAL, CERR_SPAWN, "no program given");
        if (req->npass < 0 || req->npass > SPEC_MAX_PASS)
                return cerr_set(err, E2BIG, CERR_SPAWN, "at most %d fds can be passed",
                                SPEC_MAX_PASS);
        /* Once a subtree is cancelling, nothing new starts inside it (DESIGN §6). */
        if ((parent && (parent->ended || teardown_stage_of(s, parent) != CS_IDLE)) ||
            (s->tree_casc && cascade_active(&s->tree_casc->c)))
                return cerr_set(err, ECANCELED, CERR_SPAWN,
                                "the parent's subtree is being cancelled");
        if (s->paused)
                return cerr_set(err, EAGAIN, CERR_SPAWN,
                                "the event queue is full (its reader is slow): try again");
        prof = spawn_profile(s, req->profile);
        if (!prof)
                return cerr_set(err, ENOENT, CERR_SPAWN, "no profile '%s' in this tree's policy",
                                req->profile);
        a = actor_new(s, parent, req->name, prof, err);
        if (!a)
                return -1;
        a->ends_tree = req->flags & CORRAL_SPAWN_ENDS_TREE;
        if (spawn_actor(s, a, req, err) < 0) {
                discard_actor(s, a); /* nothing was cloned: what we made goes */
                return -1;
        }
        *id = a->id;
        if (a->ended)
                after_end(s, a); /* its program could not be found: an actor that failed */
        teardown_progress(s);
        return 0;
}

int corral_sup_cancel(struct corral_sup *s, uint32_t actor, enum cascade_mode how, const char *why)
{
        struct actor *a = NULL;

        if (actor && !(a = actor_get(s, actor)))
                return -1;
        return teardown_request(s, a, how, why);
}

/* ---- what the engine knows ---- */

static enum corral_actor_state public_state(enum actor_state st)
{
        switch (st) {
        case AS_STARTING:
                return CORRAL_ACTOR_STARTING;
        case AS_RUNNING:
                return CORRAL_ACTOR_RUNNING;
        case AS_CANCELLING:
                return CORRAL_ACTOR_CANCELLING;
        case AS_EXITED:
                return CORRAL_ACTOR_EXITED;
        case AS_SPAWN_FAILED:
                break;
        }
        return CORRAL_ACTOR_SPAWN_FAILED;
}

int corral_sup_actor(const struct corral_sup *s, uint32_t id, struct corral_actor_info *info)
{
        const struct actor *a = actor_get(s, id);

        memset(info, 0, sizeof *info);
        if (!a)
                return -1;
        info->state = public_state(a->state);
        info->ended = a->ended;
        info->node_removed = a->node_removed;
        info->pid = a->pid;
        info->fallback = a->fallback;
        info->exit_code = a->ended ? actor_exit_code(a) : 0;
        info->have_status = a->have_report;
        info->wstatus = a->wstatus;
        if (a->state == AS_SPAWN_FAILED)
                snprintf(info->spawn_error, sizeof info->spawn_error, "spawn failed at %s: %s",
                         a->fail_msg, strerror(a->fail_errno));
        info->leaf = a->node_removed ? NULL : a->leaf;
        info->t_request = a->t_request;
        info->t_sent = a->t_sent;
        info->t_replied = a->t_replied;
        info->t_started = a->t_started;
        info->t_exited = a->t_exited;
        info->t_removed = a->t_removed;
        return 0;
}

static void unlink_actor(struct corral_sup *s, struct actor *a)
{
        struct actor **link = a->parent ? &a->parent->first_child : &s->top;

        while (*link && *link != a)
                link = &(*link)->next_sibling;
        if (*link)
                *link = a->next_sibling;
}

int corral_sup_release(struct corral_sup *s, uint32_t id)
{
        struct actor *a = actor_get(s, id);

        if (!a) {
                errno = ENOENT;
                return -1;
        }
        if (!a->ended || !a->node_removed || a->first_child) {
                errno = EBUSY;
                return -1;
        }
        unlink_actor(s, a);
        actor_free(s, a);
        return 0;
}

void corral_sup_tree(const struct corral_sup *s, struct corral_tree_info *info)
{
        memset(info, 0, sizeof *info);
        info->name = s->tree;
        info->node = s->tree_node.path;
        info->zygote = s->zy.pid;
        info->stuck = s->stuck;
        info->in_flight = s->n_in_flight;
        for (uint32_t i = 1; i <= s->nactors; i++)
                info->queued += s->by_id[i] && s->by_id[i]->queued;
        info->t_empty = s->t_empty;
        info->t_removed = s->t_removed;
}

/* ---- closing ---- */

/* What is left when the tree did not end by itself: spawns answered first (a reply names a
 * shim we must reap), then no zygote, the tree killed, every shim reaped, the nodes gone. */
static void force_end(struct corral_sup *s)
{
        struct cerr err = {0};
        int64_t end = mono_ms() + 2000;

        while (s->n_in_flight > 0 && s->zy.sock >= 0 && mono_ms() < end &&
               corral_sup_dispatch(s, (int)(end - mono_ms()), &err) >= 0)
                ;
        if (s->zy.pid > 0)
                zygote_stop(&s->zy); /* from here on, nothing new lands in the tree */
        if (s->tree_created && access(s->tree_node.path, F_OK) == 0) {
                if (cg_node_populated(&s->tree_node, &err) != 0) {
                        cg_node_kill(&s->tree_node, &err);
                        cg_node_wait_empty(&s->tree_node, 5000, &err);
                }
        }
        for (uint32_t i = 1; i <= s->nactors; i++) {
                struct actor *a = s->by_id[i];

                if (a && a->pidfd >= 0)
                        pidfd_wait(a->pidfd, 5000, NULL, &err);
        }
        if (s->tree_created) {
                cg_node_close(&s->tree_node);
                cg_remove_tree(s->tree_node.path, &err);
                for (int c = 0; c < CG_NCTRL; c++) {
                        if (s->v1_tree[c][0])
                                cg_remove_tree(s->v1_tree[c], &err);
                }
        }
}

void corral_sup_close(struct corral_sup *s)
{
        if (!s)
                return;
        if (!s->done)
                force_end(s);
        outqs_flush(s, CORRAL_FLUSH_MS);
        spawn_drop_queue(s);
        teardown_free(s);
        for (uint32_t i = 1; i <= s->nactors; i++) {
                if (s->by_id[i])
                        actor_free(s, s->by_id[i]);
        }
        free(s->by_id);
        if (s->zy.pid > 0)
                zygote_stop(&s->zy);
        if (s->tree_events_fd >= 0)
                close(s->tree_events_fd);
        cg_node_close(&s->tree_node);
        cg_node_close(&s->base);
        for (int c = 0; c < CG_NCTRL; c++)
                cg_node_close(&s->v1_tree_node[c]);
        /* the record goes only with the tree: a stuck tree stays findable */
        if (!s->stuck && s->reg.fd >= 0)
                registry_release(&s->reg);
        else if (s->reg.fd >= 0)
                close(s->reg.fd);
        outqs_close(s);
        if (s->epfd >= 0)
                close(s->epfd);
        if (s->cfd >= 0)
                close(s->cfd);
        if (s->tfd >= 0)
                close(s->tfd);
        for (size_t i = 0; i < s->nprofiles; i++) {
                if (s->profiles[i].compiled)
                        seccomp_fprog_free(&s->profiles[i].bpf);
                profile_free(&s->profiles[i].p);
        }
        free(s->profiles);
        free(s);
}
