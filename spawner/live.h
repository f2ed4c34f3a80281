/* Live trees as another shell sees them (DESIGN §10): the registry's records and their locks,
 * each responsive supervisor's actors through its admin socket (admin.h), and the tagged
 * cgroup nodes, which are enough to end a tree whose supervisor is stopped or dead.
 * Library code: it gathers records; tools/ decides how they read. */
#ifndef CORRAL_SPAWNER_LIVE_H
#define CORRAL_SPAWNER_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "../ns/err.h"
#include "registry.h"

#define LIVE_ANSWER_MS 500 /* a supervisor silent this long is unresponsive (stopped) */

enum live_status {
        LIVE_RUNNING,      /* its supervisor holds the lock and answered */
        LIVE_UNRESPONSIVE, /* lock held, the admin socket silent (a stopped supervisor) */
        LIVE_ORPHANED,     /* the lock is free: its supervisor died (`corral gc`) */
};
const char *live_status_name(enum live_status s);

struct live_actor {
        uint32_t id, parent;
        char name[72], profile[72], state[16], stage[16];
        char node[PATH_MAX];
        uint32_t pid;
        uint64_t uptime_us, memory, pids, cpu_us;
        bool has_uptime, has_memory, has_pids, has_cpu, holds;
        char reason[160];
};

struct live_tree {
        struct registry_entry e;
        enum live_status status;
        uint64_t uptime_us;
        bool frozen;
        char stage[16];
        struct live_actor *actors; /* by LIST (running), or from the nodes (unresponsive) */
        uint32_t nactors;
};

/* Every record in dir, each with its actors; sorted by tree name. Frees with live_free. */
int live_trees(const char *dir, struct live_tree **out, int *n, struct cerr *err);
void live_free(struct live_tree *t, int n);

/* `corral kill --force`: cgroup.kill on node (a v2 node carrying corral's tag for tree),
 * written again while it is populated, until it is empty (bounded by timeout_ms), then the
 * node removed, with its v1 groups: the tree's record names the v1 tree nodes, and an actor's
 * group sits at the same path below each. Never touches an untagged node. */
int live_force_kill(const struct registry_entry *e, const char *node, int timeout_ms,
                    struct cerr *err);

#endif
