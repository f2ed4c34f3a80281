/* Opening a supervisor (supervisor.h: corral_sup_open): the process-wide setup (fds,
 * RLIMIT_NOFILE, signals), the profiles and their filters, the host's cgroups and our leaf,
 * the zygote (unless on demand), the epoll, and the tree's node with its registry record. engine.c
 * runs it from there on. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../ns/creds.h"
#include "../ns/rootless.h"
#include "../ns/signals.h"
#include "../ns/syscalls.h"
#include "../ns/timeutil.h"
#include "../policy/nesting.h"
#include "../policy/policy.h"
#include "gc.h"
#include "shim.h"
#include "sup.h"

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
                s->runtime_limited |= o->profiles[i].runtime_max != 0;
        }
        return 0;
}

/* Each profile's seccomp filter, compiled once, before the zygote is forked (so it stays
 * small); each child only installs it (seccomp(2)), since compiling allocates. Profiles whose
 * programs are identical are noted as one, so that a chain of ancestors' filters holds each
 * program once. */
static int compile_filters(struct corral_sup *s, struct cerr *err)
{
        for (size_t i = 0; i < s->nprofiles; i++) {
                if (seccomp_compile(&s->profiles[i].p, &s->profiles[i].bpf, err) < 0)
                        return cerr_wrap(err, "compiling the seccomp filter of profile %s",
                                         s->profiles[i].p.name);
                s->profiles[i].compiled = true;
                s->profiles[i].blocks_stacking = !seccomp_allows_filters(&s->profiles[i].bpf);
                s->profiles[i].same_bpf = &s->profiles[i];
                for (size_t j = 0; j < i; j++) {
                        const struct sock_fprog *a = &s->profiles[i].bpf, *b = &s->profiles[j].bpf;

                        if (a->len == b->len &&
                            (a->len == 0 ||
                             memcmp(a->filter, b->filter, a->len * sizeof *a->filter) == 0)) {
                                s->profiles[i].same_bpf = s->profiles[j].same_bpf;
                                break;
                        }
                }
        }
        return 0;
}

static const struct profile *find_profile(const void *ctx, const char *name)
{
        const struct corral_sup *s = ctx;

        for (size_t i = 0; i < s->nprofiles; i++) {
                if (strcmp(s->profiles[i].p.name, name) == 0)
                        return &s->profiles[i].p;
        }
        return NULL;
}

/* Keys this host cannot apply, and SpawnProfiles= entries every SPAWN of which ctl.c would
 * refuse (policy/nesting.h): a warning each, never silence (`corral policy check` says the
 * same). */
static void host_warnings(struct corral_sup *s, const struct profile *p)
{
        struct strlist w = {0};
        struct cerr err = {0};
        bool swap = false;

        policy_host_has_swap(&swap, &err);
        policy_host_warnings(p, &s->host, swap, &w, &err);
        nesting_warnings(p, find_profile, s, &w, &err);
        for (size_t i = 0; i < w.n; i++) {
                struct corral_event e;

                ev_init(s, &e, CORRAL_EV_WARNING, NULL);
                e.u.warning.profile = p->name;
                e.u.warning.message = w.v[i];
                ev_emit(s, &e);
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

/* The tree's node, its cgroup.events watch and its registry record. */
static int setup_tree(struct corral_sup *s, struct cerr *err)
{
        /* (64 KiB of path buffers, of which a few hundred bytes are used: not zeroed, or
         * every run would touch 16 pages for nothing; only nnodes and nbases entries are read) */
        struct registry_entry *e = malloc(sizeof *e);
        const char *dir = s->opt.registry_dir ? s->opt.registry_dir : registry_default_dir();
        int rc = -1;

        if (!e)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "a registry record");
        e->nnodes = e->nbases = 0;
        if (s->opt.sweep_orphans && !s->opt.late_housekeeping && sup_sweep_orphans(s, err) < 0)
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
                if (asprintf(&s->v1_tree[c], "%s/%s/%s", ci->v1.own_dir, CG_BASE_NAME,
                             s->tree_node_name) < 0) {
                        s->v1_tree[c] = NULL;
                        cerr_set(err, ENOMEM, CERR_ALLOC, "the tree's v1 paths");
                        goto out;
                }
                snprintf(e->nodes[e->nnodes++], sizeof e->nodes[0], "%s", s->v1_tree[c]);
                record_base(e, ci->v1.own_dir);
        }
        if (registry_write(&s->reg, e, err) < 0)
                goto out;
        if (cg_base_open(&s->deleg, &s->base, err) < 0) {
                cerr_wrap(err, "opening corral's cgroup base");
                goto out;
        }
        if (cg_node_create_at(&s->tree_node, s->base.fd, s->base.path, s->tree_node_name, s->tree,
                              err) < 0) {
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
        s->epfd = s->cfd = s->tfd = s->tree_events_fd = s->tree_netns_fd = -1;
        s->reg.fd = -1;
        s->admin_fd = -1;
        s->zy.pid = -1;
        s->zy.sock = s->zy.pidfd = -1;
        s->base.fd = s->tree_node.fd = -1;
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
        /* (rootless: refused before anything is created when the host cannot take it) */
        if (cg_mounts_discover(&s->host, err) < 0 || cg_mounts_usable(&s->host, err) < 0 ||
            rootless_refuse(&s->host, err) < 0 ||
            cg_delegation_probe(&s->host, &s->deleg, err) < 0 ||
            cg_delegation_enter_leaf(&s->deleg, err) < 0)
                goto fail;
        if (rootless_mode())
                shim_hide_dir(getenv("XDG_RUNTIME_DIR"));
        s->cap_last = creds_cap_last();
        if (compile_filters(s, err) < 0)
                goto fail;
        /* The zygote is forked now, while we hold almost nothing, and after the leaf move so
         * that it shares our (never killed) cgroup; or on demand (spawn.c: clone_here), by
         * which time we are not much larger: corral run asks for that. */
        if (!o->zygote_on_demand && zygote_start(&s->zy, err) < 0)
                goto fail;
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s->epfd < 0 || s->tfd < 0) {
                cerr_set(err, errno, CERR_SETUP, "epoll/timerfd");
                goto fail;
        }
        if (sup_watch(s, s->tfd, EPOLLIN, &s->w_timer, W_TIMER, NULL) < 0 ||
            sup_watch(s, s->cfd, EPOLLIN, &s->w_child, W_CHILD, NULL) < 0) {
                cerr_set(err, errno, CERR_SETUP, "epoll_ctl");
                goto fail;
        }
        if (s->zy.pid > 0 && spawn_watch_zygote(s, err) < 0)
                goto fail;
        if (setup_tree(s, err) < 0)
                goto fail;
        if (o->late_housekeeping) {
                s->late_pending = true;
        } else if (admin_open(s, err) < 0) {
                cerr_wrap(err, "opening the admin socket");
                goto fail;
        }
        host_warnings(s, &s->profiles[0].p);
        *out = s;
        return 0;
fail:
        corral_sup_close(s);
        return -1;
}
