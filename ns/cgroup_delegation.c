#include "cgroup_delegation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

static const char delegate_fix[] =
    "run corral in a delegated cgroup: `systemd-run --scope -p Delegate=yes corral ...`, a "
    "systemd service with Delegate=yes, or a container with its own cgroup namespace";

void cg_delegation_decide(struct cg_delegation *d, const char *own, bool is_root, bool writable,
                          int other_procs, unsigned v2_mask)
{
        d->ok = false;
        d->needs_leaf = false;
        d->v2_mask = v2_mask;
        d->problem[0] = d->fix[0] = '\0';
        if (!writable) {
                snprintf(d->problem, sizeof d->problem,
                         "our cgroup %s is not writable by us (it is not delegated)", own);
                snprintf(d->fix, sizeof d->fix, "%s", delegate_fix);
                return;
        }
        /* The root is exempt from the no-internal-processes rule; with no controllers to
         * enable in v2 (hybrid hosts) the rule does not apply either. */
        if (is_root || v2_mask == 0 || d->in_leaf) {
                d->ok = true;
                return;
        }
        if (other_procs > 0) {
                snprintf(d->problem, sizeof d->problem,
                         "our cgroup %s holds %d other process%s; cgroup v2 forbids enabling "
                         "controllers for its children then (no internal processes)",
                         own, other_procs, other_procs == 1 ? "" : "es");
                snprintf(d->fix, sizeof d->fix, "%s", delegate_fix);
                return;
        }
        d->ok = true;
        d->needs_leaf = true;
}

static int count_other_procs(const char *dir, struct cerr *err)
{
        char path[PATH_MAX + 16];
        char *line = NULL;
        size_t cap = 0;
        int others = 0;
        FILE *f;

        snprintf(path, sizeof path, "%s/cgroup.procs", dir);
        f = fopen(path, "re");
        if (!f)
                return cerr_set(err, errno, CERR_OPEN, "reading %s", path);
        while (getline(&line, &cap, f) > 0) {
                if (atoi(line) != getpid())
                        others++;
        }
        free(line);
        fclose(f);
        return others;
}

static bool writable_at(const char *dir, const char *file)
{
        char path[PATH_MAX + 32];

        snprintf(path, sizeof path, "%s/%s", dir, file);
        return access(path, W_OK) == 0;
}

int cg_delegation_probe(const struct cg_mounts *h, struct cg_delegation *d, struct cerr *err)
{
        const char *own = h->v2.own_dir;
        const char *slash = strrchr(own, '/');
        unsigned mask = 0;
        bool writable;
        int others;

        memset(d, 0, sizeof *d);
        if (cg_mounts_usable(h, err) < 0)
                return -1;
        snprintf(d->own_dir, sizeof d->own_dir, "%s", own);
        /* A supervisor that already moved into <own>/supervisor (or a process it started there)
         * builds below <own>, beside the leaf, not inside it. */
        if (slash && strcmp(slash + 1, CG_SUPERVISOR_LEAF) == 0) {
                char tag[64];

                if (cg_tag_get(own, tag, sizeof tag) >= 0) {
                        d->in_leaf = true;
                        snprintf(d->own_dir, sizeof d->own_dir, "%.*s", (int)(slash - own), own);
                }
        }
        for (int c = 0; c < CG_NCTRL; c++) {
                if (h->ctrl[c].src == CG_SRC_V2)
                        mask |= 1u << c;
        }
        writable = access(d->own_dir, W_OK) == 0 && writable_at(d->own_dir, "cgroup.procs") &&
                   writable_at(d->own_dir, "cgroup.subtree_control");
        others = 0;
        if (!h->v2_own_is_root && !d->in_leaf && mask) {
                others = count_other_procs(d->own_dir, err);
                if (others < 0)
                        return -1;
        }
        cg_delegation_decide(d, d->own_dir, h->v2_own_is_root, writable, others, mask);
        if (!d->ok && geteuid() != 0) /* a user's delegated cgroup comes from its own manager */
                snprintf(d->fix, sizeof d->fix,
                         "run corral in a cgroup delegated to you: `systemd-run --user --scope "
                         "-p Delegate=yes corral ...`, or a user service with Delegate=yes");
        return 0;
}

int cg_delegation_enter_leaf(struct cg_delegation *d, struct cerr *err)
{
        struct cg_node leaf, own;
        int rc;

        if (!d->ok)
                return cerr_set(err, EPERM, CERR_DELEGATE, "%s; %s", d->problem, d->fix);
        if (!d->needs_leaf)
                return 0;
        if (cg_node_ensure(&leaf, d->own_dir, CG_SUPERVISOR_LEAF, CG_SUPERVISOR_TAG, err) < 0)
                return cerr_wrap(err, "creating the supervisor's leaf cgroup");
        rc = cg_node_place(&leaf, getpid(), err);
        cg_node_close(&leaf);
        if (rc < 0)
                return cerr_wrap(err, "moving the supervisor into its leaf cgroup");
        own.fd = open(d->own_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (own.fd < 0)
                return cerr_set(err, errno, CERR_OPEN, "opening %s", d->own_dir);
        snprintf(own.path, sizeof own.path, "%s", d->own_dir);
        rc = cg_node_enable(&own, d->v2_mask, err);
        cg_node_close(&own);
        if (rc < 0)
                return cerr_wrap(err, "enabling controllers for corral's nodes");
        d->needs_leaf = false;
        d->in_leaf = true;
        return 0;
}

int cg_base_open(const struct cg_delegation *d, struct cg_node *base, struct cerr *err)
{
        if (!d->ok)
                return cerr_set(err, EPERM, CERR_DELEGATE, "%s; %s", d->problem, d->fix);
        return cg_node_ensure(base, d->own_dir, CG_BASE_NAME, CG_BASE_NAME, err);
}
