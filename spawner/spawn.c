/* One spawn (DESIGN §4): the actor's nodes and limits, its program found and opened, its
 * environment, stdio and identity, the pipes that will tell what became of it, all in one
 * request for the zygote; and the queue of requests its socket could not take yet. Nothing
 * here waits: a full socket queues the request, sent when the zygote reads. With
 * zygote_on_demand the first request is cloned here instead (clone_here), and the zygote is
 * forked at the next one. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ns/clone.h"
#include "../ns/creds.h"
#include "../ns/mounts.h"
#include "../ns/netns.h"
#include "../ns/safepath.h"
#include "../ns/syscalls.h"
#include "../ns/timeutil.h"
#include "../policy/units.h"
#include "identity.h"
#include "limits.h"
#include "shim_clone.h"
#include "sup.h"

struct queued_req {
        struct spec_builder b;
        int owned[SPEC_MAX_FDS]; /* closed once sent: our copies of what the child gets */
        int nowned;
        struct actor *a;
        struct queued_req *next;
};

static int pipe_pair(int p[2], struct cerr *err)
{
        if (pipe2(p, O_CLOEXEC) < 0)
                return cerr_set(err, errno, CERR_SPAWN, "pipe2");
        return 0;
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void own(struct queued_req *q, int fd)
{
        if (fd >= 0 && q->nowned < SPEC_MAX_FDS)
                q->owned[q->nowned++] = fd;
}

/* A directory (or an O_PATH handle) as stdio would hand the program a way around its mounts
 * (openat from it reaches the host's tree): directories travel only by --fd, by name. */
static int stdio_fd_ok(int fd, const char *what, struct cerr *err)
{
        struct stat st;
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || fstat(fd, &st) < 0)
                return cerr_set(err, errno, CERR_STDIO, "%s (fd %d) is not open", what, fd);
        if (S_ISDIR(st.st_mode) || (fl & O_PATH))
                return cerr_set(err, EISDIR, CERR_STDIO,
                                "%s is a directory or a path handle: refused as stdio (pass it "
                                "with --fd if the program is meant to have it)",
                                what);
        return 0;
}

/* Stdin=/Stdout=/Stderr=file:PATH, opened as the program would open it itself (DESIGN §5):
 * with its fsuid, fsgid, groups and capabilities (uid and gid outside its user namespace, with
 * PrivateUsers=), and through the safe-path walk, which refuses a symlink an unprivileged user
 * could have planted. The program gets nothing it could not have opened. */
static int open_stdio_file(const struct identity *id, const char *path, int stream,
                           struct cerr *err)
{
        static const char *const what[3] = {"Stdin=file:", "Stdout=file:", "Stderr=file:"};
        struct creds_fs_saved saved;
        struct safepath_fail fail;
        bool switch_ids = id->cred.set_ids;
        int flags = stream == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND;
        const gid_t *groups;
        int ngroups, fd, e;
        uint64_t caps;
        uid_t uid;
        gid_t gid;

        identity_fs(id, &uid, &gid, &groups, &ngroups, &caps);
        if (switch_ids && creds_fs_enter(uid, gid, groups, ngroups, caps, &saved) < 0)
                return cerr_set(err, errno, CERR_STDIO, "taking the program's identity to open %s",
                                path);
        fd = safepath_open(path, flags, 0644, &fail);
        e = errno;
        if (switch_ids && creds_fs_leave(&saved) < 0) {
                /* we cannot vouch for our own identity any more: stop here */
                if (fd >= 0)
                        close(fd);
                return cerr_set(err, errno, CERR_STDIO, "restoring our identity after opening %s",
                                path);
        }
        if (fd < 0) {
                fail.errnum = e;
                return safepath_cerr(err, CERR_STDIO, what[stream], path, &fail);
        }
        return fd;
}

/* ReadWritePaths=: each resolved with the safe-path rule in our (the host's) namespace, as
 * root, since the mount is ours to make; cloned there as a detached mount, read-write and
 * private; handed to the shim, which mounts the clone on the same path without resolving it
 * again. A path that does not exist is skipped, as with systemd's "-" prefix. */
