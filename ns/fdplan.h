/* The fd allowlist of a spawned program: which fds it gets, at which numbers.
 *
 * fdplan_compute() turns a list of (source fd -> target fd) moves into an ordered list of
 * operations that performs them all at once, whatever the overlaps: a target that is also a
 * pending source is not overwritten before its move (chains are ordered), and cycles (swaps)
 * go through a temporary fd. It runs in the parent, may be unit-tested, and allocates
 * nothing. fdplan_apply() runs in the child after clone: it performs the operations, clears
 * CLOEXEC on the targets, and marks everything else CLOEXEC with
 * close_range(CLOSE_RANGE_CLOEXEC), or, where that is unavailable, by walking /proc/self/fd.
 * If neither works it fails: the program is never started with an unknown fd table. */
#ifndef CORRAL_NS_FDPLAN_H
#define CORRAL_NS_FDPLAN_H

#include <stdbool.h>

#include "err.h"

#define FDPLAN_MAX        256 /* moves per plan; SCM_RIGHTS carries at most 253 per message */
#define FDPLAN_MAX_TARGET 4096

/* An operand is an fd number (>= 0) or a temporary slot, encoded as -(slot + 1). */
enum fdplan_opkind {
        FDOP_DUP_TEMP,     /* temp[dst] = fcntl(src, F_DUPFD_CLOEXEC, above every target) */
        FDOP_DUP2,         /* dup2(src, dst): dst is open, without CLOEXEC */
        FDOP_CLEAR_CLOEXEC /* src == dst already: just clear CLOEXEC */
};

struct fdplan_op {
        enum fdplan_opkind kind;
        int src; /* fd or temp slot (encoded) */
        int dst; /* fd, or the temp slot number for FDOP_DUP_TEMP */
};

struct fdplan_move {
        int src;
        int dst;
};

struct fdplan {
        struct fdplan_op ops[2 * FDPLAN_MAX];
        int nops;
        int ntemps;
        bool is_target[FDPLAN_MAX_TARGET]; /* final fd table: exactly these are kept */
        int max_target;                    /* -1 when nothing is kept */
        bool force_walk;                   /* tests: skip close_range, walk /proc/self/fd */
};

enum fdplan_path { FDPLAN_PATH_NONE, FDPLAN_PATH_CLOSE_RANGE, FDPLAN_PATH_PROC_WALK };

/* Moves must have distinct targets; a source may feed several targets. */
int fdplan_compute(struct fdplan *p, const struct fdplan_move *moves, int n, struct cerr *err);

/* In the child. `private_fds` (the exec-error pipe, ...) are fds the child still needs until
 * execve; they stay CLOEXEC, and one that sits on a target number is moved out of the way
 * first (its new number is written back). proc_fd_dir is an fd of /proc/self/fd opened by this
 * same process (for the fallback), or -1: the fallback then opens /proc/self/fd itself, which
 * must be this process's (a /proc of its own PID namespace). Async-signal-safe. */
int fdplan_apply(const struct fdplan *p, int *private_fds, int nprivate, int proc_fd_dir,
                 enum fdplan_path *path, struct cerr *err);

#endif
