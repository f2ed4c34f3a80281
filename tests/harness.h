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

#include "../ns/cgroup_delegation.h"
#include "../ns/cgroup_mounts.h"
#include "../ns/cgroup.h"

/* The host as the runner discovered it (privileged suites only). */
extern struct cg_mounts th_host;
extern struct cg_delegation th_deleg;
extern char th_base_rel[64]; /* "corral/ctest-<pid>" relative to own in every hierarchy */
extern char th_base_v2[PATH_MAX];
extern pid_t th_runner; /* the runner's pid: scratch names the final sweep can find */

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

/* Enables controller c (a v2 one) for the nodes below the run's base: in <own>/corral and
 * the base itself, which hold no processes. */
void th_enable_v2(enum cg_ctrl c);

/* The cgroups below our own (below <own>/corral when our own is the root) that hold
 * processes and have child cgroups. corral's layout keeps processes in
 * leaves only; on pure v2 with controllers enabled that is also the kernel's
 * no-internal-processes rule. th_assert_layout() names each on stderr and fails the test unless
 * there are none. */
int th_layout_violations(void);
void th_assert_layout(void);

/* What a shim holds once its program runs (its exec pipe's EOF, `started`, came): stdio on
 * /dev/null, its signalfd, the report pipe and the supervisor's pidfd, and nothing else. */
void th_assert_shim_fds(pid_t shim);

/* Fails the test when a process is still alive (pidfd not readable within ms). */
void th_assert_dead(int pidfd, int ms, const char *what);

enum th_kind { TH_UNIT, TH_PRIVILEGED };

/* A privileged suite runs as root, or rootless (a user in a delegated cgroup: the pure-v2
 * guest's second pass). A test of what only root can do (another User=, root's default of
 * nobody, PrivateNetwork=tree) starts with TH_REQUIRE_ROOT("why"): rootless, it is named on
 * stderr ("SKIP (rootless) NAME: why") and passes without running. */
bool th_skip_rootless(const char *fn, const char *why);
/* Rootless stand-ins, so that one test asserts the same thing both ways:
 * th_as_root(): "User=root", or rootless "PrivateUsers=yes" (root inside a user namespace of
 * its own, as unprivileged outside as any actor); th_as_other(): a non-root program,
 * "User=nobody" or rootless the caller by uid; th_default_uid(): who an actor runs as
 * without User= (root's: nobody; a user's: the user); th_registry(): corral's registry
 * directory for us (/run/corral, or $XDG_RUNTIME_DIR/corral). */
const char *th_as_root(void);
const char *th_as_other(void);
unsigned th_default_uid(void);
const char *th_registry(void);
#define TH_REQUIRE_ROOT(why)                                                                       \
        do {                                                                                       \
                if (th_skip_rootless(__func__, why))                                               \
                        return;                                                                    \
        } while (0)

/* Runs the suites; privileged ones only after the probe passes. Returns the exit status. */
int th_run(const char *name, enum th_kind kind, Suite *(*const *suites)(void), int nsuites);

/* ---- running the corral command ---- */

struct th_proc {
        pid_t pid;
        int pidfd;
        int out; /* read end of its stdout (-1 when the caller gave one) */
        int err; /* read end of its stderr: the event log (--events json) */
        char errbuf[65536];
        size_t errlen;
        char outbuf[65536];
        size_t outlen;
};

/* Start `corral ARGS...` (args NULL-terminated, without "corral"). stdout_fd: -1 for a pipe we
 * read, else that fd. prep runs in the child before exec (signal setup, extra fds). */
void th_corral_start(struct th_proc *p, const char *const *args, int stdout_fd,
                     void (*prep)(void *), void *ctx);
/* `corral run --name NAME --events json EXTRA... -- <test actor> PROG...` with a fresh tree
 * name (written to name, at least 64 bytes). */
void th_run_actor(struct th_proc *p, char *name, const char *what, const char *const *extra,
                  const char *const *prog, void (*prep)(void *), void *ctx);
/* `corral run --name NAME --events json [--set SET]... -- PROG...` (any program). */
void th_run_prog(struct th_proc *p, char *name, const char *what, const char *const *sets,
                 const char *const *prog);
/* Read stderr/stdout until `needle` appears in the given buffer (or ms pass). Returns true
 * when found. */
bool th_wait_for(struct th_proc *p, bool in_stdout, const char *needle, int ms);
/* True when buf holds `line` as a whole line (at its start or after a newline, and followed
 * by one). */
bool th_has_line(const char *buf, const char *line);
/* The first line of buf that starts with `start` (NULL when none). */
const char *th_line_starting(const char *buf, const char *start);
/* Wait for corral to exit (reading its output meanwhile); returns its exit status, fails the
 * test after ms. */
int th_corral_wait(struct th_proc *p, int ms);
/* The value of "field" in the first JSON event line of kind `event` ("" when absent). */
const char *th_event(const struct th_proc *p, const char *event, const char *field, char *out,
                     size_t len);
/* Count JSON events of a kind (and optionally with field == value). */
int th_event_count(const struct th_proc *p, const char *event, const char *field,
                   const char *value);
/* The node of tree `name` below <own>/corral in one hierarchy: "<own>/corral/<name>.<id>"
 * (corral gives every tree node a random id). out is "" when there is none. */
const char *th_tree_node(const char *own, const char *name, char *out, size_t len);
/* Removes whatever tree `name` left (killing it first); true when there was anything. */
bool th_clean_tree(const char *name);
/* Fails the test if tree `name` left anything: nodes in any hierarchy, a registry record. */
void th_assert_tree_gone(const char *name);
/* A scratch path /run/corral-test-WHAT-<runner> (not under /tmp: a program's /tmp is its
 * own); whatever is left there is removed after the suites, failed tests included. */
const char *th_scratch(const char *what, char *out, size_t len);
/* A file of the repository by its absolute path (tests run from the repository's root; corral
 * runs from /, see th_corral_start). */
const char *th_repo(const char *rel, char *out, size_t len);
/* A unique tree name for this test run. */
const char *th_tree_name(const char *what);
/* The host pid of the program: the only child of the shim. */
pid_t th_program_pid(pid_t shim);

#endif
