/* clone3() with a pidfd, straight into a cgroup, and the pidfd helpers that go with it.
 *
 * ns_clone() is fork-style (no CLONE_VM, no separate stack): it returns twice, like fork().
 * All signals are blocked across the call; the parent's mask is restored on return, the
 * child returns with every signal still blocked and must set its own mask (the child may
 * run a signal handler inherited from the caller otherwise, before it has reset them).
 *
 * Fallback (crun's): a kernel without clone3 or CLONE_INTO_CGROUP gets clone() with
 * CLONE_PIDFD; the child then starts in the caller's cgroup and the caller must move it
 * (cgroup.procs) before releasing it. `placed` says which happened. */
#ifndef CORRAL_NS_CLONE_H
#define CORRAL_NS_CLONE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct ns_clone_req {
        uint64_t
            flags; /* CLONE_NEW*, CLONE_CLEAR_SIGHAND, CLONE_PARENT ...; CLONE_PIDFD is implied */
        int cgroup_fd;       /* target cgroup (CLONE_INTO_CGROUP), or -1 */
        bool force_fallback; /* tests: take the clone() + cgroup.procs path */
};

struct ns_clone_res {
        pid_t pid;   /* in the caller's namespace */
        int pidfd;   /* CLOEXEC */
        bool placed; /* the child already sits in cgroup_fd */
        bool fallback;
        sigset_t saved_mask; /* the caller's mask before the call (for the child to restore) */
};

/* Returns 0 in the child, the child's pid in the parent, -1 with err on failure. */
pid_t ns_clone(const struct ns_clone_req *req, struct ns_clone_res *res, struct cerr *err);

/* In the child of a fallback clone: CLONE_NEWCGROUP was held back (the namespace would be
 * rooted at the caller's cgroup); unshare it once moved into the target cgroup. */
bool ns_clone_deferred_cgroupns(void);

/* Learn, without creating a process, whether clone3 takes CLONE_INTO_CGROUP here: a struct
 * with the cgroup field set and an invalid flag combination gets E2BIG from a kernel that
 * does not know the field, EINVAL from one that does, ENOSYS without clone3. */
void ns_clone3_probe(void);

/* True when clone3 with CLONE_INTO_CGROUP is available (cached after the first clone). */
int ns_clone3_state(void); /* 1 yes, 0 no (fallback in use), -1 not tried yet */

int pidfd_signal(int pidfd, int sig, struct cerr *err);

/* Wait for the process behind pidfd to exit, up to timeout_ms (-1: forever). For our own
 * children, reaps it and stores the wait status (as waitpid(2) encodes it) in *wstatus; for
 * other processes (pidfd_open of a pid we did not fork), or our own child already reaped by
 * someone else, only the exit is observed and *wstatus is left alone. Returns 1 when exited,
 * 0 on timeout, -1 on error. */
int pidfd_wait(int pidfd, int timeout_ms, int *wstatus, struct cerr *err);

/* A wait status nobody could learn (the child was reaped behind our back: SIGCHLD ignored). */
#define WSTATUS_UNKNOWN (-1)

/* "exited 3", "signaled SIGSEGV", "signaled SIGKILL (core dumped)", "status unknown". */
const char *wstatus_describe(int wstatus, char *buf, size_t len);

/* Exit status of a command per §10: the program's own, or 128+N when it died of signal N;
 * 125 when unknown. */
int wstatus_exit_code(int wstatus);

#endif
