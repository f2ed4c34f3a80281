#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ns/rootless.h"
#include "../spawner/registry.h"

struct cg_mounts th_host;
struct cg_delegation th_deleg;
char th_base_rel[64];
char th_base_v2[PATH_MAX];
pid_t th_runner;

static int base_created_corral; /* the run created <own>/corral in v2 */

int th_ms(int ms)
{
        const char *s = getenv("CORRAL_TEST_SLOWDOWN");
        double f = s ? atof(s) : 1.0;

        if (f < 1.0)
                f = 1.0;
        return (int)(ms * f);
}

static const char *build_path(const char *name)
{
        static char buf[2][PATH_MAX];
        static int i;
        const char *b = getenv("BUILD");
        char *out = buf[i++ % 2];

        snprintf(out, PATH_MAX, "%s/%s", b && *b ? b : "build", name);
        if (out[0] != '/') {
                char cwd[PATH_MAX / 2];

                if (getcwd(cwd, sizeof cwd)) {
                        char tmp[PATH_MAX];

                        snprintf(tmp, sizeof tmp, "%s/%s", cwd, out);
                        snprintf(out, PATH_MAX, "%s", tmp);
                }
        }
        return out;
}

const char *th_actor(void)
{
        return build_path("corral-test-actor");
}

const char *th_corral(void)
{
        return build_path("corral");
}

static void v1_path_of(enum cg_ctrl c, const char *rel, char *out, size_t len)
{
        snprintf(out, len, "%s/%s", th_host.ctrl[c].v1.own_dir, rel);
}

void th_tree_create(struct th_tree *t, const char *name)
{
        static int counter;
        struct cerr err = {0};
        char ebuf[600];

        memset(t, 0, sizeof t->v1_path);
        snprintf(t->name, sizeof t->name, "%s-%d-%d", name, (int)getpid(), ++counter);
        for (int c = 0; c < CG_NCTRL; c++)
                t->v1_path[c][0] = '\0';
        if (cg_node_create(&t->v2, th_base_v2, t->name, "ctest", &err) < 0)
                ck_abort_msg("creating test node: %s", cerr_str(&err, ebuf, sizeof ebuf));
}

void th_tree_v1(struct th_tree *t, enum cg_ctrl c, struct cg_node *out)
{
        struct cerr err = {0};
        char rel[PATH_MAX], ebuf[600];

        ck_assert_msg(th_host.ctrl[c].src == CG_SRC_V1, "%s is not on v1 here", cg_ctrl_name(c));
        snprintf(rel, sizeof rel, "%s/%s", th_base_rel, t->name);
        if (cg_v1_mirror(out, th_host.ctrl[c].v1.own_dir, rel, "ctest", &err) < 0)
                ck_abort_msg("creating v1 group: %s", cerr_str(&err, ebuf, sizeof ebuf));
        snprintf(t->v1_path[c], sizeof t->v1_path[c], "%s", out->path);
}

void th_tree_finish(struct th_tree *t)
{
        struct cerr err = {0};
        char ebuf[600];
        int populated;
        bool leaked = false;

        /* a test may have removed its node itself already */
        populated = access(t->v2.path, F_OK) == 0 ? cg_node_populated(&t->v2, &err) : 0;
        if (populated != 0) {
                leaked = true;
                cg_node_kill(&t->v2, &err);
                cg_node_wait_empty(&t->v2, th_ms(5000), &err);
        }
        cg_node_close(&t->v2);
        if (cg_remove_tree(t->v2.path, &err) < 0)
                ck_abort_msg("removing %s: %s", t->v2.path, cerr_str(&err, ebuf, sizeof ebuf));
        ck_assert_msg(access(t->v2.path, F_OK) < 0 && errno == ENOENT, "%s still exists",
                      t->v2.path);
        for (int c = 0; c < CG_NCTRL; c++) {
                if (!t->v1_path[c][0])
                        continue;
                if (cg_remove_tree(t->v1_path[c], &err) < 0)
                        ck_abort_msg("removing %s: %s", t->v1_path[c],
                                     cerr_str(&err, ebuf, sizeof ebuf));
                ck_assert_msg(access(t->v1_path[c], F_OK) < 0 && errno == ENOENT, "%s still exists",
                              t->v1_path[c]);
        }
        ck_assert_msg(!leaked, "leak: %s still held processes at the end of the test", t->name);
}

