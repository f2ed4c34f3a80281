/* One actor's life in the supervisor: its node, its spawn request, the pipes and pidfd that
 * tell what became of it, and its exit reason. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/clone.h"
#include "../ns/creds.h"
#include "../ns/mounts.h"
#include "../ns/safepath.h"
#include "../ns/signals.h"
#include "../ns/timeutil.h"
#include "../policy/units.h"
#include "limits.h"
#include "shim.h"
#include "sup.h"

extern char **environ;

bool actor_live(const struct actor *a)
{
        return !a->dead;
}

static int pipe_pair(int p[2], struct cerr *err)
{
        if (pipe2(p, O_CLOEXEC) < 0)
                return cerr_set(err, errno, "spawn", "pipe2");
        return 0;
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

/* The caller's environment minus corral's own variables and socket-activation variables that
 * were meant for corral, then the profile's Environment=, then what corral tells the program. */
static int build_env(struct supervisor *s, struct actor *a, struct spec_builder *b, uint32_t *envc,
                     struct cerr *err)
{
        char buf[PATH_MAX + 64];
        uint32_t n = 0;

        for (char **e = environ; e && *e; e++) {
                bool overridden = false;
                const char *eq = strchr(*e, '=');

                if (!eq || strncmp(*e, "CORRAL_", 7) == 0 || strncmp(*e, "LISTEN_", 7) == 0)
                        continue;
                for (size_t i = 0; i < a->prof.environment.n && !overridden; i++)
                        overridden =
                            strncmp(a->prof.environment.v[i], *e, (size_t)(eq - *e) + 1) == 0;
                if (overridden)
                        continue;
                if (spec_add_string(b, *e, err) < 0)
                        return -1;
                n++;
        }
        for (size_t i = 0; i < a->prof.environment.n; i++) {
                if (spec_add_string(b, a->prof.environment.v[i], err) < 0)
                        return -1;
                n++;
        }
        snprintf(buf, sizeof buf, "CORRAL_ACTOR_ID=%u", a->id);
        if (spec_add_string(b, buf, err) < 0)
                return -1;
        snprintf(buf, sizeof buf, "CORRAL_ACTOR_NAME=%s", a->name);
        if (spec_add_string(b, buf, err) < 0)
                return -1;
        snprintf(buf, sizeof buf, "CORRAL_TREE=%s", s->tree);
        if (spec_add_string(b, buf, err) < 0)
                return -1;
        n += 3;
        if (s->opt->npass > 0) {
                size_t off;

                snprintf(buf, sizeof buf, "LISTEN_FDS=%d", s->opt->npass);
                if (spec_add_string(b, buf, err) < 0)
                        return -1;
                off = (size_t)snprintf(buf, sizeof buf, "LISTEN_FDNAMES=");
                for (int i = 0; i < s->opt->npass && off < sizeof buf; i++)
                        off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s", i ? ":" : "",
                                                s->opt->pass[i].name);
                if (spec_add_string(b, buf, err) < 0)
                        return -1;
                n += 2;
        }
        *envc = n;
        return 0;
}

/* A directory (or an O_PATH handle) as stdio would hand the program a way around its mounts
 * (openat from it reaches the host's tree): directories travel only by --fd, by name. */
static int stdio_fd_ok(int fd, const char *what, struct cerr *err)
{
        struct stat st;
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || fstat(fd, &st) < 0)
                return cerr_set(err, errno, "stdio", "%s (fd %d) is not open", what, fd);
        if (S_ISDIR(st.st_mode) || (fl & O_PATH))
                return cerr_set(err, EISDIR, "stdio",
                                "%s is a directory or a path handle: refused as stdio (pass it "
                                "with --fd if the program is meant to have it)",
                                what);
        return 0;
}

/* Stdin=/Stdout=/Stderr=file:PATH, opened as the program would open it itself (DESIGN §5):
 * with its fsuid, fsgid, groups and capabilities (uid and gid outside its user namespace, with
 * PrivateUsers=), and through the safe-path walk, which refuses a symlink an unprivileged user
 * could have planted. The program gets nothing it could not have opened. */