/* stdio per the profile: a pipe we drain (log), our own fd (inherit), a file, or /dev/null;
 * `auto` is inherit for a top-level actor (null when the consumer has no such fd), else null
 * (stdin) or log. */
static int setup_stdio(struct corral_sup *s, struct actor *a, const struct identity *id,
                       struct spec_builder *b, int owned[3], struct cerr *err)
{
        const struct stdio_spec *spec[3] = {&a->prof->p.std_in, &a->prof->p.std_out,
                                            &a->prof->p.std_err};
        const enum spec_fd slot[3] = {SPEC_FD_STDIN, SPEC_FD_STDOUT, SPEC_FD_STDERR};
        const unsigned nullflag[3] = {SPEC_STDIN_NULL, SPEC_STDOUT_NULL, SPEC_STDERR_NULL};
        const int ours[3] = {0, s->opt.out_fd, s->opt.err_fd};
        static const char *const names[3] = {"our stdin", "our stdout", "our stderr"};

        for (int i = 0; i < 3; i++) {
                enum stdio_mode mode = spec[i]->mode;
                int p[2];

                owned[i] = -1;
                if (mode == STDIO_AUTO && !a->parent) /* the caller's own, if it has one */
                        mode = ours[i] >= 0 ? STDIO_INHERIT : STDIO_NULL;
                else if (mode == STDIO_AUTO)
                        mode = i == 0 ? STDIO_NULL : STDIO_LOG;
                switch (mode) {
                case STDIO_NULL:
                        b->hdr.flags |= nullflag[i];
                        break;
                case STDIO_AUTO: /* (resolved above) */
                case STDIO_INHERIT:
                        if (stdio_fd_ok(ours[i], names[i], err) < 0)
                                return -1;
                        spec_set_fd(b, slot[i], ours[i]);
                        break;
                case STDIO_FILE:
                        owned[i] = open_stdio_file(id, spec[i]->path, i, err);
                        if (owned[i] < 0 || stdio_fd_ok(owned[i], spec[i]->path, err) < 0)
                                return -1;
                        spec_set_fd(b, slot[i], owned[i]);
                        break;
                case STDIO_LOG: {
                        struct drain **d = i == 1 ? &a->out : &a->err;

                        if (i == 0) { /* there is nothing to drain into a program's stdin */
                                b->hdr.flags |= nullflag[i];
                                break;
                        }
                        /* the drain (and its line buffer) exists only for a stream drained */
                        *d = calloc(1, sizeof **d);
                        if (!*d)
                                return cerr_set(err, ENOMEM, CERR_ALLOC, "an output drain");
                        (*d)->fd = -1;
                        if (pipe_pair(p, err) < 0)
                                return -1;
                        /* our own pipe: O_NONBLOCK on our read end concerns nobody else */
                        fcntl(p[0], F_SETFL, O_NONBLOCK);
                        drain_init(*d, p[0], i == 1 ? &s->out.q : &s->errq.q, CORRAL_OUTQ_DATA_MAX,
                                   a->name);
                        owned[i] = p[1];
                        spec_set_fd(b, slot[i], p[1]);
                        /* in the set without events: output_watch decides when it is read */
                        if (sup_watch(s, p[0], 0, i == 1 ? &a->w_out : &a->w_err,
                                      i == 1 ? W_OUT : W_ERR, a) < 0)
                                return cerr_set(err, errno, CERR_SPAWN, "epoll_ctl");
                        break;
                }
                }
        }
        output_watch(s, a);
        return 0;
}

/* The PATH the program will see: the request's, its profile's Environment=, then ours. */
static const char *program_path_env(const struct actor *a, const struct corral_spawn *req)
{
        const struct strlist *env = &a->prof->p.environment;

        for (size_t i = 0; req->env && req->env[i]; i++) {
                if (strncmp(req->env[i], "PATH=", 5) == 0)
                        return req->env[i] + 5;
        }
        for (size_t i = 0; i < env->n; i++) {
                if (strncmp(env->v[i], "PATH=", 5) == 0)
                        return env->v[i] + 5;
        }
        return getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
}

