/* An actor's resource limits (DESIGN §7): its profile's keys as the plain values of
 * ns/cgroup_limits.h, which writes them through whichever cgroup version holds each
 * controller. Only controllers the profile limits are touched: on a hybrid host each v1
 * placement is a cgroup.procs write that waits for an RCU grace period, so a profile without
 * limits pays none. The limit on an actor's node bounds its whole subtree. */
#ifndef CORRAL_SPAWNER_LIMITS_H
#define CORRAL_SPAWNER_LIMITS_H

#include "../ns/cgroup_limits.h"
#include "../policy/profile.h"

void limits_of_profile(const struct profile *p, struct cg_limits *l);

/* Which controllers a profile limits (bit = enum cg_ctrl). */
unsigned limits_mask(const struct profile *p);

#endif
