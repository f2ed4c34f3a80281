/* An actor's resource limits at its spawn (spawner/sup.h "spawn_limits.c"): through whichever
 * cgroup version holds each controller, v2 controllers enabled on every level above its node,
 * v1 groups nested as its nodes are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "sup.h"

/* The levels above an actor's node where a v2 controller must be enabled for its limits: the
 * base, the tree's node and each ancestor actor's node (their processes are in their self/
 * leaves, so enabling a controller there is allowed). above[] has depth + 2 entries; anc holds
 * the ancestors' nodes (depth + 1 entries, the last unused). */
static void levels_above(const struct corral_sup *s, const struct actor *a,
                         const struct cg_node **above, struct cg_node *anc)
{
        above[0] = &s->base;
        above[1] = &s->tree_node;
        for (const struct actor *p = a->parent; p; p = p->parent) {
                struct cg_node *n = &anc[p->depth];

                n->fd = p->node_fd;
                snprintf(n->path, sizeof n->path, "%s", p->node);
                above[2 + p->depth] = n;
        }
}

/* The profile's resource limits, through whichever cgroup version holds each controller
 * (ns/cgroup_limits.h). A group the backend made (v1) is where the zygote places the shim
 * before it releases it. leaf_fd: the actor's self/. */
int spawn_apply_limits(struct corral_sup *s, struct actor *a, int leaf_fd, struct spec_builder *b,
                       struct cerr *err)
{
        const struct cg_node **above = calloc((size_t)a->depth + 2, sizeof(const struct cg_node *));
        struct cg_node *anc = calloc((size_t)a->depth + 1, sizeof *anc);
        struct cg_node node = {.fd = a->node_fd}, leaf = {.fd = leaf_fd};
        char used_v1[64] = "", parent_rel[PATH_MAX];
        struct cg_limits l;
        unsigned mask;
        int rc = 0;

        if (!above || !anc) {
                rc = cerr_set(err, ENOMEM, CERR_ALLOC, "the limits of actor %s", a->name);
                goto out;
        }
        levels_above(s, a, above, anc);
        limits_of_profile(&a->prof->p, &l);
        mask = cg_limits_mask(&l);
        /* below an actor limited through v1, every descendant gets a v1 group nested in its
         * parent's, or it would escape that limit (the zygote's own groups are not in it) */
        for (const struct actor *p = a->parent; p; p = p->parent)
                mask |= p->v1_made;
        snprintf(node.path, sizeof node.path, "%s", a->node);
        snprintf(leaf.path, sizeof leaf.path, "%s", a->leaf);
        /* a top-level actor's group goes in the tree's (kept open: one mkdir per spawn); a
         * nested one's at the same path below it as its node below the tree's */
        snprintf(parent_rel, sizeof parent_rel, "%s/%s%.*s", CG_BASE_NAME, s->tree_node_name,
                 (int)(strrchr(a->node, '/') - a->node - strlen(s->tree_node.path)),
                 a->node + strlen(s->tree_node.path));
        for (int c = 0; c < CG_NCTRL && rc == 0; c++) {
                const struct cg_backend *be = cg_backend_for(&s->host, (enum cg_ctrl)c);
                struct cg_limit_site site = {
                    .above = above,
                    .nabove = 2 + a->depth,
                    .node = &node,
                    .leaf = &leaf,
                    .v1_own_dir = s->host.ctrl[c].v1.own_dir,
                    .parent_rel = parent_rel,
                    .name = strrchr(a->node, '/') + 1,
                    .tag = s->tree,
                };
                struct cg_node group;

                if (!(mask & (1u << c)) || !be)
                        continue;
                /* the tree's own v1 group, made (and kept open) for its first top-level actor
                 * limited through v1 */
                if (a->depth == 0 && s->host.ctrl[c].src == CG_SRC_V1 && !s->v1_tree_node[c]) {
                        s->v1_tree_node[c] = calloc(1, sizeof *s->v1_tree_node[c]);
                        if (!s->v1_tree_node[c]) {
                                rc = cerr_set(err, ENOMEM, CERR_ALLOC, "the tree's v1 group");
                                break;
                        }
                        s->v1_tree_node[c]->fd = -1;
                }
                site.parent = a->depth == 0 ? s->v1_tree_node[c] : NULL;
                if (be->apply(&l, (enum cg_ctrl)c, &site, &group, err) < 0) {
                        rc = cerr_wrap(err, "the limits of actor %s (corral's cgroups below %s)",
                                       a->name, s->deleg.own_dir);
                        break;
                }
                if (group.fd < 0)
                        continue;
                a->v1_fd[c] = group.fd;
                a->v1_made |= 1u << c;
                if (spec_add_v1(b, group.fd, err) < 0) {
                        rc = -1;
                        break;
                }
                snprintf(used_v1 + strlen(used_v1), sizeof used_v1 - strlen(used_v1), "%s%s",
                         used_v1[0] ? "," : "", cg_ctrl_name(c));
        }
        if (rc == 0 && used_v1[0] && !s->said_v1) {
                struct corral_event e;

                s->said_v1 = true;
                ev_init(s, &e, CORRAL_EV_HOST, NULL);
                e.u.host.message = "hybrid host: these controllers are limited through cgroup v1";
                e.u.host.v1 = used_v1;
                ev_emit(s, &e);
        }
out:
        free(above);
        free(anc);
        return rc;
}