static int open_candidate(const char *path, int *fd, int *best_errno)
{
        struct stat st;
        int f = open(path, O_PATH | O_CLOEXEC);

        if (f < 0) {
                if (errno != ENOENT && errno != ENOTDIR)
                        *best_errno = errno;
                return -1;
        }
        if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                *best_errno = EACCES; /* what execve says of a directory or a plain file */
                close(f);
                return -1;
        }
        *fd = f;
        return 0;
}

/* execvp's search, done here with the program's PATH and opened O_PATH before anything of
 * the actor's mounts exists: the child execs the fd (see the shim), so a program below a
 * path its own mounts hide still runs. Relative paths are made absolute against our cwd.
 * Returns 0, or -1 with the errno execvp would report (EACCES beats ENOENT). */
static int resolve_program(const struct actor *a, const struct corral_spawn *req, const char *argv0,
                           char *out, size_t len, int *fd, int *errnum)
{
        int best = ENOENT;
        const char *p;

        *fd = -1;
        if (strchr(argv0, '/')) {
                char cwd[PATH_MAX];

                if (argv0[0] == '/' || !getcwd(cwd, sizeof cwd))
                        snprintf(out, len, "%s", argv0);
                else
                        snprintf(out, len, "%s/%s", cwd, argv0);
                if (open_candidate(out, fd, &best) == 0)
                        return 0;
                *errnum = best;
                return -1;
        }
        for (p = program_path_env(a, req); p;) {
                const char *end = strchr(p, ':');
                size_t dl = end ? (size_t)(end - p) : strlen(p);

                if (dl == 0)
                        snprintf(out, len, "%s", argv0);
                else
                        snprintf(out, len, "%.*s/%s", (int)dl, p, argv0);
                if (open_candidate(out, fd, &best) == 0)
                        return 0;
                p = end ? end + 1 : NULL;
        }
        *errnum = best;
        return -1;
}

const struct sup_profile *spawn_profile(struct corral_sup *s, const char *name)
{
        if (!name)
                return s->nprofiles ? &s->profiles[0] : NULL;
        for (size_t i = 0; i < s->nprofiles; i++) {
                if (strcmp(s->profiles[i].p.name, name) == 0)
                        return &s->profiles[i];
        }
        return NULL;
}

static void watch_zygote_room(struct corral_sup *s, bool want)
{
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0),
                                 .data.ptr = &s->w_zygote};

        if (want != s->zygote_writable_wait && s->zy.sock >= 0 &&
            epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->zy.sock, &ev) == 0)
                s->zygote_writable_wait = want;
}

static void free_queued(struct queued_req *q)
{
        for (int i = 0; i < q->nowned; i++)
                close_fd(&q->owned[i]);
        spec_free(&q->b);
}

/* Handed to the zygote: our copies of the child's fds go (the child has its own now), and
 * the actor waits for its reply. */
static void sent(struct corral_sup *s, struct queued_req *q)
{
        struct actor *a = q->a;

        free_queued(q);
        a->t_sent = mono_us();
        a->next_in_flight = NULL;
        if (s->in_flight_tail)
                s->in_flight_tail->next_in_flight = a;
        else
                s->in_flight_head = a;
        s->in_flight_tail = a;
}

static int send_or_queue(struct corral_sup *s, struct queued_req *q, struct cerr *err)
{
        struct queued_req *held;

        if (!s->queue_head) {
                if (spec_send(&q->b, s->zy.sock, err) == 0) {
                        sent(s, q);
                        return 0;
                }
                if (err->errnum != EAGAIN && err->errnum != EWOULDBLOCK)
                        return -1;
        }
        /* The socket is full (the zygote is busy cloning): the request waits, in order. The
         * fds it names must outlive the caller's copies: passed fds are duplicated. */
        held = malloc(sizeof *held);
        if (!held)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "a queued spawn request");
        *held = *q;
        for (uint32_t i = 0; i < held->b.hdr.n_pass; i++) {
                int fd = fcntl(held->b.pass_fds[i], F_DUPFD_CLOEXEC, 3);

                if (fd < 0) {
                        int e = errno;

                        for (uint32_t j = 0; j < i; j++)
                                close(held->b.pass_fds[j]);
                        free(held);
                        return cerr_set(err, e, CERR_SPAWN,
                                        "keeping a passed fd for a queued spawn");
                }
                held->b.pass_fds[i] = fd;
                own(held, fd);
        }
        held->next = NULL;
        if (s->queue_tail)
                s->queue_tail->next = held;
        else
                s->queue_head = held;
        s->queue_tail = held;
        q->a->queued = held;
        watch_zygote_room(s, true);
        return 0;
}

