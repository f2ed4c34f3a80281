/* Never looser than the parent (DESIGN §9, issue 20). The supervisor clones every actor, so a
 * child inherits nothing from its parent by itself except its node's cgroup limits: its
 * namespaces, mounts, credentials, capabilities, rlimits and timeouts are whatever its own
 * profile says. A parent that could SPAWN a looser profile would get through its child what
 * its own confinement denies it (CAP_NET_RAW, the host's network, a writable /usr, a user
 * namespace its seccomp filter refuses it). So a SPAWN's profile is compared with the
 * parent's, key by key, before anything is cloned.
 *
 * Every key of the key table (keys.c) has a row in nesting.c's table: compared how, or free
 * and why. tests/test_nesting.c fails on a key without one, so a new key cannot slip through.
 * SystemCallFilter= is never compared: filters stack (every ancestor's is loaded too).
 *
 * Pure: no I/O, no host lookups. Paths are compared as written (normalized lexically); the
 * spawn resolves them on the host with the safe-path rule. */
#ifndef CORRAL_POLICY_NESTING_H
#define CORRAL_POLICY_NESTING_H

#include <stdbool.h>
#include <stddef.h>

#include "../ns/err.h"
#include "profile.h"

enum {
        /* The parent is the tree's root: its `auto` stdio is the caller's own (below the root,
         * `auto` is null and log), which a child may then ask for with `inherit`. */
        NEST_PARENT_IS_ROOT = 1u << 0,
};

/* 0 when child is nowhere looser than parent; else -1 with err (EPERM, stage CERR_PARSE:
 * the policy's fault) naming the first key that is, and both values: "profile 'big' is
 * looser than its parent's profile 'small': MemoryMax=128M is above the parent's
 * MemoryMax=64M". flags: NEST_*. */
int profile_nests(const struct profile *parent, const struct profile *child, unsigned flags,
                  struct cerr *err);

/* The classification, for tests and documentation: how a key is compared ("compared: ..."),
 * or why it is not ("free: ..."); NULL for a key the table lacks. */
const char *nesting_rule(const char *key);
size_t nesting_row_count(void);

/* The SpawnProfiles= entries of p that p could never spawn (profile_nests refuses them, p
 * taken as the tree's root), one message each ("SpawnProfiles=big: every SPAWN of it is
 * refused: MemoryMax=128M is above ..."), appended to out. find looks a profile up by name
 * (NULL: not there; the policy loader refuses such names). */
int nesting_warnings(const struct profile *p,
                     const struct profile *(*find)(const void *ctx, const char *name),
                     const void *ctx, struct strlist *out, struct cerr *err);

#endif
