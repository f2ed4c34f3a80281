/* Setup, the event loop and the end of a supervisor run. */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../ns/creds.h"
#include "../ns/syscalls.h"
#include "../policy/policy.h"
#include "../ns/timeutil.h"
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

int sup_watch(struct supervisor *s, int fd, uint32_t events, struct watch *w, enum watch_kind kind,
              struct actor *a)
{
        struct epoll_event ev = {.events = events, .data.ptr = w};

        w->kind = kind;
        w->a = a;
        return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void sup_unwatch(struct supervisor *s, int fd)
{
        if (fd >= 0)
                epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int sup_tree_populated(struct supervisor *s)
{
        struct cerr err = {0};

        if (s->tree_events_fd >= 0) {
                char buf[128];
                long long v;
                ssize_t n = pread(s->tree_events_fd, buf, sizeof buf - 1, 0);

                if (n > 0) {
                        buf[n] = '\0';
                        if (cg_kv_get(buf, "populated", &v) == 0)
                                return v != 0;
                }
        }
        return cg_node_populated(&s->tree_node, &err);
}

/* "sleep-3f2a91c0": the program's basename, made a valid name, plus a random id. */
static void default_tree_name(char *out, size_t len, const char *prog)
{
        char tmp[PATH_MAX];
        const char *base;
        char clean[48] = "";
        size_t n = 0;
        uint32_t rnd = 0;

        snprintf(tmp, sizeof tmp, "%s", prog);
        base = basename(tmp);
        for (const char *p = base; *p && n < sizeof clean - 1; p++) {
                char c = *p;

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || (c == '.' && n > 0))
                        clean[n++] = c;
        }
        clean[n] = '\0';
        if (!n || !sup_name_valid(clean))
                snprintf(clean, sizeof clean, "tree");
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
                rnd = (uint32_t)(getpid() ^ mono_us());
        snprintf(out, len, "%s-%08x", clean, rnd);
}

/* What a dead supervisor left: removed when empty; otherwise left for `corral gc` (its
 * shims may still be dying: a run does not wait for another tree). Each orphan is an event. */
static void report_orphan(const struct gc_report *r, void *ctx)
{
        struct supervisor *s = ctx;
        char buf[CERR_MSG_MAX + 64];
        struct ev ev;

        ev_begin(&ev, s, r->outcome == GC_REMOVED ? "orphan-removed" : "orphan-left", NULL);
        if (r->e) {
                ev_str(&ev, "orphan", r->e->tree);
                ev_int(&ev, "supervisor_pid", r->e->supervisor_pid);
        } else {
                ev_str(&ev, "record", r->record);
        }
        if (r->outcome == GC_POPULATED)
                ev_str(&ev, "hint", "processes remain: `corral gc --kill` ends and removes them");
        else if (r->outcome != GC_REMOVED)
                ev_str(&ev, "error", cerr_str(&r->err, buf, sizeof buf));
        ev_end(&ev);
}

static const int cascade_signals[] = {SIGINT, SIGTERM, SIGHUP};

static int setup_signals(struct supervisor *s, struct cerr *err)
{
        sigset_t set;

        /* SIGINT/SIGTERM/SIGHUP start or escalate the cascade; SIGCHLD arrives for every shim
         * (we are their parent) and is read only to be discarded: pidfds tell who exited. */
        sigemptyset(&set);
        for (size_t i = 0; i < sizeof cascade_signals / sizeof cascade_signals[0]; i++) {
                struct sigaction sa;

                /* A caller that ignores one (`nohup`, `trap '' INT`) asked us not to react
                 * to it; our programs get every signal back at its default regardless. */
                if (sigaction(cascade_signals[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
                        continue;
                sigaddset(&set, cascade_signals[i]);
        }
        sigaddset(&set, SIGCHLD);
        /* An inherited SIG_IGN for SIGCHLD makes the kernel reap our shims itself, and their
         * wait status would be lost: back to the default, blocked, read and discarded. */
        signal(SIGCHLD, SIG_DFL);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return cerr_set(err, errno, "signals", "sigprocmask");
        signal(SIGPIPE, SIG_IGN);
        s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (s->sfd < 0)
                return cerr_set(err, errno, "signals", "signalfd");
        return 0;
}

/* Keys this host cannot apply: a warning each in the event log, never silence. */
static void host_warnings(struct supervisor *s, const struct profile *p)
{
        struct strlist w = {0};
        struct cerr err = {0};
        bool swap = false;

        policy_host_has_swap(&swap, &err);
        policy_host_warnings(p, &s->host, swap, &w, &err);
        for (size_t i = 0; i < w.n; i++) {
                struct ev e;

                ev_begin(&e, s, "warning", NULL);
                ev_str(&e, "profile", p->name);
                ev_str(&e, "message", w.v[i]);
                ev_end(&e);
        }
        strlist_clear(&w);
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

int sup_setup_tree(struct supervisor *s, bool sweep_orphans, struct cerr *err)
{
        static const struct gc_options no_wait = {0};
        struct registry_entry e = {0};
        const char *dir = s->opt->registry_dir ? s->opt->registry_dir : REGISTRY_DIR;

        if (sweep_orphans && gc_sweep(dir, &no_wait, report_orphan, s, err) < 0)
                return -1;
        if (registry_claim(dir, s->tree, &s->reg, err) < 0)
                return -1;
        /* Every path goes into the record before anything exists (DESIGN §7): whatever
         * instant we die at, gc finds all we made, tagged or not yet. */
        gc_tree_node_name(s->tree_node_name, sizeof s->tree_node_name, s->tree);
        snprintf(e.tree, sizeof e.tree, "%s", s->tree);
        e.supervisor_pid = getpid();
        e.supervisor_start = proc_start_time(getpid());
        snprintf(e.nodes[e.nnodes++], sizeof e.nodes[0], "%s/%s/%s", s->deleg.own_dir, CG_BASE_NAME,
                 s->tree_node_name);
        record_base(&e, s->deleg.own_dir);
        /* where the tree's v1 groups go, should a profile limit a v1 controller */
        for (int c = 0; c < CG_NCTRL; c++) {
                const struct cg_ctrl_info *ci = &s->host.ctrl[c];

                if (ci->src != CG_SRC_V1 || !ci->v1.own_dir[0] || e.nnodes == REGISTRY_MAX_NODES)
                        continue;
                snprintf(s->v1_tree[c], sizeof s->v1_tree[c], "%s/%s/%s", ci->v1.own_dir,
                         CG_BASE_NAME, s->tree_node_name);
                snprintf(e.nodes[e.nnodes++], sizeof e.nodes[0], "%s", s->v1_tree[c]);
                record_base(&e, ci->v1.own_dir);
        }
        if (registry_write(&s->reg, &e, err) < 0)
                return -1;
        if (cg_base_open(&s->deleg, &s->base, err) < 0)
                return cerr_wrap(err, "opening corral's cgroup base");
        if (cg_node_create(&s->tree_node, s->base.path, s->tree_node_name, s->tree, err) < 0)
                return cerr_wrap(err, "creating the tree's node");
        s->tree_created = true;
        s->tree_events_fd = openat(s->tree_node.fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (s->tree_events_fd < 0)
                return cerr_set(err, errno, "open", "%s/cgroup.events", s->tree_node.path);
        if (sup_watch(s, s->tree_events_fd, EPOLLPRI, &s->w_tree, W_TREE_EVENTS, NULL) < 0)
                return cerr_set(err, errno, "epoll", "watching cgroup.events");
        return 0;
}

void sup_dispatch(struct supervisor *s, struct watch *w, uint32_t events)
{
        switch (w->kind) {
        case W_SIGNAL: {
                struct signalfd_siginfo si;
                bool child = false;

                while (read(s->sfd, &si, sizeof si) == sizeof si) {
                        if (si.ssi_signo != SIGCHLD)
                                cascade_on_signal(s, (int)si.ssi_signo);
                        else
                                child = true;
                }
                /* Exits are the pidfds' to tell; a SIGCHLD may also mean a shim stopped
                 * (SIGCHLD coalesces: look whatever its code said). */
                if (child)
                        actor_check_stopped(s);
                break;
        }
        case W_TIMER:
                cascade_on_timer(s);
                break;
        case W_TREE_EVENTS:
                cascade_on_tree_event(s);
                break;
        case W_ZYGOTE:
                if (events & EPOLLIN)
                        actor_on_reply(s);
                else
                        actor_zygote_lost(s);
                break;
        case W_ZYGOTE_PID:
                actor_zygote_exited(s);
                break;
        case W_PIDFD:
                actor_on_pidfd(s, w->a);
                break;
        case W_EXEC:
                actor_on_exec(s, w->a);
                break;
        case W_REPORT:
                actor_on_report(s, w->a);
                break;
        case W_OUT:
                actor_on_output(s, w->a, false);
                break;
        case W_ERR:
                actor_on_output(s, w->a, true);
                break;
        }
}

static void teardown(struct supervisor *s)
{
        if (s->root) {
                actor_close(s, s->root);
                profile_free(&s->root->prof);
                free(s->root);
                s->root = NULL;
        }
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
        if (s->epfd >= 0)
                close(s->epfd);
        if (s->sfd >= 0)
                close(s->sfd);
        if (s->tfd >= 0)
                close(s->tfd);
        outstream_close(&s->out);
        outstream_close(&s->errs);
        seccomp_fprog_free(&s->bpf);
}

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

void sup_init(struct supervisor *s, const struct sup_options *o)
{
        s->opt = o;
        s->t0_us = mono_us();
        s->epfd = s->sfd = s->tfd = s->tree_events_fd = -1;
        s->reg.fd = -1;
        s->zy.pid = -1;
        s->zy.sock = s->zy.pidfd = -1;
        s->base.fd = s->tree_node.fd = -1;
        for (int c = 0; c < CG_NCTRL; c++)
                s->v1_tree_node[c].fd = -1;
}

int sup_start(struct supervisor *s, const struct profile *p, struct cerr *err)
{
        if (cghost_discover(&s->host, err) < 0 || cghost_usable(&s->host, err) < 0 ||
            cg_deleg_probe(&s->host, &s->deleg, err) < 0)
                return -1;
        if (cg_deleg_enter_leaf(&s->deleg, err) < 0)
                return -1;
        s->cap_last = creds_cap_last();
        /* Compiled once here; each child only installs it. */
        if (seccomp_compile(p, &s->bpf, err) < 0)
                return cerr_wrap(err, "compiling the seccomp filter of profile %s", p->name);
        /* The zygote is forked now, while we hold almost nothing, and after the leaf move so
         * that it shares our (never killed) cgroup. */
        if (zygote_start(&s->zy, err) < 0)
                return -1;
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s->epfd < 0 || s->tfd < 0)
                return cerr_set(err, errno, "setup", "epoll/timerfd");
        if (sup_watch(s, s->tfd, EPOLLIN, &s->w_timer, W_TIMER, NULL) < 0 ||
            sup_watch(s, s->zy.sock, EPOLLIN, &s->w_zygote, W_ZYGOTE, NULL) < 0 ||
            sup_watch(s, s->zy.pidfd, EPOLLIN, &s->w_zygote_pid, W_ZYGOTE_PID, NULL) < 0)
                return cerr_set(err, errno, "setup", "epoll_ctl");
        return 0;
}

int supervisor_run(const struct sup_options *o, struct sup_result *res, struct cerr *err)
{
        struct supervisor *s = calloc(1, sizeof *s);
        struct rlimit rl;
        int rc = -1;

        if (!s)
                return cerr_set(err, ENOMEM, "alloc", "supervisor");
        sup_init(s, o);
        outstream_open(&s->out, o->out_fd);
        outstream_open(&s->errs, o->err_fd);
        memset(res, 0, sizeof *res);
        res->exit_code = 125;

        own_fds_cloexec();
        /* Our soft fd limit goes up to the hard one; programs get the caller's back. */
        getrlimit(RLIMIT_NOFILE, &s->caller_nofile);
        rl = s->caller_nofile;
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < CORRAL_MIN_NOFILE) {
                cerr_set(err, EMFILE, "setup",
                         "the open-file limit (RLIMIT_NOFILE, `ulimit -n`) is %llu; corral needs "
                         "at least %d",
                         (unsigned long long)rl.rlim_cur, CORRAL_MIN_NOFILE);
                goto out;
        }

        if (o->tree_name) {
                if (!sup_name_valid(o->tree_name)) {
                        cerr_set(err, EINVAL, "usage",
                                 "invalid tree name '%s': use 1-64 of [A-Za-z0-9_.-], not starting "
                                 "with '.' or a cgroup controller prefix such as 'memory.'",
                                 o->tree_name);
                        goto out;
                }
                snprintf(s->tree, sizeof s->tree, "%s", o->tree_name);
        } else {
                default_tree_name(s->tree, sizeof s->tree, o->argv[0]);
        }

        if (setup_signals(s, err) < 0)
                goto out;
        if (sup_start(s, o->profile, err) < 0)
                goto out;
        if (sup_watch(s, s->sfd, EPOLLIN, &s->w_signal, W_SIGNAL, NULL) < 0) {
                cerr_set(err, errno, "setup", "epoll_ctl");
                goto out;
        }
        if (sup_setup_tree(s, true, err) < 0)
                goto cleanup_tree;
        host_warnings(s, o->profile);

        s->root = calloc(1, sizeof *s->root);
        if (!s->root) {
                cerr_set(err, ENOMEM, "alloc", "actor");
                goto cleanup_tree;
        }
        s->root->id = ++s->next_id;
        snprintf(s->root->name, sizeof s->root->name, "%s", s->tree);
        if (profile_copy(&s->root->prof, o->profile, err) < 0) {
                free(s->root);
                s->root = NULL;
                goto cleanup_tree;
        }
        if (actor_spawn(s, s->root, o->argv, err) < 0) {
                /* nothing was cloned: remove what we made */
                actor_close(s, s->root);
                goto cleanup_tree;
        }

        while (!s->done) {
                struct epoll_event evs[32];
                int n = epoll_wait(s->epfd, evs, 32, -1);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        cerr_set(err, errno, "epoll", "epoll_wait");
                        goto cleanup_tree;
                }
                for (int i = 0; i < n && !s->done; i++)
                        sup_dispatch(s, evs[i].data.ptr, evs[i].events);
                cascade_progress(s);
        }
        res->stuck = s->stuck;
        res->exit_code = s->stuck ? 125 : actor_exit_code(s->root);
        if (s->root->spawn_failed) {
                res->spawn_failed = true;
                snprintf(res->spawn_error, sizeof res->spawn_error, "spawn failed at %s: %s",
                         s->root->fail_msg, strerror(s->root->fail_errno));
        }
        rc = 0;
        goto out;

cleanup_tree:
        /* corral cannot go on: whatever the tree holds goes with it (usually nothing yet) */
        if (s->tree_created) {
                struct cerr e2 = {0};

                if (cg_node_kill(&s->tree_node, &e2) == 0)
                        cg_node_wait_empty(&s->tree_node, 2000, &e2);
                cg_node_close(&s->tree_node);
                cg_remove_tree(s->tree_node.path, &e2);
                for (int c = 0; c < CG_NCTRL; c++) {
                        if (s->v1_tree[c][0])
                                cg_remove_tree(s->v1_tree[c], &e2);
                }
        }
out:
        teardown(s);
        free(s);
        return rc;
}