void spawn_send_queued(struct corral_sup *s)
{
        while (s->queue_head) {
                struct queued_req *q = s->queue_head;
                struct cerr err = {0};

                if (spec_send(&q->b, s->zy.sock, &err) < 0) {
                        if (err.errnum == EAGAIN || err.errnum == EWOULDBLOCK)
                                return; /* still full: wait for room */
                        /* a request that cannot be sent at all: this spawn fails */
                        s->queue_head = q->next;
                        if (!s->queue_head)
                                s->queue_tail = NULL;
                        q->a->queued = NULL;
                        q->a->in_flight = false;
                        s->n_in_flight--;
                        free_queued(q);
                        actor_spawn_failed(s, q->a, STAGE_NONE, err.errnum, "zygote");
                        q->a->waiting = 0;
                        actor_ended(s, q->a, CS_IDLE);
                        free(q);
                        continue;
                }
                s->queue_head = q->next;
                if (!s->queue_head)
                        s->queue_tail = NULL;
                q->a->queued = NULL;
                sent(s, q);
                free(q);
        }
        watch_zygote_room(s, false);
}

void spawn_drop_queue(struct corral_sup *s)
{
        while (s->queue_head) {
                struct queued_req *q = s->queue_head;

                s->queue_head = q->next;
                q->a->queued = NULL;
                free_queued(q);
                free(q);
        }
        s->queue_tail = NULL;
        watch_zygote_room(s, false);
}

/* The seccomp filters the actor runs under (DESIGN §9: filters stack): its parent's chain,
 * then its own program unless the chain holds the same one already (identical programs are
 * loaded once: the kernel would run both to the same verdict). Refused when the kernel would
 * refuse to load it all, with the count, rather than by a child that fails at its last step. */
static int stack_plan(struct actor *a, struct cerr *err)
{
        const struct sup_profile *own = a->prof->same_bpf ? a->prof->same_bpf : a->prof;
        const struct actor *par = a->parent;
        uint32_t n = par ? par->nchain : 0;
        const struct sock_fprog **progs;
        const struct sup_profile *blocker = NULL;

        a->chain = calloc((size_t)n + 1, sizeof(const struct sup_profile *));
        progs = calloc((size_t)n + 1, sizeof(const struct sock_fprog *));
        if (!a->chain || !progs) {
                free(progs);
                return cerr_set(err, ENOMEM, CERR_ALLOC, "the seccomp chain");
        }
        if (n)
                memcpy(a->chain, par->chain, n * sizeof(const struct sup_profile *));
        a->nchain = n;
        if (own->bpf.len) {
                bool have = false;

                for (uint32_t i = 0; i < n && !have; i++)
                        have = a->chain[i] == own;
                if (!have)
                        a->chain[a->nchain++] = own;
        }
        for (uint32_t i = 0; i < a->nchain; i++) {
                progs[i] = &a->chain[i]->bpf;
                a->chain_stacked |= a->chain[i] != own;
                if (a->chain[i]->blocks_stacking && blocker) {
                        free(progs);
                        return cerr_set(err, EPERM, CERR_SPAWN,
                                        "SystemCallFilter=: the filters of profiles '%s' and '%s' "
                                        "both refuse seccomp(2), so neither can be loaded after "
                                        "the other (actor %s must run under both): add seccomp to "
                                        "one of their allow lists",
                                        blocker->p.name, a->chain[i]->p.name, a->name);
                }
                if (a->chain[i]->blocks_stacking)
                        blocker = a->chain[i];
        }
        a->chain_insns = seccomp_chain_insns(progs, a->nchain);
        free(progs);
        if (a->chain_insns > SECCOMP_CHAIN_INSNS_MAX)
                return cerr_set(err, E2BIG, CERR_SPAWN,
                                "SystemCallFilter=: actor %s would run under %u seccomp filters "
                                "(its ancestors' and its own) of %u BPF instructions in all, as "
                                "the kernel counts them (4 more per filter); the kernel's limit "
                                "is %d",
                                a->name, a->nchain, a->chain_insns, SECCOMP_CHAIN_INSNS_MAX);
        return 0;
}