void th_enable_v2(enum cg_ctrl c)
{
        struct cerr err = {0};
        struct cg_node n;
        char path[PATH_MAX], ebuf[600];

        ck_assert_msg(th_host.ctrl[c].src == CG_SRC_V2, "%s is not on v2 here", cg_ctrl_name(c));
        snprintf(path, sizeof path, "%s/corral", th_deleg.own_dir);
        for (int i = 0; i < 2; i++) {
                if (cg_node_open(&n, i == 0 ? path : th_base_v2, &err) < 0 ||
                    cg_node_enable(&n, 1u << c, &err) < 0)
                        ck_abort_msg("enabling %s: %s", cg_ctrl_name(c),
                                     cerr_str(&err, ebuf, sizeof ebuf));
                cg_node_close(&n);
        }
}

/* Returns the number of offending cgroups below dir (each named on stderr when say). */
static int layout_walk(const char *dir, int depth, bool say)
{
        char path[PATH_MAX + 16], procs[256];
        struct dirent *de;
        bool children = false;
        int bad = 0, fd;
        ssize_t n;
        DIR *d;

        if (depth > 64 || !(d = opendir(dir)))
                return 0; /* removed while we looked: a finished tree */
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                children = true;
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                bad += layout_walk(path, depth + 1, say);
        }
        closedir(d);
        if (!children)
                return bad;
        snprintf(path, sizeof path, "%s/cgroup.procs", dir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return bad;
        n = read(fd, procs, sizeof procs - 1);
        close(fd);
        if (n > 0) {
                procs[n] = '\0';
                procs[strcspn(procs, "\n")] = '\0';
                if (say)
                        fprintf(stderr,
                                "layout: %s has child cgroups and holds processes (%s...)\n", dir,
                                procs);
                bad++;
        }
        return bad;
}

static const char *layout_top(char *path, size_t len)
{
        if (th_host.v2_own_is_root) /* the root holds the rest of the host, and is exempt */
                snprintf(path, len, "%s/corral", th_deleg.own_dir);
        else
                snprintf(path, len, "%s", th_deleg.own_dir);
        return path;
}

int th_layout_violations(void)
{
        char path[PATH_MAX];

        return layout_walk(layout_top(path, sizeof path), 0, false);
}

void th_assert_layout(void)
{
        char path[PATH_MAX];
        int bad = layout_walk(layout_top(path, sizeof path), 0, true);

        ck_assert_msg(bad == 0, "%d cgroup(s) below %s hold processes beside child cgroups", bad,
                      path);
}

/* What a shim holds once its program runs: stdio on /dev/null, its signalfd, the report pipe
 * and the supervisor's pidfd; nothing of the supervisor's (the registry record, epoll,
 * cgroup nodes, sockets), whether the zygote cloned it or the supervisor itself did. */
void th_assert_shim_fds(pid_t shim)
{
        char path[64], target[PATH_MAX];
        int nsig = 0, npidfd = 0, npipe = 0, n = 0;
        struct dirent *de;
        DIR *d;

        /* (the shim closes the request's fds once its program runs: the program may have said
         * "ready" first; the exec pipe, whose EOF is `started`, goes last) */
        snprintf(path, sizeof path, "/proc/%d/fd", (int)shim);
        d = opendir(path);
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                char link[PATH_MAX];
                ssize_t len;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(link, sizeof link, "/proc/%d/fd/%s", (int)shim, de->d_name);
                len = readlink(link, target, sizeof target - 1);
                ck_assert_int_gt(len, 0);
                target[len] = '\0';
                n++;
                if (atoi(de->d_name) <= 2) {
                        ck_assert_msg(strcmp(target, "/dev/null") == 0, "shim fd %s is %s",
                                      de->d_name, target);
                        continue;
                }
                nsig += strcmp(target, "anon_inode:[signalfd]") == 0;
                npidfd += strcmp(target, "anon_inode:[pidfd]") == 0;
                npipe += strncmp(target, "pipe:", 5) == 0;
                ck_assert_msg(strcmp(target, "anon_inode:[signalfd]") == 0 ||
                                  strcmp(target, "anon_inode:[pidfd]") == 0 ||
                                  strncmp(target, "pipe:", 5) == 0,
                              "shim holds fd %s: %s", de->d_name, target);
        }
        closedir(d);
        ck_assert_msg(n == 6 && nsig == 1 && npidfd == 1 && npipe == 1,
                      "shim: %d fds, %d signalfd, %d pidfd, %d pipe", n, nsig, npidfd, npipe);
}

