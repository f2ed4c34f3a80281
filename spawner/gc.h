/* What dead supervisors left behind (DESIGN §7, §10 `corral gc`): trees whose registry lock is
 * free. A supervisor's death ends its actors (each shim dies with it, taking its PID namespace
 * along), so what remains is cgroup nodes, usually empty, and the record that names them.
 *
 * Each orphan's nodes are taken from its record, never from a scan: a record names its nodes
 * (random id included) before they are created, so a node that a crash left untagged is still
 * known to be corral's, and is adopted (tagged) before the usual tag-checked kill and remove
 * run on it. A recorded path must look like one corral makes (…/corral/<tree>.<id>), so a
 * forged record cannot aim gc at anything else. A base (<own>/corral) a dead supervisor
 * created but did not tag is tagged. A tree that still holds processes stays, with its
 * record, unless the caller asks to kill it. */
#ifndef CORRAL_SPAWNER_GC_H
#define CORRAL_SPAWNER_GC_H

#include <stdbool.h>

#include "../ns/err.h"
#include "registry.h"

struct gc_options {
        int wait_ms; /* how long a populated orphan may take to empty (its shims are dying) */
        bool kill;   /* cgroup.kill what stays populated, then remove it */
};

enum gc_outcome {
        GC_REMOVED,    /* every node gone, the record deleted */
        GC_POPULATED,  /* processes remain: nothing removed, the record kept */
        GC_FAILED,     /* a node could not be removed (err says why); the record kept */
        GC_UNREADABLE, /* the record cannot be parsed: kept for a human */
};

struct gc_report {
        const char *record;             /* the record's path */
        const struct registry_entry *e; /* NULL when GC_UNREADABLE */
        enum gc_outcome outcome;
        bool killed;  /* gc wrote cgroup.kill */
        int nremoved; /* nodes that existed and were removed */
        int nadopted; /* of those, nodes or bases that a crash had left untagged */
        struct cerr err;
};

typedef void (*gc_report_fn)(const struct gc_report *r, void *ctx);

/* Every orphan in the registry directory, each reported once. Returns the number of orphans
 * found, or -1 (err) when the directory cannot be read. */
int gc_sweep(const char *registry_dir, const struct gc_options *o, gc_report_fn fn, void *ctx,
             struct cerr *err);

const char *gc_outcome_name(enum gc_outcome o); /* "removed", "populated", ... */

/* A tree node's name: "<tree>.<id>" (the id a fresh random 32-bit hex number), never reused,
 * so a node a crash left behind never blocks its tree's name. */
void gc_tree_node_name(char *out, size_t len, const char *tree);

#endif