/* The chain into the request, in the order the child loads it: outermost first, the actor's
 * own last; except that a filter refusing seccomp(2) (an allow list without it) must be the
 * last one loaded, or it would refuse the loads after it (stack_plan allowed one such). Only
 * which errno wins a tie between two filters depends on the order. */
static int add_filters(const struct actor *a, struct spec_builder *b, struct cerr *err)
{
        const struct sup_profile *last = NULL;

        for (uint32_t i = 0; i < a->nchain; i++) {
                const struct sup_profile *f = a->chain[i];

                if (f->blocks_stacking) {
                        last = f;
                        continue;
                }
                if (spec_add_bpf(b, f->bpf.filter, f->bpf.len, err) < 0)
                        return -1;
        }
        return last ? spec_add_bpf(b, last->bpf.filter, last->bpf.len, err) : 0;
}

/* PrivateNetwork=tree: the tree's namespace, made at the first spawn that asks for it. Only a
 * supervisor with CAP_SYS_ADMIN can make it and have its zygote enter it: refused with the
 * reason otherwise (a per-tree user namespace around the zygote would lift that, but corral
 * needs root to spawn at all today). */
static int tree_netns(struct corral_sup *s, struct cerr *err)
{
        if (s->tree_netns_fd >= 0)
                return s->tree_netns_fd;
        if (netns_create_loopback(&s->tree_netns_fd, err) < 0) {
                if (err->errnum == EPERM)
                        return cerr_wrap(err, "PrivateNetwork=tree: the tree's network namespace "
                                              "needs CAP_SYS_ADMIN in the supervisor, to create it "
                                              "and for its spawn server to enter it; use "
                                              "PrivateNetwork=actor without it");
                return cerr_wrap(err, "PrivateNetwork=tree: the tree's network namespace");
        }
        return s->tree_netns_fd;
}