void th_assert_dead(int pidfd, int ms, const char *what)
{
        struct pollfd p = {.fd = pidfd, .events = POLLIN};

        ck_assert_msg(poll(&p, 1, th_ms(ms)) == 1, "%s is still alive after %d ms", what,
                      th_ms(ms));
}

/* ---- privileged probe and the run's base ---- */

static bool require_privileged(void)
{
        const char *s = getenv("CORRAL_REQUIRE_PRIVILEGED");

        return s && strcmp(s, "1") == 0;
}

static int probe_privileged(char *why, size_t len)
{
        struct cerr err = {0};
        char ebuf[600];
        struct cg_node base;
        int rc;

        if (cg_mounts_discover(&th_host, &err) < 0 || cg_mounts_usable(&th_host, &err) < 0 ||
            cg_delegation_probe(&th_host, &th_deleg, &err) < 0) {
                snprintf(why, len, "no usable cgroup v2 hierarchy: %s",
                         cerr_str(&err, ebuf, sizeof ebuf));
                return -1;
        }
        /* not root: the suites run rootless (ns/rootless.h) where corral itself can */
        if (rootless_refuse(&th_host, &err) < 0) {
                snprintf(why, len,
                         "not running as root (euid %d), and rootless corral cannot "
                         "run here: %s",
                         (int)geteuid(), cerr_str(&err, ebuf, sizeof ebuf));
                return -1;
        }
        if (!th_deleg.ok) {
                snprintf(why, len, "cgroup v2 is not delegated to us: %s; %s", th_deleg.problem,
                         th_deleg.fix);
                return -1;
        }
        if (cg_delegation_enter_leaf(&th_deleg, &err) < 0) {
                snprintf(why, len, "%s", cerr_str(&err, ebuf, sizeof ebuf));
                return -1;
        }
        rc = cg_base_open(&th_deleg, &base, &err);
        if (rc < 0) {
                snprintf(why, len, "cannot create %s/corral: %s", th_deleg.own_dir,
                         cerr_str(&err, ebuf, sizeof ebuf));
                return -1;
        }
        base_created_corral = rc;
        snprintf(th_base_rel, sizeof th_base_rel, "corral/ctest-%d", (int)getpid());
        cg_node_close(&base);
        snprintf(th_base_v2, sizeof th_base_v2, "%s/%s", th_deleg.own_dir, th_base_rel);
        {
                struct cg_node b;
                char parent[PATH_MAX];

                snprintf(parent, sizeof parent, "%s/corral", th_deleg.own_dir);
                if (cg_node_create(&b, parent, strrchr(th_base_rel, '/') + 1, "ctest", &err) < 0) {
                        snprintf(why, len, "%s", cerr_str(&err, ebuf, sizeof ebuf));
                        return -1;
                }
                cg_node_close(&b);
        }
        return 0;
}

bool th_clean_tree(const char *name);

/* After all suites: anything left below the base is a leak. Kill it, remove it, report. */
static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (type == FTW_DP)
                rmdir(path);
        else
                unlink(path);
        return 0; /* go on whatever failed: this is a best-effort sweep */
}

const char *th_repo(const char *rel, char *out, size_t len)
{
        char cwd[PATH_MAX];

        ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
        snprintf(out, len, "%s/%s", cwd, rel);
        return out;
}

const char *th_scratch(const char *what, char *out, size_t len)
{
        snprintf(out, len, "/run/corral-test-%s-%d", what, (int)th_runner);
        return out;
}

