/* One clone of a shim, and what must happen before it may run: the one implementation behind
 * both ways corral spawns (DESIGN §4). The zygote calls it for each request it reads; the
 * supervisor calls it itself for a tree's first spawn when the zygote is started on demand
 * (corral run: a one-shot tree never pays for a spawn server). The clone is fork-style
 * (ns/clone.h), into the actor's cgroup, with CLONE_CLEAR_SIGHAND; the zygote adds
 * CLONE_PARENT so that the supervisor is every shim's parent either way. */
#ifndef CORRAL_SPAWNER_SHIM_CLONE_H
#define CORRAL_SPAWNER_SHIM_CLONE_H

#include <stdbool.h>

#include "../ns/spare_ns.h"
#include "spec.h"

struct shim_clone_how {
        int parent_pidfd;         /* the supervisor's pidfd: the shim's parent-death watch */
        int close_in_child;       /* the zygote's socket; -1 */
        bool direct;              /* the caller is the supervisor itself (shim.c: step_own_fds) */
        struct ns_spares *spares; /* the zygote's namespaces made ahead (ns/spare_ns.h), or NULL */
};

/* Clones the shim of r and finishes what it waits for (the cgroup.procs move of a fallback
 * clone, v1 placements, a user namespace's id maps), then releases it. *rep is the zygote's
 * reply: pid > 0 with the shim's pidfd returned (>= 0) when it was cloned, even if errnum is
 * set (then it was killed, and must be reaped); -1 otherwise. *stranded: the caller could not
 * come back from the tree's network namespace and must clone nothing more (the zygote exits;
 * the supervisor never enters it: a direct request with a tree namespace is refused). */
int shim_clone(struct spec_req *r, const struct shim_clone_how *how, struct spec_reply *rep,
               bool *stranded);

#endif
