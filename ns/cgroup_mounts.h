/* What this host offers in cgroups, discovered from /proc/self/mountinfo and
 * /proc/self/cgroup (never hardcoded: hybrid hosts mount v2 at /sys/fs/cgroup/unified,
 * containers mount sub-trees).
 *
 * The tree structure, cgroup.kill and cgroup.events always come from v2. A resource
 * controller comes from v2 when it is available to our own v2 cgroup, from its v1
 * hierarchy when one is mounted for it, or not at all. */
#ifndef CORRAL_NS_CGROUP_MOUNTS_H
#define CORRAL_NS_CGROUP_MOUNTS_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "err.h"

enum cg_mode {
        CG_MODE_NONE,   /* no cgroup filesystem at all: refused */
        CG_MODE_V1,     /* v1 only: refused (no cgroup.kill, no CLONE_INTO_CGROUP) */
        CG_MODE_HYBRID, /* v2 tree plus v1 controller hierarchies */
        CG_MODE_V2,     /* pure v2 */
};

enum cg_ctrl { CG_MEMORY, CG_PIDS, CG_CPU, CG_IO, CG_NCTRL };

enum cg_source {
        CG_SRC_NONE, /* not available to this process */
        CG_SRC_V2,   /* enabled for our own v2 cgroup */
        CG_SRC_V1,   /* bound to a v1 hierarchy */
};

/* One hierarchy as this process sees it. Each string is sized by what the host has (never
 * NULL once parsed: "" when absent), owned by the struct cg_mounts (cg_mounts_free): four
 * PATH_MAX arrays per hierarchy made the struct 83 KiB, 21 page faults per `corral run`. */
struct cg_hier {
        const char *mount;   /* mount point */
        const char *root;    /* the cgroup mounted there (mountinfo field 4) */
        const char *own;     /* our cgroup in this hierarchy, from /proc/self/cgroup */
        const char *own_dir; /* absolute directory of our cgroup ("" if not reachable) */
};

struct cg_ctrl_info {
        enum cg_source src;
        struct cg_hier v1; /* when src == CG_SRC_V1 */
        char v1_opts[128]; /* the hierarchy's controller list, e.g. "cpu,cpuacct" */
        char note[160];    /* why it is unavailable, when it is */
};

struct cg_mounts {
        enum cg_mode mode;
        bool has_v2;
        bool v2_own_is_root; /* our v2 cgroup is the real root: exempt from the
                                no-internal-processes rule, has no cgroup.events */
        struct cg_hier v2;
        struct cg_ctrl_info ctrl[CG_NCTRL];
};

const char *cg_ctrl_name(enum cg_ctrl c);    /* "memory", "pids", "cpu", "io" */
const char *cg_ctrl_v1_name(enum cg_ctrl c); /* "memory", "pids", "cpu", "blkio" */
const char *cg_mode_name(enum cg_mode m);    /* "pure-v2", "hybrid", "v1-only", "none" */
const char *cg_source_name(enum cg_source s);

/* Parse mountinfo and /proc/self/cgroup text; fills mounts, own paths and mode. Controllers
 * bound to v1 are resolved here; v2 availability needs cg_mounts_set_v2_controllers().
 * Whatever the outcome, cg_mounts_free() releases the strings. */
int cg_mounts_parse(struct cg_mounts *h, FILE *mountinfo, FILE *proc_cgroup, struct cerr *err);
void cg_mounts_free(struct cg_mounts *h);

/* Apply the contents of our own v2 cgroup's cgroup.controllers. */
void cg_mounts_set_v2_controllers(struct cg_mounts *h, const char *controllers);

/* Everything, live, for the calling process. */
int cg_mounts_discover(struct cg_mounts *h, struct cerr *err);

/* Refuse hosts corral cannot run on, with a message that says why and what to do. */
int cg_mounts_usable(const struct cg_mounts *h, struct cerr *err);

/* Split one mountinfo line (modified in place). Returns 0, or -1 if malformed. Escapes
 * (\040 etc.) in the mount point and root are decoded. */
struct mountinfo_entry {
        char *root;
        char *mount;
        char *fstype;
        char *source;
        char *super_opts;
};
int mountinfo_parse_line(char *line, struct mountinfo_entry *e);

/* True when the comma-separated list `opts` contains `word`. */
bool cg_opts_has(const char *opts, const char *word);

/* Keyed cgroup files ("populated 1\nfrozen 0", memory.events): value of key, or -1 with
 * ENOENT semantics when absent. */
int cg_kv_get(const char *text, const char *key, long long *value);

#endif
