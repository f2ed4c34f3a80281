#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cghost th_host;
struct cg_deleg th_deleg;
char th_base_rel[64];
char th_base_v2[PATH_MAX];

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

        if (geteuid() != 0) {
                snprintf(why, len, "not running as root (euid %d)", (int)geteuid());
                return -1;
        }
        if (cghost_discover(&th_host, &err) < 0 || cghost_usable(&th_host, &err) < 0 ||
            cg_deleg_probe(&th_host, &th_deleg, &err) < 0) {
                snprintf(why, len, "no usable cgroup v2 hierarchy: %s",
                         cerr_str(&err, ebuf, sizeof ebuf));
                return -1;
        }
        if (!th_deleg.ok) {
                snprintf(why, len, "cgroup v2 not writable here: %s", th_deleg.problem);
                return -1;
        }
        if (cg_deleg_enter_leaf(&th_deleg, &err) < 0) {
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

/* After all suites: anything left below the base is a leak. Kill it, remove it, report. */
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
        if (base_created_corral) {
                snprintf(path, sizeof path, "%s/corral", th_deleg.own_dir);
                rmdir(path); /* fails harmlessly when another run is using it */
        }
        return leaks;
}

int th_run(const char *name, enum th_kind kind, Suite *(*const *suites)(void), int nsuites)
{
        SRunner *sr;
        int failed;
        int leaks = 0;

        if (kind == TH_PRIVILEGED) {
                char why[800];

                if (probe_privileged(why, sizeof why) < 0) {
                        fprintf(stderr,
                                "\n*** %s: PRIVILEGED TESTS NOT RUN: %s.\n"
                                "*** They need root and a writable cgroup v2 hierarchy.%s\n\n",
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