static int open_stdio_file(const struct spec_hdr *h, const char *path, int stream, struct cerr *err)
{
        static const char *const what[3] = {"Stdin=file:", "Stdout=file:", "Stderr=file:"};
        const struct cred_plan *c = &h->cred;
        struct creds_fs_saved saved;
        struct safepath_fail fail;
        bool userns = h->clone_flags & CLONE_NEWUSER;
        int flags = stream == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND;
        int fd, e;

        if (c->set_ids &&
            creds_fs_enter(userns ? h->map_uid : c->uid, userns ? h->map_gid : c->gid, c->groups,
                           userns ? 0 : c->ngroups,
                           c->uid == 0 && !userns ? c->bounding | c->ambient : c->ambient,
                           &saved) < 0)
                return cerr_set(err, errno, "stdio", "taking the program's identity to open %s",
                                path);
        fd = safepath_open(path, flags, 0644, &fail);
        e = errno;
        if (c->set_ids && creds_fs_leave(&saved) < 0) {
                /* we cannot vouch for our own identity any more: stop here */
                if (fd >= 0)
                        close(fd);
                return cerr_set(err, errno, "stdio", "restoring our identity after opening %s",
                                path);
        }
        if (fd < 0) {
                fail.errnum = e;
                return safepath_cerr(err, "stdio", what[stream], path, &fail);
        }
        return fd;
}

/* ReadWritePaths=: each resolved with the safe-path rule in our (the host's) namespace, as
 * root, since the mount is ours to make; cloned there as a detached mount, read-write and
 * private; handed to the shim, which mounts the clone on the same path without resolving it
 * again. A path that does not exist is skipped, as with systemd's "-" prefix. */
static int add_rw_paths(const struct actor *a, struct spec_builder *b, int fds[SPEC_MAX_RW],
                        struct cerr *err)
{
        const struct strlist *l = &a->prof.read_write_paths;

        for (size_t i = 0; i < l->n; i++) {
                struct safepath_fail fail;
                int fd = safepath_open(l->v[i], O_PATH, 0, &fail);
                int tree;

                if (fd < 0 && fail.errnum == ENOENT && !fail.unsafe_link)
                        continue;
                if (fd < 0)
                        return safepath_cerr(err, "mount", "ReadWritePaths=", l->v[i], &fail);
                tree = mounts_rw_clone(fd);
                close(fd);
                if (tree < 0)
                        return cerr_set(err, errno, "mount",
                                        "ReadWritePaths=%s: cloning the mount (open_tree)",
                                        l->v[i]);
                if (b->hdr.n_rw_paths < SPEC_MAX_RW)
                        fds[b->hdr.n_rw_paths] = tree;
                if (spec_add_rw(b, l->v[i], tree, err) < 0) {
                        close(tree);
                        return -1;
                }
        }
        return 0;
}

/* stdio per the profile: a pipe we drain (log), our own fd (inherit), a file, or /dev/null. */
static int setup_stdio(struct supervisor *s, struct actor *a, struct spec_builder *b, int owned[3],
                       struct cerr *err)
{
        const struct stdio_spec *spec[3] = {&a->prof.std_in, &a->prof.std_out, &a->prof.std_err};
        const enum spec_fd slot[3] = {SPEC_FD_STDIN, SPEC_FD_STDOUT, SPEC_FD_STDERR};
        const unsigned nullflag[3] = {SPEC_STDIN_NULL, SPEC_STDOUT_NULL, SPEC_STDERR_NULL};
        const int ours[3] = {0, s->opt->out_fd, s->opt->err_fd};
        static const char *const names[3] = {"our stdin", "our stdout", "our stderr"};

        for (int i = 0; i < 3; i++) {
                int p[2];

                owned[i] = -1;
                switch (spec[i]->mode) {
                case STDIO_NULL:
                        b->hdr.flags |= nullflag[i];
                        break;
                case STDIO_INHERIT:
                        if (stdio_fd_ok(ours[i], names[i], err) < 0)
                                return -1;
                        spec_set_fd(b, slot[i], ours[i]);
                        break;
                case STDIO_FILE:
                        owned[i] = open_stdio_file(&b->hdr, spec[i]->path, i, err);
                        if (owned[i] < 0 || stdio_fd_ok(owned[i], spec[i]->path, err) < 0)
                                return -1;
                        spec_set_fd(b, slot[i], owned[i]);
                        break;
                case STDIO_LOG: {
                        char prefix[PROFILE_NAME_MAX + 8];
                        struct drain *d = i == 1 ? &a->out : &a->err;

                        if (i == 0) { /* there is nothing to drain into a program's stdin */
                                b->hdr.flags |= nullflag[i];
                                break;
                        }
                        if (pipe_pair(p, err) < 0)
                                return -1;
                        /* our own pipe: O_NONBLOCK on our read end concerns nobody else */
                        fcntl(p[0], F_SETFL, O_NONBLOCK);
                        snprintf(prefix, sizeof prefix, "[%s] ", a->name);
                        drain_init(d, p[0], i == 1 ? &s->out : &s->errs, prefix);
                        owned[i] = p[1];
                        spec_set_fd(b, slot[i], p[1]);
                        if (sup_watch(s, p[0], EPOLLIN, i == 1 ? &a->w_out : &a->w_err,
                                      i == 1 ? W_OUT : W_ERR, a) < 0)
                                return cerr_set(err, errno, "spawn", "epoll_ctl");
                        break;
                }
                }
        }
        return 0;
}

