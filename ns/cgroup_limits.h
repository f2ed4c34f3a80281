/* Resource limits on a cgroup, the same plain values through either cgroup version (crun's
 * cgroup manager split: one backend per version). A backend knows where an actor's limits go
 * in its hierarchy, the interface files and how values are spelled there, and where OOM
 * kills are counted. The caller takes the backend of the hierarchy that holds the controller
 * (struct cg_mounts: ctrl[c].src) and never branches on the version itself:
 *
 *   v2: on the actor's own node; the controller enabled in cgroup.subtree_control of every
 *       level above it; the actor is cloned into it (CLONE_INTO_CGROUP).
 *   v1: in a group of the controller's own hierarchy at the same path below our own cgroup
 *       there (hybrid hosts); the actor's shim is placed in it by a cgroup.procs write before
 *       it is released (v1 has no CLONE_INTO_CGROUP: an RCU grace period per write, so only
 *       for controllers that are limited). */
#ifndef CORRAL_NS_CGROUP_LIMITS_H
#define CORRAL_NS_CGROUP_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "cgroup_mounts.h"
#include "err.h"

#define CG_LIMIT_MAX UINT64_MAX /* "max" / "infinity" */

struct cg_limit {
        bool set;
        uint64_t value;
};

struct cg_limits {
        struct cg_limit memory_max, memory_high, memory_swap_max; /* bytes */
        struct cg_limit tasks_max;
        struct cg_limit cpu_quota;  /* basis points of one CPU: 5000 is half a CPU */
        struct cg_limit cpu_weight; /* 1..10000, 100 the default */
        struct cg_limit io_weight;  /* 1..10000 */
};

/* Which controllers limits name (bit = enum cg_ctrl). */
unsigned cg_limits_mask(const struct cg_limits *l);

/* Where one actor's limits go, in the terms of both versions. */
struct cg_limit_site {
        /* v2: corral's nodes from its base down to the actor's parent (their subtree_control
         * enables the controller), and the actor's node and self/ leaf */
        const struct cg_node *const *above;
        int nabove;
        const struct cg_node *node, *leaf;
        /* v1: the controller hierarchy's own cgroup directory; below it, the group the actor's
         * goes in (parent_rel, e.g. "corral/<tree>.<id>") and the actor's group's name. When
         * parent is not NULL it is that group, opened on first use and kept by the caller
         * (one mkdir per spawn, not one per level). */
        const char *v1_own_dir;
        const char *parent_rel;
        struct cg_node *parent;
        const char *name;
        const char *tag; /* the tag of every group created */
};

/* The files and values of controller c as a backend writes them. */
struct cg_write {
        const char *file;
        char value[64];
};

struct cg_backend {
        const char *name; /* "v2", "v1" */
        /* "file", "value" pairs of controller c; returns how many */
        int (*writes)(const struct cg_limits *l, enum cg_ctrl c, struct cg_write *out, int max);
        /* Write l's limits of controller c where the site says. A group the backend made for
         * them is returned in *group (its fd open: the shim is placed in it); otherwise
         * group->fd is -1. */
        int (*apply)(const struct cg_limits *l, enum cg_ctrl c, const struct cg_limit_site *site,
                     struct cg_node *group, struct cerr *err);
        /* OOM kills counted for a node (the actor's v2 node, or its v1 memory group). */
        long long (*oom_kills)(const struct cg_node *n);
};

/* The backend of the hierarchy that holds controller c on this host, NULL when none does
 * (or a v1 hierarchy does that does not show our own cgroup). */
const struct cg_backend *cg_backend_for(const struct cg_mounts *m, enum cg_ctrl c);

#endif