static int sweep(const char *name)
{
        struct cerr err = {0};
        char ebuf[600], path[PATH_MAX];
        struct cg_node b;
        int leaks = 0;

        if (cg_node_open(&b, th_base_v2, &err) == 0) {
                char buf[4096];
                int populated = cg_node_populated(&b, &err);

                if (populated != 0) {
                        fprintf(stderr, "%s: LEAK: processes left in %s\n", name, th_base_v2);
                        leaks++;
                        cg_node_kill(&b, &err);
                        cg_node_wait_empty(&b, th_ms(5000), &err);
                }
                (void)buf;
                cg_node_close(&b);
        }
        for (int h = -1; h < CG_NCTRL; h++) {
                const char *dir = h < 0 ? th_base_v2 : path;

                if (h >= 0) {
                        if (th_host.ctrl[h].src != CG_SRC_V1 || !th_host.ctrl[h].v1.own_dir[0])
                                continue;
                        v1_path_of(h, th_base_rel, path, sizeof path);
                }
                if (access(dir, F_OK) < 0)
                        continue;
                {
                        char cmd[PATH_MAX + 64];
                        FILE *f;
                        int subdirs = 0;

                        snprintf(cmd, sizeof cmd, "find '%s' -mindepth 1 -type d", dir);
                        f = popen(cmd, "r");
                        if (f) {
                                char line[PATH_MAX];

                                while (fgets(line, sizeof line, f)) {
                                        fprintf(stderr, "%s: LEAK: cgroup left behind: %s", name,
                                                line);
                                        subdirs++;
                                }
                                pclose(f);
                        }
                        leaks += subdirs;
                }
                if (cg_remove_tree(dir, &err) < 0) {
                        fprintf(stderr, "%s: cannot remove %s: %s\n", name, dir,
                                cerr_str(&err, ebuf, sizeof ebuf));
                        leaks++;
                }
                /* the intermediate <own>/corral in v1 hierarchies exists only for the run */
                if (h >= 0) {
                        char *slash = strrchr(path, '/');

                        *slash = '\0';
                        rmdir(path);
                }
        }
        /* trees the run started through `corral run` (named t<pid>-...): a supervisor killed
         * with its test leaves them orphaned; anything left is a leak */
        {
                char prefix[32], cmd[PATH_MAX + 128];
                FILE *f;

                snprintf(prefix, sizeof prefix, "t%d-", (int)getpid());
                snprintf(cmd, sizeof cmd, "ls /run/corral 2>/dev/null; ls '%s/corral' 2>/dev/null",
                         th_deleg.own_dir);
                f = popen(cmd, "r");
                while (f && fgets(path, sizeof path, f)) {
                        char tree[128];

                        path[strcspn(path, "\n")] = '\0';
                        if (strncmp(path, prefix, strlen(prefix)) != 0)
                                continue;
                        snprintf(tree, sizeof tree, "%.*s", (int)strcspn(path, "."), path);
                        if (strstr(path, ".json") || strstr(path, ".sock"))
                                snprintf(tree, sizeof tree, "%.*s", (int)(strlen(path) - 5), path);
                        else
                                snprintf(tree, sizeof tree, "%s", path);
                        fprintf(stderr, "%s: LEAK: tree %s left behind\n", name, tree);
                        leaks++;
                        th_clean_tree(tree);
                }
                if (f)
                        pclose(f);
        }
        /* a scratch socket a confinement test listens on (its test may have aborted) */
        snprintf(path, sizeof path, "%s/ctest-%d.sock", th_registry(), (int)th_runner);
        unlink(path);
        /* scratch trees named /run/corral-test-WHAT-<runner> (th_scratch): removed whole */
        {
                glob_t g;

                snprintf(path, sizeof path, "/run/corral-test-*-%d", (int)th_runner);
                if (glob(path, 0, NULL, &g) == 0) {
                        for (size_t i = 0; i < g.gl_pathc; i++)
                                nftw(g.gl_pathv[i], remove_one, 16, FTW_DEPTH | FTW_PHYS);
                        globfree(&g);
                }
        }
        if (base_created_corral) {
                snprintf(path, sizeof path, "%s/corral", th_deleg.own_dir);
                rmdir(path); /* fails harmlessly when another run is using it */
        }
        return leaks;
}

const char *th_registry(void)
{
        const char *d = registry_default_dir();

        return d ? d : REGISTRY_DIR;
}

const char *th_as_root(void)
{
        return rootless_mode() ? "PrivateUsers=yes" : "User=root";
}