static uint64_t clone_flags(const struct profile *p)
{
        uint64_t f = CLONE_NEWPID | CLONE_NEWNS;

        if (p->namespaces & PROFILE_NS_IPC)
                f |= CLONE_NEWIPC;
        if (p->namespaces & PROFILE_NS_UTS)
                f |= CLONE_NEWUTS;
        if (p->namespaces & PROFILE_NS_CGROUP)
                f |= CLONE_NEWCGROUP;
        if (p->private_network != PRIVATE_NETWORK_NO)
                f |= CLONE_NEWNET;
        if (p->private_users)
                f |= CLONE_NEWUSER;
        return f;
}

static int lookup_user(const char *name, uid_t *uid, gid_t *gid, char *canon, size_t len,
                       struct cerr *err)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        char *end;
        unsigned long n = strtoul(name, &end, 10);

        if (*name && !*end) { /* numeric: need not exist in /etc/passwd */
                *uid = (uid_t)n;
                *gid = (gid_t)n;
                if (getpwuid_r(*uid, &pw, buf, sizeof buf, &res) == 0 && res) {
                        *gid = res->pw_gid;
                        snprintf(canon, len, "%s", res->pw_name);
                } else {
                        canon[0] = '\0';
                }
                return 0;
        }
        if (getpwnam_r(name, &pw, buf, sizeof buf, &res) != 0 || !res)
                return cerr_set(err, ENOENT, "credentials", "User=%s: no such user", name);
        *uid = res->pw_uid;
        *gid = res->pw_gid;
        snprintf(canon, len, "%s", res->pw_name);
        return 0;
}

static int lookup_group(const char *name, gid_t *gid, struct cerr *err)
{
        struct group gr, *res = NULL;
        char buf[8192];
        char *end;
        unsigned long n = strtoul(name, &end, 10);

        if (*name && !*end) {
                *gid = (gid_t)n;
                return 0;
        }
        if (getgrnam_r(name, &gr, buf, sizeof buf, &res) != 0 || !res)
                return cerr_set(err, ENOENT, "credentials", "group %s: no such group", name);
        *gid = res->gr_gid;
        return 0;
}

/* Who the program runs as (DESIGN §4a): User=/Group=/SupplementaryGroups=, else the user who
 * invoked sudo, else the caller, unless the caller is root: then nobody. With PrivateUsers=
 * it is uid 0 inside a user namespace, and that user (never root) outside. Capabilities:
 * only what the profile grants. */
static int build_creds(struct supervisor *s, struct actor *a, struct spec_hdr *h, struct cerr *err)
{
        const struct profile *p = &a->prof;
        struct cred_plan *c = &h->cred;
        const char *sudo_uid = getenv("SUDO_UID"), *sudo_gid = getenv("SUDO_GID");
        const char *sudo_user = getenv("SUDO_USER");
        char user[256] = "";
        bool have_user = false;

        memset(c, 0, sizeof *c);
        c->cap_last = s->cap_last;
        c->bounding = p->capability_bounding_set;
        c->ambient = p->ambient_capabilities;
        if (p->user) {
                if (lookup_user(p->user, &c->uid, &c->gid, user, sizeof user, err) < 0)
                        return -1;
                have_user = true;
        } else if (getuid() == 0 && sudo_uid) {
                c->uid = (uid_t)strtoul(sudo_uid, NULL, 10);
                c->gid = sudo_gid ? (gid_t)strtoul(sudo_gid, NULL, 10) : (gid_t)c->uid;
                snprintf(user, sizeof user, "%s", sudo_user ? sudo_user : "");
                have_user = true;
        } else if (getuid() == 0) {
                /* Root without sudo: not root. Without capabilities uid 0 would still own most
                 * of the host's files (/root, /var, /dev/shm ...); nobody owns none of them.
                 * User=root asks for root explicitly. */
                /* the kernel's overflow ids, which every distribution names nobody/nogroup:
                 * no NSS lookup (loading its modules cost a one-shot run about a millisecond) */
                c->uid = c->gid = 65534;
                user[0] = '\0';
                have_user = true;
        } else {
                c->uid = getuid();
                c->gid = getgid();
        }
        if (p->group) {
                if (lookup_group(p->group, &c->gid, err) < 0)
                        return cerr_wrap(err, "Group=");
                have_user = true;
        }
        if (have_user) {
                int n = CREDS_MAX_GROUPS;

                c->set_ids = true;
                /* the user's own groups, as login would set them */
                if (user[0] && getgrouplist(user, c->gid, c->groups, &n) >= 0)
                        c->ngroups = n;
                else
                        c->groups[c->ngroups++] = c->gid;
        }
        for (size_t i = 0; i < p->supplementary_groups.n; i++) {
                if (c->ngroups == CREDS_MAX_GROUPS)
                        return cerr_set(err, E2BIG, "credentials", "more than %d groups",
                                        CREDS_MAX_GROUPS);
                if (lookup_group(p->supplementary_groups.v[i], &c->groups[c->ngroups], err) < 0)
                        return cerr_wrap(err, "SupplementaryGroups=");
                c->ngroups++;
                c->set_ids = true;
        }
        if (p->private_users) {
                /* inside: root, with whatever capabilities the profile grants there */
                h->map_uid = c->uid == 0 ? 65534 : c->uid;
                h->map_gid = c->gid == 0 ? 65534 : c->gid;
                /* only uid/gid 0 exist inside: become them (the mapped outside ids) */
                c->set_ids = true;
                c->uid = 0;
                c->gid = 0;
                c->ngroups = 0;
        }
        return 0;
}

