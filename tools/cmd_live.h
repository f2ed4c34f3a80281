/* What cmd_live.c (ps, tree, kill) shares with cmd_inspect.c (stat, sockets): the registry
 * to read and how a name on the command line resolves to a tree or an actor. */
#ifndef CORRAL_TOOLS_CMD_LIVE_H
#define CORRAL_TOOLS_CMD_LIVE_H

#include "../spawner/live.h"

struct target {
        const struct live_tree *t;
        const struct live_actor *a; /* NULL: the whole tree */
};

/* CORRAL_REGISTRY_DIR, or the default. */
const char *live_registry_dir(void);
/* Root without CORRAL_REGISTRY_DIR: every user's rootless trees are listed too. */
bool live_with_users(void);
/* TREE, TREE/ACTOR/..., TREE:ID, or an actor name or id that exactly one tree has.
 * 1 resolved, 0 unknown or ambiguous (the candidates said on stderr), -1 malformed. */
int live_resolve(const char *cmd, const struct live_tree *v, int n, const char *name,
                 struct target *out);

#endif
