/* Delegation: may corral create nodes and enable controllers below our own v2 cgroup?
 *
 * On pure v2 the no-internal-processes rule means the cgroup that holds corral's nodes
 * (with controllers enabled for them) cannot hold processes itself, so the supervisor first
 * moves into a fresh leaf <own>/supervisor/ (cgroups(7), "no internal processes"). That
 * needs <own> writable and holding nobody else: a delegated cgroup. The real root is exempt. */
#ifndef CORRAL_NS_CGROUP_DELEGATION_H
#define CORRAL_NS_CGROUP_DELEGATION_H

#include <limits.h>
#include <stdbool.h>

#include "cgroup_mounts.h"
#include "err.h"

#define CG_SUPERVISOR_LEAF "supervisor"
/* its tag (a tree is tagged with its name, the base with CG_BASE_NAME) */
#define CG_SUPERVISOR_TAG "supervisor"
#define CG_BASE_NAME      "corral"

struct cg_delegation {
        bool ok;                /* corral can build its tree here */
        bool in_leaf;           /* we already run in a tagged <own>/supervisor leaf */
        bool needs_leaf;        /* must move into <own>/supervisor before enabling controllers */
        unsigned v2_mask;       /* controllers (bit = enum cg_ctrl) corral would enable in v2 */
        char own_dir[PATH_MAX]; /* the cgroup corral builds below (<own>) */
        char problem[256];      /* when !ok: what is wrong */
        char fix[384];          /* when !ok: how to get a delegated cgroup */
};

/* The decision itself, from facts (unit-tested against recorded hosts). */
void cg_delegation_decide(struct cg_delegation *d, const char *own, bool is_root, bool writable,
                          int other_procs, unsigned v2_mask);

/* Gather the facts from the live host and decide. Changes nothing. */
int cg_delegation_probe(const struct cg_mounts *h, struct cg_delegation *d, struct cerr *err);

/* When d->needs_leaf: create/tag <own>/supervisor, move the calling process into it, enable
 * d->v2_mask in <own>/cgroup.subtree_control. Refuses when !d->ok. */
int cg_delegation_enter_leaf(struct cg_delegation *d, struct cerr *err);

struct cg_node;
/* <own>/corral in v2: created and tagged if missing. */
int cg_base_open(const struct cg_delegation *d, struct cg_node *base, struct cerr *err);

#endif