/* The request's fixed part: flags, namespaces, strings, mounts, rlimits. */
static int build_request(struct corral_sup *s, struct actor *a, const struct corral_spawn *req,
                         const struct identity *id, const char *program, struct spec_builder *b,
                         int rw_fds[SPEC_MAX_RW], struct cerr *err)
{
        const struct profile *p = &a->prof->p;
        char cwd[PATH_MAX];
        uint32_t envc = 0, argc = 0;

        if (p->working_directory) {
                snprintf(cwd, sizeof cwd, "%s", p->working_directory);
                b->hdr.flags |= SPEC_CWD_EXPLICIT;
        } else if (!getcwd(cwd, sizeof cwd)) {
                snprintf(cwd, sizeof cwd, "/");
        }
        b->hdr.clone_flags = profile_clone_flags(p);
        if (s->opt.force_clone_fallback)
                b->hdr.flags |= SPEC_FORCE_CLONE_FALLBACK;
        if (s->opt.force_fd_walk)
                b->hdr.flags |= SPEC_FORCE_FD_WALK;
        if (p->keyring_mode == KEYRING_MODE_INHERIT)
                b->hdr.flags |= SPEC_SHARE_KEYRING;
        b->hdr.nofile = s->caller_nofile;
        if (spec_add_string(b, p->hostname ? p->hostname : a->name, err) < 0 ||
            spec_add_string(b, cwd, err) < 0 ||
            /* ProtectControlGroups=no shows the self/ leaf writable, never the node that
             * carries the actor's own limits */
            spec_add_string(b, p->protect_control_groups ? a->node : a->leaf, err) < 0 ||
            spec_add_string(b, program, err) < 0)
                return -1;
        for (; req->argv[argc]; argc++) {
                if (spec_add_string(b, req->argv[argc], err) < 0)
                        return -1;
        }
        b->hdr.argc = argc;
        if (spawn_build_env(s, a, req, id, b, &envc, err) < 0)
                return -1;
        b->hdr.envc = envc;
        if (spawn_add_paths(a, b, rw_fds, err) < 0)
                return -1;
        if (add_filters(a, b, err) < 0)
                return -1;
        b->hdr.cred = id->cred;
        b->hdr.map_uid = id->map_uid;
        b->hdr.map_gid = id->map_gid;
        if (id->userns) /* PrivateUsers=, and every actor of a rootless corral */
                b->hdr.clone_flags |= CLONE_NEWUSER;
        /* the mounts of §4a */
        b->hdr.flags |= SPEC_PROTECT_KERNEL;
        if (p->private_tmp)
                b->hdr.flags |= SPEC_PRIVATE_TMP;
        if (p->private_tmp_size.set && p->private_tmp_size.value != UNITS_INFINITY)
                b->hdr.tmp_size = p->private_tmp_size.value;
        if (p->private_devices)
                b->hdr.flags |= SPEC_PRIVATE_DEVICES;
        if (!p->protect_control_groups)
                b->hdr.flags |= SPEC_CGROUP_VIEW_RW;
        b->hdr.protect_system = (uint32_t)p->protect_system;
        if (b->hdr.clone_flags & CLONE_NEWNET) {
                b->hdr.flags |= SPEC_LOOPBACK;
                b->hdr.loopback_ifindex = s->opt.loopback_ifindex ? s->opt.loopback_ifindex : 1;
        }
        for (int r = 0; r < RLIMIT_NLIMITS; r++) {
                const struct rlimit_setting *rs = &p->rlimits[r];

                if (!rs->set)
                        continue;
                b->hdr.rlimits[b->hdr.n_rlimits].resource = (uint32_t)r;
                b->hdr.rlimits[b->hdr.n_rlimits].soft =
                    rs->soft == UNITS_INFINITY ? RLIM_INFINITY : rs->soft;
                b->hdr.rlimits[b->hdr.n_rlimits].hard =
                    rs->hard == UNITS_INFINITY ? RLIM_INFINITY : rs->hard;
                b->hdr.n_rlimits++;
        }
        return 0;
}

int spawn_watch_zygote(struct corral_sup *s, struct cerr *err)
{
        if (sup_watch(s, s->zy.sock, EPOLLIN, &s->w_zygote, W_ZYGOTE, NULL) < 0 ||
            sup_watch(s, s->zy.pidfd, EPOLLIN, &s->w_zygote_pid, W_ZYGOTE_PID, NULL) < 0)
                return cerr_set(err, errno, CERR_EPOLL, "watching the spawn server");
        return 0;
}

/* zygote_on_demand: the zygote, forked at the first spawn that needs it; before this spawn's
 * nodes, pipes and fds exist, so that it inherits (and closes) as little as can be. */
static int zygote_up(struct corral_sup *s, struct cerr *err)
{
        if (s->zy.pid > 0)
                return 0;
        if (zygote_start(&s->zy, err) < 0)
                return -1;
        if (spawn_watch_zygote(s, err) < 0) {
                zygote_stop(&s->zy);
                return -1;
        }
        return 0;
}

/* The supervisor clones the shim itself: the first spawn with zygote_on_demand (the root of
 * `corral run`), except into the tree's network namespace, which only the zygote enters. */
static bool clone_here(const struct corral_sup *s, const struct actor *a)
{
        return s->opt.zygote_on_demand && !s->cloned_here && s->zy.pid < 0 &&
               a->prof->p.private_network != PRIVATE_NETWORK_TREE;
}

/* The request the zygote would have read, cloned by the same code (shim_clone.c), at the same
 * point of the spawn. Why this is as safe as the zygote's clone:
 *  - nothing runs before the tree is registered and its nodes exist: corral_sup_open wrote
 *    the registry record and made the tree's node, and spawn_actor the actor's, before any
 *    spawn; a failed claim or setup returns before one, with nothing cloned;
 *  - the shim keeps none of our fds: its first step (shim.c: step_own_fds) keeps the
 *    request's fds alone, as SCM_RIGHTS would have given them, and stdio on /dev/null;
 *  - no handler or mask of ours reaches the program: CLONE_CLEAR_SIGHAND drops the handlers,
 *    the shim sets the zygote's dispositions (shim_detach) with every signal blocked, and
 *    the program's child resets those and empties its mask, as for any shim;
 *  - no controlling terminal: shim_detach gives the shim a session of its own (one per
 *    tree, as the zygote's was), which the program inherits;
 *  - the clone copies our page tables, as the zygote's fork at open did: we are as small
 *    now (zygote_on_demand is for such supervisors), and it saves that fork, a request's
 *    round trip and the zygote's stop. The v1 placement or fallback move (cgroup.procs)
 *    happens here, before the shim is released, as it would in the zygote. */
