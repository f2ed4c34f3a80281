#include "cgroup_limits.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CPU_PERIOD_US 100000ULL

unsigned cg_limits_mask(const struct cg_limits *l)
{
        unsigned m = 0;

        if (l->memory_max.set || l->memory_high.set || l->memory_swap_max.set)
                m |= 1u << CG_MEMORY;
        if (l->tasks_max.set)
                m |= 1u << CG_PIDS;
        if (l->cpu_quota.set || l->cpu_weight.set)
                m |= 1u << CG_CPU;
        if (l->io_weight.set)
                m |= 1u << CG_IO;
        return m;
}

/* One "file = value" pair; the value a number, or a word when word is not NULL. */
static void put(struct cg_write *out, int *n, int max, const char *file, const char *word,
                unsigned long long v)
{
        if (*n >= max)
                return;
        out[*n].file = file;
        if (word)
                snprintf(out[*n].value, sizeof out[*n].value, "%s", word);
        else
                snprintf(out[*n].value, sizeof out[*n].value, "%llu", v);
        (*n)++;
}

static void put_limit(struct cg_write *out, int *n, int max, const char *file,
                      const struct cg_limit *l, const char *unlimited)
{
        if (l->set)
                put(out, n, max, file, l->value == CG_LIMIT_MAX ? unlimited : NULL, l->value);
}

static unsigned long long cpu_quota_us(const struct cg_limits *l)
{
        unsigned long long q = l->cpu_quota.value * CPU_PERIOD_US / 10000;

        return q < 1000 ? 1000 : q; /* the kernel's minimum quota is 1 ms */
}

/* ---- v2: the actor's own node ---- */

static int v2_writes(const struct cg_limits *l, enum cg_ctrl c, struct cg_write *out, int max)
{
        int n = 0;

        switch (c) {
        case CG_MEMORY:
                put_limit(out, &n, max, "memory.max", &l->memory_max, "max");
                put_limit(out, &n, max, "memory.high", &l->memory_high, "max");
                put_limit(out, &n, max, "memory.swap.max", &l->memory_swap_max, "max");
                break;
        case CG_PIDS:
                put_limit(out, &n, max, "pids.max", &l->tasks_max, "max");
                break;
        case CG_CPU:
                if (l->cpu_quota.set) {
                        char both[64];

                        snprintf(both, sizeof both, "%llu %llu", cpu_quota_us(l), CPU_PERIOD_US);
                        put(out, &n, max, "cpu.max", both, 0);
                }
                put_limit(out, &n, max, "cpu.weight", &l->cpu_weight, NULL);
                break;
        case CG_IO:
                put_limit(out, &n, max, "io.weight", &l->io_weight, NULL);
                break;
        case CG_NCTRL:
                break;
        }
        return n;
}

static int write_all(const struct cg_node *node, const struct cg_write *w, int n, struct cerr *err)
{
        for (int i = 0; i < n; i++) {
                if (cg_node_write(node, w[i].file, w[i].value, err) < 0)
                        return -1;
        }
        return 0;
}

static int v2_apply(const struct cg_limits *l, enum cg_ctrl c, const struct cg_limit_site *site,
                    struct cg_node *group, struct cerr *err)
{
        struct cg_write w[4];
        int n = v2_writes(l, c, w, 4);

        group->fd = -1;
        /* the controller must be enabled on every level above the node */
        for (int i = 0; i < site->nabove; i++) {
                if (cg_node_enable(site->above[i], 1u << c, err) < 0)
                        return cerr_wrap(err,
                                         "enabling %s for corral's nodes (is it enabled "
                                         "in the subtree_control above them?)",
                                         cg_ctrl_name(c));
        }
        if (write_all(site->node, w, n, err) < 0)
                return -1;
        /* an OOM kill ends the whole leaf, not one process in it: the actor fails as one */
        if (c == CG_MEMORY && (cg_node_enable(site->node, 1u << CG_MEMORY, err) < 0 ||
                               cg_node_write(site->leaf, "memory.oom.group", "1", err) < 0))
                return -1;
        return 0;
}

static long long oom_kills_in(const struct cg_node *n, const char *file)
{
        struct cerr err = {0};
        char buf[1024];
        long long v;

        if (n->fd < 0 || cg_node_read(n, file, buf, sizeof buf, &err) < 0)
                return 0;
        return cg_kv_get(buf, "oom_kill", &v) == 0 ? v : 0;
}

static long long v2_oom_kills(const struct cg_node *n)
{
        return oom_kills_in(n, "memory.events");
}

