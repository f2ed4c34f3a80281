#include "gc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../ns/cgroup_delegation.h"
#include "../ns/cgroup.h"
#include "../ns/timeutil.h"

#define GC_KILL_WAIT_MS 5000 /* after cgroup.kill: the kernel's kill latency, generously */

const char *gc_outcome_name(enum gc_outcome o)
{
        switch (o) {
        case GC_REMOVED:
                return "removed";
        case GC_POPULATED:
                return "populated";
        case GC_FAILED:
                return "failed";
        case GC_UNREADABLE:
                break;
        }
        return "unreadable";
}

void gc_tree_node_name(char *out, size_t len, const char *tree)
{
        uint32_t id = 0;

        if (getrandom(&id, sizeof id, GRND_NONBLOCK) != sizeof id)
                id = (uint32_t)getpid() ^ (uint32_t)mono_us();
        snprintf(out, len, "%s.%08x", tree, id);
}

static const char *base_name(const char *path)
{
        const char *slash = strrchr(path, '/');

        return slash ? slash + 1 : path;
}

/* …/corral/<tree>.<8 hex>: what gc_tree_node_name makes, below a base, and nothing else. */
static bool node_plausible(const char *path, const char *tree)
{
        const char *name = base_name(path);
        size_t tl = strlen(tree);
        char parent[PATH_MAX];

        if (path[0] != '/' || strstr(path, "/../") || strncmp(name, tree, tl) != 0 ||
            name[tl] != '.' || strlen(name + tl + 1) != 8 ||
            strspn(name + tl + 1, "0123456789abcdef") != 8)
                return false;
        snprintf(parent, sizeof parent, "%.*s", (int)(name - path - 1), path);
        return strcmp(base_name(parent), CG_BASE_NAME) == 0;
}

static bool base_plausible(const char *path)
{
        return path[0] == '/' && !strstr(path, "/../") &&
               strcmp(base_name(path), CG_BASE_NAME) == 0;
}

static bool is_v2(const char *path)
{
        char ev[PATH_MAX + 16];

        snprintf(ev, sizeof ev, "%s/cgroup.events", path);
        return access(ev, F_OK) == 0;
}

/* 1 when a recorded node still holds processes, 0 when not (or gone), -1 on error. v2 nodes
 * are waited for (POLLPRI on cgroup.events) up to wait_ms; a v1 group is never the only
 * holder (every process is in the v2 tree too). */
/* A recorded node, opened when it is still there: 1 opened, 0 gone, -1 on error. */
static int open_recorded(const char *path, struct cg_node *n, struct cerr *err)
{
        if (access(path, F_OK) < 0)
                return 0;
        return cg_node_open(n, path, err) < 0 ? -1 : 1;
}

static int populated_after(const char *path, int wait_ms, struct cerr *err)
{
        struct cg_node n;
        int rc = open_recorded(path, &n, err);

        if (rc <= 0)
                return rc;
        rc = cg_node_populated(&n, err);
        if (rc == 1 && wait_ms > 0 && is_v2(path))
                rc = cg_node_wait_empty(&n, wait_ms, err) == 0 ? 0 : 1;
        cg_node_close(&n);
        return rc;
}

static int kill_recorded(const char *path, struct cerr *err)
{
        struct cg_node n;
        int rc = open_recorded(path, &n, err);

        if (rc <= 0)
                return rc;
        rc = cg_node_kill(&n, err);
        if (rc == 0)
                rc = cg_node_wait_empty(&n, GC_KILL_WAIT_MS, err);
        cg_node_close(&n);
        return rc;
}

struct sweep_ctx {
        const struct gc_options *o;
        gc_report_fn fn;
        void *ctx;
};

static bool one_orphan(const struct registry_entry *e, const char *record, void *vctx)
{
        struct sweep_ctx *c = vctx;
        struct gc_report r = {.record = record, .e = e, .outcome = GC_REMOVED};

        if (!e) {
                r.outcome = GC_UNREADABLE;
                cerr_set(&r.err, EINVAL, CERR_GC, "%s cannot be read as a corral record", record);
                c->fn(&r, c->ctx);
                return false;
        }
        /* 1. what is ours by the record: untagged nodes and bases get their tag */
        for (int i = 0; i < e->nnodes; i++) {
                char tag[128];

                if (!node_plausible(e->nodes[i], e->tree)) {
                        r.outcome = GC_FAILED;
                        cerr_set(&r.err, EINVAL, CERR_GC,
                                 "record %s names %s, which is not a corral tree node", record,
                                 e->nodes[i]);
                        c->fn(&r, c->ctx);
                        return false;
                }
                if (access(e->nodes[i], F_OK) == 0 && cg_tag_get(e->nodes[i], tag, sizeof tag) < 0)
                        r.nadopted++;
                if (cg_adopt_tree(e->nodes[i], e->tree, &r.err) < 0) {
                        r.outcome = GC_FAILED;
                        c->fn(&r, c->ctx);
                        return false;
                }
        }
        for (int i = 0; i < e->nbases; i++) {
                char tag[128];

                if (base_plausible(e->bases[i]) && access(e->bases[i], F_OK) == 0 &&
                    cg_tag_get(e->bases[i], tag, sizeof tag) < 0 &&
                    cg_tag_set(e->bases[i], CG_BASE_NAME, &r.err) == 0)
                        r.nadopted++;
        }
        /* 2. processes left: the shims of a supervisor that just died are still dying */
        for (int i = 0; i < e->nnodes && r.outcome == GC_REMOVED; i++) {
                int pop = populated_after(e->nodes[i], c->o->wait_ms, &r.err);

                if (pop == 1 && c->o->kill && is_v2(e->nodes[i])) {
                        r.killed = true;
                        pop = kill_recorded(e->nodes[i], &r.err) < 0 ? 1 : 0;
                }
                if (pop < 0)
                        r.outcome = GC_FAILED;
                else if (pop == 1)
                        r.outcome = GC_POPULATED;
        }
        /* 3. the nodes, bottom-up; the record only once none of them is left */
        for (int i = 0; i < e->nnodes && r.outcome == GC_REMOVED; i++) {
                bool existed = access(e->nodes[i], F_OK) == 0;

                if (cg_remove_tree(e->nodes[i], &r.err) < 0)
                        r.outcome = GC_FAILED;
                else if (existed)
                        r.nremoved++;
        }
        c->fn(&r, c->ctx);
        return r.outcome == GC_REMOVED;
}

int gc_sweep(const char *registry_dir, const struct gc_options *o, gc_report_fn fn, void *ctx,
             struct cerr *err)
{
        struct sweep_ctx c = {.o = o, .fn = fn, .ctx = ctx};

        return registry_sweep(registry_dir, one_orphan, &c, err);
}