static int clone_direct(struct corral_sup *s, struct queued_req *q, struct spawn_here *here,
                        struct cerr *err)
{
        struct spec_req r;
        struct shim_clone_how how = {.close_in_child = -1, .direct = true};
        bool stranded;

        how.parent_pidfd = sys_pidfd_open(getpid(), 0);
        if (how.parent_pidfd < 0)
                return cerr_set(err, errno, CERR_SPAWN, "pidfd_open of the supervisor");
        if (spec_local(&q->b, &r, err) < 0) {
                close(how.parent_pidfd);
                return -1;
        }
        ns_clone3_probe(); /* as the zygote does: no sync round trip for not knowing */
        q->a->t_sent = mono_us();
        here->pidfd = shim_clone(&r, &how, &here->rep, &stranded);
        here->cloned = true;
        s->cloned_here = true;
        spec_req_release(&r);
        close(how.parent_pidfd);
        free_queued(q); /* our copies of the child's fds: it has its own */
        return 0;
}

/* -t: the shim opens a pty in the actor's own devpts (after its mounts) and sends the master
 * back over this socket before it forks the program; the program gets the slave as its stdio
 * and controlling terminal, with the caller's modes and window size. */
static int pty_channel(struct actor *a, struct queued_req *q, const struct corral_spawn *req,
                       struct cerr *err)
{
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return cerr_set(err, errno, CERR_SPAWN, "socketpair for the pty");
        a->pty_sock = sv[0];
        own(q, sv[1]);
        spec_set_fd(&q->b, SPEC_FD_PTY, sv[1]);
        q->b.hdr.flags |= SPEC_PTY;
        if (req->pty_mode) {
                q->b.hdr.pty_mode = *req->pty_mode;
                q->b.hdr.flags |= SPEC_PTY_MODE;
        }
        if (req->pty_size)
                q->b.hdr.pty_size = *req->pty_size;
        return 0;
}

int spawn_actor(struct corral_sup *s, struct actor *a, const struct corral_spawn *req,
                struct spawn_here *here, struct cerr *err)
{
        bool direct = clone_here(s, a);
        struct queued_req q = {.a = a};
        struct identity id;
        struct cg_node node, leaf = {.fd = -1};
        char program[PATH_MAX];
        int program_fd = -1, errnum = 0;
        int exec_p[2] = {-1, -1}, rep_p[2] = {-1, -1};
        int owned[3] = {-1, -1, -1};
        int rw_fds[SPEC_MAX_RW];
        int ctl_end = -1;
        int rc;

        spec_init(&q.b, 0, a->id);
        /* what can be refused before anything exists */
        if (stack_plan(a, err) < 0)
                return cerr_wrap(err, "spawning %s", a->name);
        if (a->prof->p.private_network == PRIVATE_NETWORK_TREE) {
                int fd = tree_netns(s, err);

                if (fd < 0)
                        return cerr_wrap(err, "spawning %s", a->name);
                spec_set_fd(&q.b, SPEC_FD_NETNS, fd); /* ours: kept, not closed once sent */
        }
        here->cloned = false;
        here->pidfd = -1;
        if (!direct && zygote_up(s, err) < 0)
                return cerr_wrap(err, "spawning %s: starting the spawn server", a->name);
        /* A fresh node per spawn: a killed node is never reused (DESIGN §4b). */
        if (cg_node_create_at(&node, a->parent ? a->parent->node_fd : s->tree_node.fd,
                              a->parent ? a->parent->node : s->tree_node.path,
                              strrchr(a->node, '/') + 1, s->tree, err) < 0)
                return cerr_wrap(err, "creating the node of actor %s", a->name);
        a->node_fd = node.fd;
        a->made_node = true;
        if (cg_node_create_at(&leaf, node.fd, a->node, "self", s->tree, err) < 0)
                return cerr_wrap(err, "creating the node of actor %s", a->name);
        a->made_leaf = true;
        own(&q, leaf.fd);