const char *th_as_other(void)
{
        static char own[32];

        if (!rootless_mode())
                return "User=nobody";
        snprintf(own, sizeof own, "User=%u", (unsigned)geteuid());
        return own;
}

unsigned th_default_uid(void)
{
        return rootless_mode() ? (unsigned)geteuid() : 65534;
}

bool th_skip_rootless(const char *fn, const char *why)
{
        size_t n = strlen(fn);

        if (!rootless_mode())
                return false;
        /* (Check names the function NAME_fn) */
        if (n > 3 && strcmp(fn + n - 3, "_fn") == 0)
                n -= 3;
        fprintf(stderr, "SKIP (rootless) %.*s: %s\n", (int)n, fn, why);
        return true;
}

int th_run(const char *name, enum th_kind kind, Suite *(*const *suites)(void), int nsuites)
{
        SRunner *sr;
        int failed;
        int leaks = 0;

        th_runner = getpid();
        if (kind == TH_PRIVILEGED) {
                char why[800];

                if (probe_privileged(why, sizeof why) < 0) {
                        fprintf(stderr,
                                "\n*** %s: PRIVILEGED TESTS NOT RUN: %s.\n"
                                "*** They need root, or a user's delegated cgroup on a pure "
                                "cgroup v2 host (rootless), and a writable cgroup v2 "
                                "hierarchy.%s\n\n",
                                name, why,
                                require_privileged()
                                    ? " CORRAL_REQUIRE_PRIVILEGED=1: this is a failure."
                                    : "");
                        return require_privileged() ? 1 : 77;
                }
        }
        sr = srunner_create(suites[0]());
        for (int i = 1; i < nsuites; i++)
                srunner_add_suite(sr, suites[i]());
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        if (kind == TH_PRIVILEGED) {
                leaks = sweep(name);
                if (leaks)
                        fprintf(stderr, "%s: %d leftover(s) found after the suites: FAIL\n", name,
                                leaks);
        }
        return failed || leaks ? 1 : 0;
}

/* ---- running the corral command ---- */

#include <sys/wait.h>

#include "../ns/syscalls.h"
#include "../ns/timeutil.h"

void th_corral_start(struct th_proc *p, const char *const *args, int stdout_fd,
                     void (*prep)(void *), void *ctx)
{
        int outp[2] = {-1, -1}, errp[2];
        const char *argv[64];
        int n = 0;

        memset(p, 0, sizeof *p);
        argv[n++] = th_corral();
        for (; args[n - 1] && n < 63; n++)
                argv[n] = args[n - 1];
        argv[n] = NULL;
        ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
        if (stdout_fd < 0)
                ck_assert_int_eq(pipe2(outp, O_CLOEXEC), 0);
        p->pid = fork();
        ck_assert_int_ge(p->pid, 0);
        if (p->pid == 0) {
                dup2(stdout_fd >= 0 ? stdout_fd : outp[1], 1);
                dup2(errp[1], 2);
                /* from /, reachable inside every actor: a checkout under /tmp (a CI clone)
                 * is hidden by the private /tmp, and the fallback's warning would be in every
                 * stderr a test reads (prep may choose another directory) */
                if (chdir("/") < 0)
                        _exit(126);
                if (prep)
                        prep(ctx);
                execv(argv[0], (char **)argv);
                _exit(126);
        }
        close(errp[1]);
        p->err = errp[0];
        fcntl(p->err, F_SETFL, O_NONBLOCK);
        if (outp[1] >= 0) {
                close(outp[1]);
                p->out = outp[0];
                fcntl(p->out, F_SETFL, O_NONBLOCK);
        } else {
                p->out = -1;
        }
        p->pidfd = sys_pidfd_open(p->pid, 0);
        ck_assert_int_ge(p->pidfd, 0);
}

/* corral run --name NAME --events json [FLAG] EXTRA... -- [FIRST] PROG...: FLAG (when not
 * NULL) goes before each of EXTRA, FIRST (when not NULL) before the program's arguments. */
