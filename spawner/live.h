/* Live trees as another shell sees them (DESIGN §10): the registry's records and their locks,
 * each responsive supervisor's actors through its admin socket (admin.h), and the tagged
 * cgroup nodes, which are enough to end a tree whose supervisor is stopped or dead.
 * Library code: it gathers records; tools/ decides how they read. */
#ifndef CORRAL_SPAWNER_LIVE_H
#define CORRAL_SPAWNER_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../ns/err.h"
#include "../ns/sockdiag.h"
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
        char dir[256]; /* the registry it was found in: its admin socket is there */
        enum live_status status;
        uint64_t uptime_us;
        bool frozen;
        char stage[16];
        struct live_actor *actors; /* by LIST (running), or from the nodes (unresponsive) */
        uint32_t nactors;
};

/* Every record in dir, each with its actors; with_users (root): every user's rootless
 * records too, in /run/user/UID/corral. Sorted by tree name. Frees with live_free. */
int live_trees(const char *dir, bool with_users, struct live_tree **out, int *n, struct cerr *err);
void live_free(struct live_tree *t, int n);

/* `corral kill --force`: cgroup.kill on node (a v2 node carrying corral's tag for tree),
 * written again while it is populated, until it is empty (bounded by timeout_ms), then the
 * node removed, with its v1 groups: the tree's record names the v1 tree nodes, and an actor's
 * group sits at the same path below each. Never touches an untagged node. */
int live_force_kill(const struct registry_entry *e, const char *node, int timeout_ms,
                    struct cerr *err);

/* ---- `corral stat`: one node's resource use, counters and limits ---- */

/* What stat reports, each from the hierarchy that holds its controller on this host. */
enum live_stat_key {
        LS_MEM_CURRENT,      /* v2 memory.current, v1 memory.usage_in_bytes */
        LS_MEM_PEAK,         /* v2 memory.peak, v1 memory.max_usage_in_bytes */
        LS_MEM_LIMIT,        /* v2 memory.max, v1 memory.limit_in_bytes */
        LS_MEM_OOM,          /* v2 memory.events oom (v1: none) */
        LS_MEM_OOM_KILL,     /* v2 memory.events oom_kill, v1 memory.oom_control oom_kill */
        LS_MEM_MAX_HIT,      /* v2 memory.events max, v1 memory.failcnt */
        LS_PIDS_CURRENT,     /* pids.current */
        LS_PIDS_LIMIT,       /* pids.max */
        LS_PIDS_MAX_HIT,     /* pids.events max */
        LS_CPU_USAGE_US,     /* v2 cpu.stat usage_usec, v1 cpuacct.usage / 1000 */
        LS_CPU_PERIODS,      /* cpu.stat nr_periods */
        LS_CPU_THROTTLED,    /* cpu.stat nr_throttled */
        LS_CPU_THROTTLED_US, /* v2 cpu.stat throttled_usec, v1 throttled_time / 1000 */
        LS_CPU_QUOTA_US,     /* v2 cpu.max, v1 cpu.cfs_quota_us */
        LS_CPU_PERIOD_US,    /* v2 cpu.max, v1 cpu.cfs_period_us */
        LS_NKEYS,
};

struct live_stat_value {
        int version;    /* 2 or 1; 0: not available here (why says so) */
        bool unlimited; /* a limit of "max" (v2) or -1 / the page-counter maximum (v1) */
        uint64_t value;
        char file[48]; /* the file it was read from ("memory.usage_in_bytes") */
};

struct live_stat {
        struct live_stat_value v[LS_NKEYS];
        /* per controller (enum cg_ctrl: memory, pids, cpu): the directory read, and why
         * nothing was when it is "" */
        char dir[3][PATH_MAX];
        char why[3][128];
};

const char *live_stat_name(enum live_stat_key k); /* "memory.current", "cpu.throttled_us" */
/* Its limits' and counters' controller: 0 memory, 1 pids, 2 cpu (enum cg_ctrl). */
int live_stat_ctrl(enum live_stat_key k);

/* Read node's files (a v2 node of e's tree: the tree's own or an actor's) and those of its v1
 * groups, at the same path below each of the record's v1 tree nodes. A controller bound to a
 * v1 hierarchy on this host is read there; an actor has a v1 group only when its profile (or
 * an ancestor's) limits that controller, otherwise why says so. cpu usage comes from the v2
 * node's cpu.stat, which the kernel keeps with or without the cpu controller. */
int live_stat_read(const struct registry_entry *e, const char *node, struct live_stat *st,
                   struct cerr *err);

/* ---- `corral sockets` ---- */

struct live_socket {
        pid_t pid;                /* a process holding it (the first one found) */
        char node[PATH_MAX];      /* the v2 directory the process was in */
        unsigned long long netns; /* the inode of its network namespace */
        struct sockdiag_sock s;
        bool known; /* sock_diag listed it (TCP, UDP, Unix); false: another kind */
};

/* Every socket held by a process below node (cgroup.procs of it and every directory under
 * it), joined by inode with sock_diag dumps of each of their network namespaces. *out is
 * malloc'd; *missing: the kinds the kernel could not list (1 << enum sockdiag_proto). */
int live_sockets(const char *node, struct live_socket **out, size_t *n, unsigned *missing,
                 struct cerr *err);

#endif
