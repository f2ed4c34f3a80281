/* Shared test support: the privileged probe, a per-run cgroup base, trees that check for
 * leaks before cleaning up, generous time bounds, and the runner main.
 *
 * Every cgroup a privileged test creates lives below <own>/corral/ctest-<runner pid>/ in each
 * hierarchy. A test ends with th_tree_finish(), which first checks for leftovers (processes,
 * nodes) and fails the test if it had anything to clean up. Check's fork mode only kills a
 * process group, so the runner sweeps the base after all suites (cgroup.kill + rmdir) and
 * fails the run if the sweep found anything. */
#ifndef CORRAL_TESTS_HARNESS_H
#define CORRAL_TESTS_HARNESS_H

#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../ns/cgdeleg.h"
#include "../ns/cghost.h"
#include "../ns/cgroup.h"

/* The host as the runner discovered it (privileged suites only). */
extern struct cghost th_host;
extern struct cg_deleg th_deleg;
extern char th_base_rel[64]; /* "corral/ctest-<pid>" relative to own in every hierarchy */
extern char th_base_v2[PATH_MAX];

/* Milliseconds scaled by CORRAL_TEST_SLOWDOWN (default 1). */
int th_ms(int ms);

/* Path of a built program (the test actor, corral) in the build directory. */
const char *th_actor(void);
const char *th_corral(void);

struct th_tree {
        char name[64];
        struct cg_node v2;                /* <base>/<name> */
        char v1_path[CG_NCTRL][PATH_MAX]; /* mirrors created with th_tree_v1() ("" if none) */
};

/* A fresh v2 node below the run's base. */
void th_tree_create(struct th_tree *t, const char *name);
/* A v1 group for controller c at the same relative path (and `sub` below it, if not NULL). */
void th_tree_v1(struct th_tree *t, enum cg_ctrl c, struct cg_node *out);
/* Leak check, then cleanup: fails the test if the tree still held processes. */
void th_tree_finish(struct th_tree *t);

/* Fails the test when a process is still alive (pidfd not readable within ms). */
void th_assert_dead(int pidfd, int ms, const char *what);

enum th_kind { TH_UNIT, TH_PRIVILEGED };

/* Runs the suites; privileged ones only after the probe passes. Returns the exit status. */
int th_run(const char *name, enum th_kind kind, Suite *(*const *suites)(void), int nsuites);

#endif