static void start_run(struct th_proc *p, char *name, const char *what, const char *flag,
                      const char *const *extra, const char *first, const char *const *prog,
                      void (*prep)(void *), void *ctx)
{
        const char *args[64];
        int n = 0;

        snprintf(name, 64, "%s", th_tree_name(what));
        args[n++] = "run";
        args[n++] = "--name";
        args[n++] = name;
        args[n++] = "--events";
        args[n++] = "json";
        for (; extra && *extra && n < 40; extra++) {
                if (flag)
                        args[n++] = flag;
                args[n++] = *extra;
        }
        args[n++] = "--";
        if (first)
                args[n++] = first;
        for (; *prog && n < 63; prog++)
                args[n++] = *prog;
        args[n] = NULL;
        th_corral_start(p, args, -1, prep, ctx);
}

void th_run_actor(struct th_proc *p, char *name, const char *what, const char *const *extra,
                  const char *const *prog, void (*prep)(void *), void *ctx)
{
        start_run(p, name, what, NULL, extra, th_actor(), prog, prep, ctx);
}

void th_run_prog(struct th_proc *p, char *name, const char *what, const char *const *sets,
                 const char *const *prog)
{
        start_run(p, name, what, "--set", sets, NULL, prog, NULL, NULL);
}

static void slurp(int fd, char *buf, size_t *len, size_t cap)
{
        for (;;) {
                ssize_t r;

                if (*len + 1 >= cap) {
                        char sink[4096];

                        if (read(fd, sink, sizeof sink) <= 0)
                                break;
                        continue;
                }
                r = read(fd, buf + *len, cap - 1 - *len);
                if (r <= 0)
                        break;
                *len += (size_t)r;
                buf[*len] = '\0';
        }
}

static void pump(struct th_proc *p, int ms)
{
        struct pollfd fds[2] = {{.fd = p->err, .events = POLLIN}, {.fd = p->out, .events = POLLIN}};

        poll(fds, p->out >= 0 ? 2 : 1, ms);
        slurp(p->err, p->errbuf, &p->errlen, sizeof p->errbuf);
        if (p->out >= 0)
                slurp(p->out, p->outbuf, &p->outlen, sizeof p->outbuf);
}

bool th_has_line(const char *buf, const char *line)
{
        size_t n = strlen(line);

        for (const char *p = buf; (p = strstr(p, line)); p++) {
                if ((p == buf || p[-1] == '\n') && p[n] == '\n')
                        return true;
        }
        return false;
}

const char *th_line_starting(const char *buf, const char *start)
{
        for (const char *p = buf; (p = strstr(p, start)); p++) {
                if (p == buf || p[-1] == '\n')
                        return p;
        }
        return NULL;
}

bool th_wait_for(struct th_proc *p, bool in_stdout, const char *needle, int ms)
{
        int64_t end = mono_ms() + th_ms(ms);

        for (;;) {
                pump(p, 0);
                if (strstr(in_stdout ? p->outbuf : p->errbuf, needle))
                        return true;
                if (mono_ms() >= end)
                        return false;
                pump(p, 20);
        }
}

int th_corral_wait(struct th_proc *p, int ms)
{
        int64_t end = mono_ms() + th_ms(ms);
        int status;

        for (;;) {
                struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};

                pump(p, 0);
                if (poll(&pf, 1, 0) == 1)
                        break;
                if (mono_ms() >= end) {
                        kill(p->pid, SIGKILL);
                        waitpid(p->pid, NULL, 0);
                        ck_abort_msg("corral did not exit within %d ms; events:\n%s", th_ms(ms),
                                     p->errbuf);
                }
                pump(p, 20);
        }
        ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
        /* what was still in the pipes */
        for (int i = 0; i < 5; i++)
                pump(p, 10);
        close(p->pidfd);
        close(p->err);
        if (p->out >= 0)
                close(p->out);
        p->pidfd = p->err = p->out = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *find_event(const char *buf, const char *event, const char *field,
                              const char *value, int skip)
{
        char pat[96];
        const char *line = buf;

        snprintf(pat, sizeof pat, "\"event\":\"%s\"", event);
        while ((line = strstr(line, pat))) {
                const char *end = strchr(line, '\n');
                char want[256];

                if (!field || !value) {
                        if (skip-- == 0)
                                return line;
                } else {
                        snprintf(want, sizeof want, "\"%s\":\"%s\"", field, value);
                        {
                                const char *hit = strstr(line, want);

                                if (hit && (!end || hit < end) && skip-- == 0)
                                        return line;
                        }
                }
                line += strlen(pat);
        }
        return NULL;
}