        if (resolve_program(a, req, req->argv[0], program, sizeof program, &program_fd, &errnum) <
            0) {
                /* what the child would have found: reported the same way, with nothing cloned;
                 * the status is the one the child would have exited with */
                close_fd(&leaf.fd);
                a->exec_desc = strdup(req->argv[0]);
                actor_spawn_failed(s, a, STAGE_EXECVE, errnum, NULL);
                a->waiting = 0;
                a->shim_status = (errnum == ENOENT ? 127 : 126) << 8;
                actor_ended(s, a, CS_IDLE);
                return 0;
        }
        own(&q, program_fd);
        q.b.hdr.req_id = ++s->next_req;
        a->req_id = q.b.hdr.req_id;
        if (spawn_apply_limits(s, a, leaf.fd, &q.b, err) < 0 ||
            identity_plan(&a->prof->p, s->cap_last, &id, err) < 0 ||
            build_request(s, a, req, &id, program, &q.b, rw_fds, err) < 0)
                goto out;
        /* for an execve that fails: what was run, as whom */
        if (asprintf(&a->exec_desc, "%s as %s", program, id.user) < 0)
                a->exec_desc = NULL;
        for (uint32_t i = 0; i < q.b.hdr.n_rw_paths; i++)
                own(&q, rw_fds[i]);

        /* Our read ends are non-blocking: the event loop must never wait on a pipe whose
         * writer may live on (a shim that landed while the zygote died before replying). */
        if (pipe_pair(exec_p, err) < 0)
                goto out;
        a->exec_rd = exec_p[0];
        own(&q, exec_p[1]);
        if (pipe_pair(rep_p, err) < 0)
                goto out;
        a->report_rd = rep_p[0];
        own(&q, rep_p[1]);
        fcntl(a->exec_rd, F_SETFL, O_NONBLOCK);
        fcntl(a->report_rd, F_SETFL, O_NONBLOCK);
        spec_set_fd(&q.b, SPEC_FD_CGROUP, leaf.fd);
        spec_set_fd(&q.b, SPEC_FD_PROGRAM, program_fd);
        spec_set_fd(&q.b, SPEC_FD_EXEC_PIPE, exec_p[1]);
        spec_set_fd(&q.b, SPEC_FD_REPORT, rep_p[1]);
        rc = setup_stdio(s, a, &id, &q.b, owned, err);
        for (int i = 0; i < 3; i++)
                own(&q, owned[i]);
        if (rc < 0)
                goto out;
        for (int i = 0; i < req->npass; i++) {
                if (spec_add_pass(&q.b, req->pass[i].fd, err) < 0)
                        goto out;
        }
        if ((req->flags & CORRAL_SPAWN_PTY) && pty_channel(a, &q, req, err) < 0)
                goto out;
        if (ctl_open(s, a, &ctl_end, err) < 0)
                goto out;
        own(&q, ctl_end);
        spec_set_fd(&q.b, SPEC_FD_CTL, ctl_end);
        if (sup_watch(s, a->exec_rd, EPOLLIN, &a->w_exec, W_EXEC, a) < 0 ||
            sup_watch(s, a->report_rd, EPOLLIN, &a->w_report, W_REPORT, a) < 0) {
                cerr_set(err, errno, CERR_SPAWN, "epoll_ctl");
                goto out;
        }
        if (direct) {
                if (clone_direct(s, &q, here, err) < 0)
                        goto out;
                return 0;
        }
        a->in_flight = true;
        s->n_in_flight++;
        if (send_or_queue(s, &q, err) < 0) {
                a->in_flight = false;
                s->n_in_flight--;
                goto out;
        }
        return 0;
out:
        free_queued(&q);
        return cerr_wrap(err, "spawning %s", a->name);
}
