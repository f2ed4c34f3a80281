/* Finding trees from another shell (DESIGN §7, §10): each supervisor registers its tree in
 * <dir>/<tree>.json (node paths in every hierarchy, supervisor pid and start time) and holds
 * an flock on that file for its lifetime. The kernel drops the lock when the supervisor dies
 * however it dies, so a free lock means an orphaned tree; a stopped supervisor still holds
 * its lock and is not orphaned.
 *
 * Crash safety: a record names the tree's nodes (each with its random id) before any of them
 * is created, and the shared bases (<own>/corral) it may create before they exist. So
 * whatever instant a supervisor dies at, everything it made is named by a record whose lock
 * is free: a node created but not yet tagged is still recorded, and a record is never
 * removed while a node it names exists. */
#ifndef CORRAL_SPAWNER_REGISTRY_H
#define CORRAL_SPAWNER_REGISTRY_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../ns/err.h"

#define REGISTRY_DIR       "/run/corral"
#define REGISTRY_MAX_NODES 8

/* Where this process keeps its records: REGISTRY_DIR for root, $XDG_RUNTIME_DIR/corral for
 * a user (rootless: ns/rootless.h); NULL when XDG_RUNTIME_DIR is unset or relative (rootless
 * corral refuses to start then). */
const char *registry_default_dir(void);

struct registry {
        int fd;         /* locked, CLOEXEC */
        size_t written; /* the record's length in the file: a shorter one is padded to it */
        char path[PATH_MAX];
};

/* One tree's record. */
struct registry_entry {
        char tree[72];
        pid_t supervisor_pid;
        unsigned long long supervisor_start;      /* /proc/PID/stat starttime */
        char nodes[REGISTRY_MAX_NODES][PATH_MAX]; /* the tree's node in each hierarchy */
        int nnodes;
        /* shared bases (<own>/corral) that did not exist when the record was written: this
         * supervisor may have created them, and may have died before tagging them */
        char bases[REGISTRY_MAX_NODES][PATH_MAX];
        int nbases;
};

/* Claim the name: create <dir>/<tree>.json and lock it. A live tree of that name is an
 * error (EEXIST) naming its supervisor; so is an orphan of that name that a sweep could not
 * remove (its processes remain: `corral gc`). */
int registry_claim(const char *dir, const char *tree, struct registry *r, struct cerr *err);
int registry_write(struct registry *r, const struct registry_entry *e, struct cerr *err);
/* Unlink and unlock (the tree is gone). */
void registry_release(struct registry *r);

int registry_parse(const char *text, struct registry_entry *e);

/* Callback for each orphaned tree found (e is NULL when its record cannot be read; path is
 * the record's file); return true when its nodes were removed (the record is then deleted). */
typedef bool (*registry_orphan_fn)(const struct registry_entry *e, const char *path, void *ctx);
/* Visit every orphan (lock free) in dir. An empty record (a claim that died before its first
 * write, so no node of it can exist) is deleted without a visit. Returns the number of
 * orphans, or -1. */
int registry_sweep(const char *dir, registry_orphan_fn fn, void *ctx, struct cerr *err);

unsigned long long proc_start_time(pid_t pid);

#endif