const char *th_event(const struct th_proc *p, const char *event, const char *field, char *out,
                     size_t len)
{
        const char *line = find_event(p->errbuf, event, NULL, NULL, 0);
        const char *end, *v;
        char pat[96];
        size_t n = 0;

        out[0] = '\0';
        if (!line)
                return out;
        end = strchr(line, '\n');
        snprintf(pat, sizeof pat, "\"%s\":", field);
        v = strstr(line, pat);
        if (!v || (end && v > end))
                return out;
        v += strlen(pat);
        if (*v == '"') {
                for (v++; *v && *v != '"' && n + 1 < len; v++) {
                        if (*v == '\\' && v[1])
                                v++;
                        out[n++] = *v;
                }
        } else {
                while (*v && *v != ',' && *v != '}' && n + 1 < len)
                        out[n++] = *v++;
        }
        out[n] = '\0';
        return out;
}

int th_event_count(const struct th_proc *p, const char *event, const char *field, const char *value)
{
        int n = 0;

        while (find_event(p->errbuf, event, field, value, n))
                n++;
        return n;
}

const char *th_tree_name(const char *what)
{
        static char buf[64];
        static int counter;

        snprintf(buf, sizeof buf, "t%d-%d-%s", (int)getpid(), ++counter, what);
        return buf;
}

const char *th_tree_node(const char *own, const char *name, char *out, size_t len)
{
        char dir[PATH_MAX];
        size_t nl = strlen(name);
        struct dirent *de;
        DIR *d;

        out[0] = '\0';
        snprintf(dir, sizeof dir, "%s/corral", own);
        d = opendir(dir);
        while (d && (de = readdir(d))) {
                const char *id = de->d_name + nl + 1;

                if (strncmp(de->d_name, name, nl) == 0 && de->d_name[nl] == '.' &&
                    strlen(id) == 8 && strspn(id, "0123456789abcdef") == 8) {
                        snprintf(out, len, "%s/%s", dir, de->d_name);
                        break;
                }
        }
        if (d)
                closedir(d);
        return out;
}

bool th_clean_tree(const char *name)
{
        char path[PATH_MAX];
        struct cerr err = {0};
        bool leaked = false;

        for (int h = -1; h < CG_NCTRL; h++) {
                const char *own = h < 0 ? th_deleg.own_dir : th_host.ctrl[h].v1.own_dir;

                if (h >= 0 && (th_host.ctrl[h].src != CG_SRC_V1 || !own[0]))
                        continue;
                while (th_tree_node(own, name, path, sizeof path)[0]) {
                        struct cg_node n;

                        leaked = true;
                        fprintf(stderr, "LEAK: %s still exists\n", path);
                        /* this run's tree by its name: ours even if a crash left it untagged */
                        cg_adopt_tree(path, "ctest", &err);
                        if (h < 0 && cg_node_open(&n, path, &err) == 0) {
                                cg_node_kill(&n, &err);
                                cg_node_wait_empty(&n, th_ms(5000), &err);
                                cg_node_close(&n);
                        }
                        if (cg_remove_tree(path, &err) < 0) {
                                char ebuf[600];

                                fprintf(stderr, "cannot remove %s: %s\n", path,
                                        cerr_str(&err, ebuf, sizeof ebuf));
                                break;
                        }
                }
        }
        /* its record, and the admin socket beside it */
        for (int i = 0; i < 2; i++) {
                snprintf(path, sizeof path, "%s/%s.%s", th_registry(), name, i ? "sock" : "json");
                if (access(path, F_OK) == 0) {
                        leaked = true;
                        fprintf(stderr, "LEAK: %s still exists\n", path);
                        unlink(path);
                }
        }
        return leaked;
}

void th_assert_tree_gone(const char *name)
{
        ck_assert_msg(!th_clean_tree(name), "tree %s left things behind (see stderr)", name);
}

pid_t th_program_pid(pid_t shim)
{
        char path[96], buf[256] = "";
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)shim, (int)shim);
        f = fopen(path, "re");
        if (!f)
                return -1;
        if (!fgets(buf, sizeof buf, f))
                buf[0] = '\0';
        fclose(f);
        return (pid_t)atoi(buf);
}
