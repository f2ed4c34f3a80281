/* Resource limits of one actor (DESIGN §7): written to the actor's node, through v2 where
 * the controller is enabled there, through the controller's v1 hierarchy otherwise (hybrid
 * hosts), and only for controllers the profile actually limits: each v1 placement is a
 * cgroup.procs write that waits for an RCU grace period, so a profile without limits pays
 * none. The limit on the actor's node bounds its whole subtree. */
#ifndef CORRAL_SPAWNER_LIMITS_H
#define CORRAL_SPAWNER_LIMITS_H

#include "../ns/cghost.h"
#include "../ns/cgroup.h"
#include "../ns/err.h"
#include "../policy/profile.h"

/* Which controllers a profile limits (bit = enum cg_ctrl). */
unsigned limits_mask(const struct profile *p);

/* The interface files and values for controller c on v2 or v1, as "file=value" pairs. */
struct limit_write {
        const char *file;
        char value[64];
};
int limits_writes(const struct profile *p, enum cg_ctrl c, bool v1, struct limit_write *out,
                  int max);

/* OOM kills recorded for a node: memory.events "oom_kill" (v2) or memory.oom_control
 * "oom_kill" (v1). 0 when unknown. */
long long limits_oom_kills(const struct cg_node *n, bool v1);

#endif