/* ---- v1: a group of the controller's own hierarchy ---- */

static int v1_writes(const struct cg_limits *l, enum cg_ctrl c, struct cg_write *out, int max)
{
        int n = 0;

        switch (c) {
        case CG_MEMORY:
                /* no memory.high, and swap only together with memory (memsw): host warnings
                 * say so (policy_host_warnings) */
                put_limit(out, &n, max, "memory.limit_in_bytes", &l->memory_max, "-1");
                break;
        case CG_PIDS:
                put_limit(out, &n, max, "pids.max", &l->tasks_max, "max");
                break;
        case CG_CPU:
                if (l->cpu_quota.set) {
                        put(out, &n, max, "cpu.cfs_period_us", NULL, CPU_PERIOD_US);
                        put(out, &n, max, "cpu.cfs_quota_us", NULL, cpu_quota_us(l));
                }
                /* cpu.shares: weight 100 (the default) is 1024 shares */
                if (l->cpu_weight.set)
                        put(out, &n, max, "cpu.shares", NULL, l->cpu_weight.value * 1024 / 100);
                break;
        case CG_IO:
                if (l->io_weight.set) {
                        /* as systemd maps it: io.weight's default 100 is blkio.weight's 500
                         * (10..1000) */
                        unsigned long long w = l->io_weight.value * 5;

                        put(out, &n, max, "blkio.weight", NULL, w < 10 ? 10 : w > 1000 ? 1000 : w);
                }
                break;
        case CG_NCTRL:
                break;
        }
        return n;
}

static int v1_apply(const struct cg_limits *l, enum cg_ctrl c, const struct cg_limit_site *site,
                    struct cg_node *group, struct cerr *err)
{
        struct cg_write w[4];
        int n = v1_writes(l, c, w, 4);
        char rel[PATH_MAX];

        group->fd = -1;
        /* v1 has no no-internal-processes rule: the shim goes straight into the actor's
         * group, no self/ level */
        if (site->parent) {
                if (site->parent->fd < 0 && cg_v1_mirror(site->parent, site->v1_own_dir,
                                                         site->parent_rel, site->tag, err) < 0)
                        return cerr_wrap(err, "creating the tree's v1 %s group", cg_ctrl_name(c));
                if (cg_node_create(group, site->parent->path, site->name, site->tag, err) < 0)
                        return cerr_wrap(err, "creating the v1 %s group", cg_ctrl_name(c));
        } else {
                snprintf(rel, sizeof rel, "%s/%s", site->parent_rel, site->name);
                if (cg_v1_mirror(group, site->v1_own_dir, rel, site->tag, err) < 0)
                        return cerr_wrap(err, "creating the v1 %s group", cg_ctrl_name(c));
        }
        /* blkio's weight file belongs to the I/O scheduler: CFQ's blkio.weight, BFQ's
         * blkio.bfq.weight (same range), or none (then a host warning said "not applied") */
        for (int i = 0; c == CG_IO && i < n; i++) {
                if (strcmp(w[i].file, "blkio.weight") != 0 ||
                    faccessat(group->fd, "blkio.weight", F_OK, 0) == 0)
                        continue;
                if (faccessat(group->fd, "blkio.bfq.weight", F_OK, 0) == 0) {
                        /* BFQ's default is 100, as io.weight's: 1..1000 */
                        unsigned long long v = l->io_weight.value;

                        w[i].file = "blkio.bfq.weight";
                        snprintf(w[i].value, sizeof w[i].value, "%llu", v > 1000 ? 1000 : v);
                } else {
                        w[i] = w[n - 1];
                        n--;
                        i--;
                }
        }
        return write_all(group, w, n, err);
}

static long long v1_oom_kills(const struct cg_node *n)
{
        /* v1 counts a kill in the victim's memcg: the actor's group, where the shim and
         * everything it forked live */
        return oom_kills_in(n, "memory.oom_control");
}

static const struct cg_backend v2_backend = {"v2", v2_writes, v2_apply, v2_oom_kills};
static const struct cg_backend v1_backend = {"v1", v1_writes, v1_apply, v1_oom_kills};

const struct cg_backend *cg_backend_for(const struct cg_mounts *m, enum cg_ctrl c)
{
        if (m->ctrl[c].src == CG_SRC_V2)
                return &v2_backend;
        if (m->ctrl[c].src == CG_SRC_V1 && m->ctrl[c].v1.own_dir[0])
                return &v1_backend;
        return NULL;
}
