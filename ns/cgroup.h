/* cgroup directories ("nodes") that corral creates, in the v2 tree or mirrored in a v1
 * controller hierarchy. Every node corral creates carries an xattr tag, and kill and
 * remove refuse a node without one: corral never touches a cgroup it did not create. */
#ifndef CORRAL_NS_CGROUP_H
#define CORRAL_NS_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup_mounts.h"
#include "err.h"

#define CG_TAG_XATTR      "trusted.corral.tree"
#define CG_TAG_XATTR_USER "user.corral.tree" /* unprivileged (delegated) callers */

struct cg_node {
        char path[PATH_MAX]; /* absolute directory */
        int fd; /* O_DIRECTORY|O_CLOEXEC, O_PATH or read-only (usable for CLONE_INTO_CGROUP
                 * and openat), or -1 */
};

/* Create parent/name, which must not exist yet (nodes are fresh per spawn: a killed node is
 * never reused), open it and tag it with `tag`. */
int cg_node_create(struct cg_node *n, const char *parent, const char *name, const char *tag,
                   struct cerr *err);
/* The same through parent_fd, the parent's open directory (parent still names it, for
 * n->path and messages); parent_fd < 0 is cg_node_create. */
int cg_node_create_at(struct cg_node *n, int parent_fd, const char *parent, const char *name,
                      const char *tag, struct cerr *err);

/* Open parent/name, creating and tagging it if missing (shared bases such as <own>/corral).
 * An existing directory without a tag is refused: it is not ours. Returns 1 when it was
 * created by this call, 0 when it existed. */
int cg_node_ensure(struct cg_node *n, const char *parent, const char *name, const char *tag,
                   struct cerr *err);

/* Open an existing tagged node by absolute path. */
int cg_node_open(struct cg_node *n, const char *path, struct cerr *err);

void cg_node_close(struct cg_node *n);

int cg_node_write(const struct cg_node *n, const char *file, const char *value, struct cerr *err);
int cg_node_read(const struct cg_node *n, const char *file, char *buf, size_t len,
                 struct cerr *err);

/* Write pid into the node's cgroup.procs (migration: costs an RCU grace period). */
int cg_node_place(const struct cg_node *n, pid_t pid, struct cerr *err);

/* "+memory +pids" into cgroup.subtree_control for the controllers in mask (bit = enum cg_ctrl). */
int cg_node_enable(const struct cg_node *n, unsigned mask, struct cerr *err);

/* v2 only: write 1 to cgroup.kill (tagged nodes only). */
int cg_node_kill(const struct cg_node *n, struct cerr *err);

/* v2: 1 when populated, 0 when empty (from cgroup.events); v1: from cgroup.procs of the whole
 * sub-tree. -1 on error. */
int cg_node_populated(const struct cg_node *n, struct cerr *err);

/* v2 only: wait until cgroup.events says "populated 0" or timeout_ms passes (poll on
 * POLLPRI; notifications are rate-limited to ~1 per 10 ms, so the file is re-read after each
 * wake-up and once at the start). Returns 0 when empty, -1 with errnum ETIMEDOUT on timeout. */
int cg_node_wait_empty(const struct cg_node *n, int timeout_ms, struct cerr *err);

/* Remove path and every directory below it, bottom-up. Each must carry the tag. EBUSY (a
 * cgroup that is still being torn down) is retried a bounded number of times. Removing a
 * path that does not exist succeeds. */
int cg_remove_tree(const char *path, struct cerr *err);
/* Remove a node this process created itself (cg_node_create) once it removed every child it
 * made there: one rmdir by its known path, with no walk and no tag read (a tree of three
 * levels went from 228 us to the rmdirs' own cost). A child it did not make (an actor's own
 * cgroup under ProtectControlGroups=no), or a css still going offline, makes the rmdir fail
 * with EBUSY: then the tagged walk of cg_remove_tree, which retries, and refuses whatever is
 * untagged. A path that does not exist (removed under us) succeeds. */
int cg_remove_own(const char *path, struct cerr *err);

/* A node corral recorded (with its random id) before creating it is corral's even without
 * a tag: a crash may have come between its mkdir and its tag. Tag it, and every directory
 * below it that lacks one, so that the usual kill and remove (which refuse untagged nodes)
 * can finish what a dead supervisor started. A path that does not exist is left alone. */
int cg_adopt_tree(const char *path, const char *tag, struct cerr *err);

/* Mirror a node in a v1 hierarchy: rel ("corral/tree/a-1") below v1_own_dir. Missing
 * intermediate directories are created and tagged; the last component must be fresh. */
int cg_v1_mirror(struct cg_node *n, const char *v1_own_dir, const char *rel, const char *tag,
                 struct cerr *err);

/* Tag helpers. cg_tag_get returns the length, or -1 when untagged. */
int cg_tag_set(const char *path, const char *tag, struct cerr *err);
int cg_tag_get(const char *path, char *buf, size_t len);

/* Node names: [A-Za-z0-9_.-]{1,CG_NAME_MAX}, not starting with '.'. (Names that could be
 * mistaken for interface files, cgroup.* or memory.*, are the caller's to refuse: see
 * sup_name_valid.) */
#define CG_NAME_MAX 128
bool cg_name_valid(const char *name);

/* The pids left below node and what each is blocked in, "pid:wchan,..." into buf (cut at
 * cap): every cgroup.procs below it. Not thread-safe (one nftw walk at a time). */
void cg_stuck_pids(const char *node, char *buf, size_t cap);

#endif