/* The PATH the program will see: its profile's Environment= first, then ours. */
static const char *program_path_env(const struct actor *a)
{
        for (size_t i = 0; i < a->prof.environment.n; i++) {
                if (strncmp(a->prof.environment.v[i], "PATH=", 5) == 0)
                        return a->prof.environment.v[i] + 5;
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
static int resolve_program(const struct actor *a, const char *argv0, char *out, size_t len, int *fd,
                           int *errnum)
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
        for (p = program_path_env(a); p;) {
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

/* The profile's resource limits on the actor's node: v2 where the controller is enabled
 * there, else a v1 group mirrored at the same path, into which the zygote places the shim
 * before releasing it. */
static int apply_limits(struct supervisor *s, struct actor *a, const char *node_name,
                        struct spec_builder *b, struct cerr *err)
{
        unsigned mask = limits_mask(&a->prof);
        char used_v1[64] = "";

        for (int c = 0; c < CG_NCTRL; c++) {
                const struct cg_ctrl_info *ci = &s->host.ctrl[c];
                struct limit_write w[4];
                int n;
                bool v1 = ci->src == CG_SRC_V1;

                if (!(mask & (1u << c)) || ci->src == CG_SRC_NONE || (v1 && !ci->v1.own_dir[0]))
                        continue;
                n = limits_writes(&a->prof, (enum cg_ctrl)c, v1, w, 4);
                if (!v1) {
                        /* the controller must be enabled on every level above the node */
                        if (cg_node_enable(&s->base, 1u << c, err) < 0 ||
                            cg_node_enable(&s->tree_node, 1u << c, err) < 0)
                                return cerr_wrap(err,
                                                 "enabling %s for corral's nodes (is it "
                                                 "enabled in %s/cgroup.subtree_control?)",
                                                 cg_ctrl_name(c), s->deleg.own_dir);
                        for (int i = 0; i < n; i++) {
                                if (cg_node_write(&a->node, w[i].file, w[i].value, err) < 0)
                                        return -1;
                        }
                        if (c == CG_MEMORY &&
                            (cg_node_enable(&a->node, 1u << CG_MEMORY, err) < 0 ||
                             cg_node_write(&a->self, "memory.oom.group", "1", err) < 0))
                                return -1;
                        continue;
                }
                /* The tree's v1 group once per run; per spawn only the actor's own, at the same
                 * path as its v2 node. v1 has no no-internal-processes rule: the shim goes
                 * straight into the actor's group, no self/ level (one mkdir less). */
                if (s->v1_tree_node[c].fd < 0) {
                        char rel[PATH_MAX];

                        snprintf(rel, sizeof rel, "%s/%s", CG_BASE_NAME, s->tree_node_name);
                        if (cg_v1_mirror(&s->v1_tree_node[c], ci->v1.own_dir, rel, s->tree, err) <
                            0)
                                return cerr_wrap(err, "creating the tree's v1 %s group",
                                                 cg_ctrl_name(c));
                }
                if (cg_node_create(&a->v1node[c], s->v1_tree_node[c].path, node_name, s->tree,
                                   err) < 0)
                        return cerr_wrap(err, "creating the v1 %s group", cg_ctrl_name(c));
                for (int i = 0; i < n; i++) {
                        if (cg_node_write(&a->v1node[c], w[i].file, w[i].value, err) < 0)
                                return -1;
                }
                if (spec_add_v1(b, a->v1node[c].fd, err) < 0)
                        return -1;
                snprintf(used_v1 + strlen(used_v1), sizeof used_v1 - strlen(used_v1), "%s%s",
                         used_v1[0] ? "," : "", cg_ctrl_name(c));
        }
        if (used_v1[0] && !s->said_v1) {
                struct ev e;

                s->said_v1 = true;
                ev_begin(&e, s, "host", NULL);
                ev_str(&e, "message",
                       "hybrid host: these controllers are limited through "
                       "cgroup v1");
                ev_str(&e, "v1", used_v1);
                ev_end(&e);
        }
        return 0;
}

int actor_spawn(struct supervisor *s, struct actor *a, char *const *argv, struct cerr *err)
{
        struct spec_builder b;
        char node_name[PROFILE_NAME_MAX + 16];
        char cwd[PATH_MAX], program[PATH_MAX];
        int program_fd = -1, errnum = 0;
        int exec_p[2] = {-1, -1}, rep_p[2] = {-1, -1};
        int owned[3] = {-1, -1, -1};
        int rw_fds[SPEC_MAX_RW];
        uint32_t envc = 0, argc = 0;
        int rc = -1;

        a->pidfd = a->exec_rd = a->report_rd = -1;
        a->out.fd = a->err.fd = -1;
        a->node.fd = a->self.fd = -1;
        for (int c = 0; c < CG_NCTRL; c++)
                a->v1node[c].fd = -1;
        a->t_spawn = mono_us();
        /* A fresh node per spawn: a killed node is never reused (DESIGN §4b). */
        snprintf(node_name, sizeof node_name, "%s-%u", a->name, a->id);
        if (cg_node_create(&a->node, s->tree_node.path, node_name, s->tree, err) < 0 ||
            cg_node_create(&a->self, a->node.path, "self", s->tree, err) < 0)
                return cerr_wrap(err, "creating the node of actor %s", a->name);

        if (resolve_program(a, argv[0], program, sizeof program, &program_fd, &errnum) < 0) {
                /* what the child would have found: reported the same way, with nothing cloned */
                actor_fail_before_clone(s, a, STAGE_EXECVE, errnum);
                return 0;
        }
        spec_init(&b, ++s->next_req, a->id);
        if (a->prof.working_directory) {
                snprintf(cwd, sizeof cwd, "%s", a->prof.working_directory);
                b.hdr.flags |= SPEC_CWD_EXPLICIT;
        } else if (!getcwd(cwd, sizeof cwd)) {
                snprintf(cwd, sizeof cwd, "/");
        }
        if (apply_limits(s, a, node_name, &b, err) < 0)
                goto out;
        a->req_id = b.hdr.req_id;
        b.hdr.clone_flags = clone_flags(&a->prof);
        if (s->opt->force_clone_fallback)
                b.hdr.flags |= SPEC_FORCE_CLONE_FALLBACK;
        if (s->opt->force_fd_walk)
                b.hdr.flags |= SPEC_FORCE_FD_WALK;
        if (s->opt->share_keyring)
                b.hdr.flags |= SPEC_SHARE_KEYRING;
        b.hdr.nofile = s->caller_nofile;

        if (spec_add_string(&b, a->prof.hostname ? a->prof.hostname : a->name, err) < 0 ||
            spec_add_string(&b, cwd, err) < 0 ||
            /* ProtectControlGroups=no shows the self/ leaf writable, never the node that
             * carries the actor's own limits */
            spec_add_string(&b, a->prof.protect_control_groups ? a->node.path : a->self.path, err) <
                0 ||
            spec_add_string(&b, program, err) < 0)
                goto out;
        for (; argv[argc]; argc++) {
                if (spec_add_string(&b, argv[argc], err) < 0)
                        goto out;
        }
        b.hdr.argc = argc;
        if (build_env(s, a, &b, &envc, err) < 0)
                goto out;
        b.hdr.envc = envc;
        if (add_rw_paths(a, &b, rw_fds, err) < 0)
                goto out;
        if (spec_add_bpf(&b, s->bpf.filter, s->bpf.len, err) < 0)
                goto out;
        if (build_creds(s, a, &b.hdr, err) < 0)
                goto out;
        /* the mounts of §4a */
        b.hdr.flags |= SPEC_PROTECT_KERNEL;
        if (a->prof.private_tmp)
                b.hdr.flags |= SPEC_PRIVATE_TMP;
        if (!a->prof.protect_control_groups)
                b.hdr.flags |= SPEC_CGROUP_VIEW_RW;
        b.hdr.protect_system = (uint32_t)a->prof.protect_system;
        if (b.hdr.clone_flags & CLONE_NEWNET) {
                b.hdr.flags |= SPEC_LOOPBACK;
                b.hdr.loopback_ifindex = s->opt->loopback_ifindex ? s->opt->loopback_ifindex : 1;
        }
        for (int r = 0; r < RLIMIT_NLIMITS; r++) {
                const struct rlimit_setting *rs = &a->prof.rlimits[r];

                if (!rs->set)
                        continue;
                b.hdr.rlimits[b.hdr.n_rlimits].resource = (uint32_t)r;
                b.hdr.rlimits[b.hdr.n_rlimits].soft =
                    rs->soft == UNITS_INFINITY ? RLIM_INFINITY : rs->soft;
                b.hdr.rlimits[b.hdr.n_rlimits].hard =
                    rs->hard == UNITS_INFINITY ? RLIM_INFINITY : rs->hard;
                b.hdr.n_rlimits++;
        }

        /* Our read ends are non-blocking: the event loop must never wait on a pipe whose
         * writer may live on (a shim that landed while the zygote died before replying). */
        if (pipe_pair(exec_p, err) < 0)
                goto out;
        a->exec_rd = exec_p[0];
        if (pipe_pair(rep_p, err) < 0)
                goto out;
        a->report_rd = rep_p[0];
        fcntl(a->exec_rd, F_SETFL, O_NONBLOCK);
        fcntl(a->report_rd, F_SETFL, O_NONBLOCK);
        spec_set_fd(&b, SPEC_FD_CGROUP, a->self.fd);
        spec_set_fd(&b, SPEC_FD_PROGRAM, program_fd);
        spec_set_fd(&b, SPEC_FD_EXEC_PIPE, exec_p[1]);
        spec_set_fd(&b, SPEC_FD_REPORT, rep_p[1]);
        if (setup_stdio(s, a, &b, owned, err) < 0)
                goto out;
        for (int i = 0; i < s->opt->npass; i++) {
                if (spec_add_pass(&b, s->opt->pass[i].fd, err) < 0)
                        goto out;
        }
        if (sup_watch(s, a->exec_rd, EPOLLIN, &a->w_exec, W_EXEC, a) < 0 ||
            sup_watch(s, a->report_rd, EPOLLIN, &a->w_report, W_REPORT, a) < 0) {
                cerr_set(err, errno, "spawn", "epoll_ctl");
                goto out;
        }
        if (spec_send(&b, s->zy.sock, err) < 0)
                goto out;
        rc = 0;
out:
        /* The child has its copies (or never will): ours of the write ends go. */
        close_fd(&exec_p[1]);
        close_fd(&rep_p[1]);
        close_fd(&program_fd);
        for (int i = 0; i < 3; i++)
                close_fd(&owned[i]);
        for (uint32_t i = 0; i < b.hdr.n_rw_paths; i++)
                close_fd(&rw_fds[i]);
        spec_free(&b);
        if (rc < 0)
                cerr_wrap(err, "spawning %s", a->name);
        return rc;
}

static void emit_started(struct supervisor *s, struct actor *a)
{
        struct ev e;

        if (a->started || !a->replied || !a->exec_done || a->spawn_failed || a->pid <= 0)
                return;
        a->started = true;
        ev_begin(&e, s, "started", a);
        ev_int(&e, "pid", a->pid);
        ev_str(&e, "node", a->self.path);
        ev_str(&e, "spawn", a->fallback ? "clone-fallback" : "clone3");
        ev_end(&e);
}

/* label: the sub-step that failed ("mount-proc", "clone3"), or NULL for the stage's name */
static void spawn_failed(struct supervisor *s, struct actor *a, int stage, int e, const char *label)
{
        struct ev ev;

        if (a->spawn_failed)
                return;
        a->spawn_failed = true;
        a->fail_stage = stage;
        a->fail_errno = e;
        snprintf(a->fail_msg, sizeof a->fail_msg, "%s",
                 label && *label ? label : spawn_stage_name(stage));
        snprintf(a->reason, sizeof a->reason, "spawn-failed %s: %s", a->fail_msg, strerror(e));
        ev_begin(&ev, s, "spawn-failed", a);
        ev_str(&ev, "stage", a->fail_msg);
        ev_str(&ev, "error", strerror(e));
        ev_end(&ev);
}

void actor_fail_before_clone(struct supervisor *s, struct actor *a, int stage, int e)
{
        spawn_failed(s, a, stage, e, NULL);
        a->replied = a->exec_done = true;
        /* the status the child would have exited with, as the shells' convention has it */
        a->shim_status = (stage == STAGE_EXECVE ? (e == ENOENT ? 127 : 126) : 125) << 8;
        a->dead = true;
        actor_on_pidfd(s, a);
}

void actor_on_reply(struct supervisor *s)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct spec_reply rep;
        struct iovec iov = {.iov_base = &rep, .iov_len = sizeof rep};
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
        struct actor *a = s->root;
        int pidfd = -1;
        ssize_t n = recvmsg(s->zy.sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                actor_zygote_lost(s);
                return;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        memcpy(&pidfd, CMSG_DATA(c), sizeof pidfd);
        }
        /* The zygote answers a request it could not even parse with req_id 0: with one spawn
         * in flight at a time, that failure is this spawn's. */
        if (rep.req_id == 0 && rep.errnum && a && !a->replied)
                rep.req_id = a->req_id;
        if ((size_t)n != sizeof rep || rep.magic != SPEC_MAGIC || !a || rep.req_id != a->req_id ||
            a->replied) {
                if (pidfd >= 0)
                        close(pidfd);
                return; /* not a reply we are waiting for */
        }
        a->replied = true;
        a->fallback = rep.fallback;
        if (rep.pid > 0 && pidfd >= 0) {
                a->pid = rep.pid;
                a->pidfd = pidfd;
                sup_watch(s, a->pidfd, EPOLLIN, &a->w_pidfd, W_PIDFD, a);
                /* A spawn that lands while its tree is being torn down is part of the cascade. */
                if (s->stage != CS_IDLE)
                        pidfd_signal(a->pidfd, SIGKILL, NULL);
        } else {
                if (pidfd >= 0)
                        close(pidfd);
                a->dead = true;
        }
        if (rep.errnum)
                spawn_failed(s, a, rep.stage, rep.errnum, rep.stage == STAGE_NONE ? rep.msg : NULL);
        emit_started(s, a);
        if (a->dead)
                actor_on_pidfd(s, a);
}

void actor_check_stopped(struct supervisor *s)
{
        struct actor *a = s->root;
        siginfo_t si;

        if (!a || a->dead || a->pidfd < 0)
                return;
        memset(&si, 0, sizeof si);
        if (waitid((idtype_t)P_PIDFD, (id_t)a->pidfd, &si, WSTOPPED | WNOHANG) == 0 &&
            si.si_pid > 0 && si.si_code == CLD_STOPPED) {
                char why[96];

                snprintf(why, sizeof why, "the shim (pid %d) was stopped (%s)", (int)si.si_pid,
                         sig_name(si.si_status));
                cascade_start(s, why);
        }
}

/* The zygote died while we still needed it: say how, once (it was killed by something, or
 * crashed); pending spawns fail with an error. */
static void report_zygote_death(struct supervisor *s)
{
        siginfo_t si;
        struct ev e;
        char msg[160];

        memset(&si, 0, sizeof si);
        if (s->zy.pidfd < 0 ||
            waitid((idtype_t)P_PIDFD, (id_t)s->zy.pidfd, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
            si.si_pid <= 0)
                return;
        if (si.si_code == CLD_EXITED)
                snprintf(msg, sizeof msg, "the spawn server (zygote, pid %d) exited with status %d",
                         (int)si.si_pid, si.si_status);
        else
                snprintf(msg, sizeof msg, "the spawn server (zygote, pid %d) died of %s",
                         (int)si.si_pid, sig_name(si.si_status));
        ev_begin(&e, s, "error", NULL);
        ev_str(&e, "message", msg);
        ev_end(&e);
}

void actor_zygote_exited(struct supervisor *s)
{
        sup_unwatch(s, s->zy.pidfd);
        report_zygote_death(s);
        actor_zygote_lost(s);
}

void actor_zygote_lost(struct supervisor *s)
{
        struct actor *a = s->root;

        sup_unwatch(s, s->zy.sock);
        if (a && !a->replied) {
                a->replied = true;
                a->dead = true;
                spawn_failed(s, a, STAGE_NONE, EPIPE, "zygote");
                actor_on_pidfd(s, a);
        }
}

void actor_on_exec(struct supervisor *s, struct actor *a)
{
        struct spec_child_error rec;
        ssize_t n = read(a->exec_rd, &rec, sizeof rec);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n == (ssize_t)sizeof rec) {
                rec.detail[sizeof rec.detail - 1] = '\0';
                spawn_failed(s, a, rec.stage, rec.errnum, rec.detail);
        }
        /* EOF (or the record, after which the child exits): no more to learn here */
        if (n <= 0 || n == (ssize_t)sizeof rec) {
                sup_unwatch(s, a->exec_rd);
                close_fd(&a->exec_rd);
                a->exec_done = true;
                emit_started(s, a);
        }
}

void actor_on_report(struct supervisor *s, struct actor *a)
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

void actor_on_output(struct supervisor *s, struct actor *a, bool is_err)
{
        struct drain *d = is_err ? &a->err : &a->out;
        int fd = d->fd;

        /* a bounded budget per turn: one flooding actor cannot starve the loop */
        if (drain_read(d, 1 << 20) == 0)
                sup_unwatch(s, fd);
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
        if (a->spawn_failed)
                return; /* reason already says where it failed */
        if (a->oom_killed)
                snprintf(a->reason, sizeof a->reason, "oom-killed (%s)", st);
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
                snprintf(a->reason, sizeof a->reason, "seccomp (%s)", st);
        else if (WIFSIGNALED(status) && crash_signal(WTERMSIG(status)))
                snprintf(a->reason, sizeof a->reason, "%s", st); /* whatever the stage */
        else if (a->ended_in != CS_IDLE)
                snprintf(a->reason, sizeof a->reason, "%s (%s)", cstage_outcome(a->ended_in), st);
        else
                snprintf(a->reason, sizeof a->reason, "%s", st);
}

int actor_exit_code(const struct actor *a)
{
        if (a->spawn_failed) {
                if (a->fail_stage == STAGE_EXECVE)
                        return a->fail_errno == ENOENT ? 127 : 126;
                return 125;
        }
        return wstatus_exit_code(a->have_report ? a->wstatus : a->shim_status);
}

void actor_on_pidfd(struct supervisor *s, struct actor *a)
{
        struct ev e;
        char st[80];

        if (a->finished)
                return;
        if (a->pidfd >= 0) {
                int status = 0;
                struct cerr err = {0};

                status = WSTATUS_UNKNOWN;
                if (pidfd_wait(a->pidfd, 0, &status, &err) == 0)
                        return; /* spurious */
                a->shim_status = status;
                sup_unwatch(s, a->pidfd);
                close_fd(&a->pidfd);
        }
        a->dead = true;
        a->finished = true;
        a->t_exit = mono_us();
        a->ended_in = s->stage == CS_CANCEL || s->stage == CS_INTERRUPT ||
                              s->stage == CS_TERMINATE || s->stage == CS_KILL
                          ? s->stage
                          : CS_IDLE;
        for (int c = 0; c < CG_NCTRL && !a->oom_killed; c++) {
                /* v1 counts the kill in the victim's memcg: the actor's group, where the shim
                 * and everything it forked live */
                if (c == CG_MEMORY && a->v1node[c].fd >= 0)
                        a->oom_killed = limits_oom_kills(&a->v1node[c], true) > 0;
        }
        if (!a->oom_killed && (limits_mask(&a->prof) & (1u << CG_MEMORY)) &&
            s->host.ctrl[CG_MEMORY].src == CG_SRC_V2)
                a->oom_killed = limits_oom_kills(&a->node, false) > 0;
        /* Everything the dead shim wrote is in the pipes now: read it before deciding. */
        if (a->report_rd >= 0)
                actor_on_report(s, a);
        if (a->exec_rd >= 0)
                actor_on_exec(s, a);
        describe_exit(a);
        ev_begin(&e, s, "exited", a);
        ev_str(&e, "reason", a->reason);
        ev_str(&e, "status",
               wstatus_describe(a->have_report ? a->wstatus : a->shim_status, st, sizeof st));
        ev_int(&e, "exit_code", actor_exit_code(a));
        ev_int(&e, "duration_ms", (a->t_exit - a->t_spawn) / 1000);
        ev_end(&e);
}

void actor_close(struct supervisor *s, struct actor *a)
{
        struct drain *d[2] = {&a->out, &a->err};

        for (int i = 0; i < 2; i++) {
                if (d[i]->fd >= 0) {
                        int fd = d[i]->fd;

                        /* all writers are gone: take what is left, then report losses */
                        drain_read(d[i], 64u << 20);
                        if (d[i]->fd >= 0) {
                                sup_unwatch(s, fd);
                                drain_close(d[i]);
                        }
                }
                if (d[i]->dropped) {
                        struct ev e;

                        ev_begin(&e, s, "output-dropped", a);
                        ev_str(&e, "stream", i == 0 ? "stdout" : "stderr");
                        ev_int(&e, "bytes", (long long)d[i]->dropped);
                        ev_int(&e, "of", (long long)d[i]->bytes);
                        ev_end(&e);
                        d[i]->dropped = 0;
                }
        }
        if (a->pidfd >= 0) {
                sup_unwatch(s, a->pidfd);
                close_fd(&a->pidfd);
        }
        if (a->exec_rd >= 0) {
                sup_unwatch(s, a->exec_rd);
                close_fd(&a->exec_rd);
        }
        if (a->report_rd >= 0) {
                sup_unwatch(s, a->report_rd);
                close_fd(&a->report_rd);
        }
        cg_node_close(&a->self);
        cg_node_close(&a->node);
        for (int c = 0; c < CG_NCTRL; c++) {
                cg_node_close(&a->v1node[c]);
        }
}
