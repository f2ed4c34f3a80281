/* What this host offers, tried rather than guessed: the report behind `corral check`. */
#ifndef CORRAL_NS_PROBE_H
#define CORRAL_NS_PROBE_H

#include <stdbool.h>

#include "cgroup_delegation.h"
#include "cgroup_mounts.h"
#include "rootless.h"

enum feat { FEAT_UNKNOWN, FEAT_NO, FEAT_YES };

struct feat_result {
        enum feat state;
        char note[200];
};

enum probe_feature {
        PROBE_CLONE3,
        PROBE_CLONE_INTO_CGROUP,
        PROBE_CLONE_PIDFD,
        PROBE_CLOSE_RANGE,
        PROBE_CGROUP_KILL,
        PROBE_USERNS,
        PROBE_SECCOMP,
        PROBE_CREATE_NODES,
        PROBE_NFEAT
};

struct host_probe {
        struct cg_mounts host;
        bool host_ok;
        char host_error[CERR_MSG_MAX + 64];
        struct cg_delegation deleg;
        struct feat_result feat[PROBE_NFEAT];
        bool rootless;              /* not root: ns/rootless.h */
        struct rootless_verdict rl; /* when rootless */
        char mode[200];             /* "root", or rootless and how */
        bool usable;                /* corral can run here */
        char verdict[512];          /* one line: why not, when !usable */
};

const char *probe_feature_name(enum probe_feature f);
const char *feat_name(enum feat s);

/* Fills everything. With trial_node, creates a tagged node below <own>/corral, clones a child
 * into it and removes it again (and <own>/corral when it created it). */
void probe_host(struct host_probe *p, bool trial_node);

#endif
