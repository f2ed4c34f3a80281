#include "limits.h"

#include <stdio.h>
#include <string.h>

#include "../policy/units.h"

#define CPU_PERIOD_US 100000ULL

unsigned limits_mask(const struct profile *p)
{
        unsigned m = 0;

        if (p->memory_max.set || p->memory_high.set || p->memory_swap_max.set)
                m |= 1u << CG_MEMORY;
        if (p->tasks_max.set)
                m |= 1u << CG_PIDS;
        if (p->cpu_quota.set || p->cpu_weight.set)
                m |= 1u << CG_CPU;
        if (p->io_weight.set)
                m |= 1u << CG_IO;
        return m;
}

static void put(struct limit_write *out, int *n, int max, const char *file, const char *fmt,
                unsigned long long v)
{
        if (*n >= max)
                return;
        out[*n].file = file;
        /* fmt is "%llu" or a fixed word ("max", "-1") that ignores v */
        /* cppcheck-suppress wrongPrintfScanfArgNum */
        snprintf(out[*n].value, sizeof out[*n].value, fmt, v);
        (*n)++;
}

static void put_limit(struct limit_write *out, int *n, int max, const char *file,
                      const struct limit *l, bool v1)
{
        if (!l->set)
                return;
        if (l->value == UNITS_INFINITY)
                put(out, n, max, file, v1 ? "-1" : "max", 0); /* v1 spells it -1 */
        else
                put(out, n, max, file, "%llu", (unsigned long long)l->value);
}

int limits_writes(const struct profile *p, enum cg_ctrl c, bool v1, struct limit_write *out,
                  int max)
{
        int n = 0;

        switch (c) {
        case CG_MEMORY:
                put_limit(out, &n, max, v1 ? "memory.limit_in_bytes" : "memory.max", &p->memory_max,
                          v1);
                if (!v1)
                        put_limit(out, &n, max, "memory.high", &p->memory_high, v1);
                /* v1 has only memory+swap (memsw), needing swap accounting: see
                 * limits_unsupported() */
                if (!v1)
                        put_limit(out, &n, max, "memory.swap.max", &p->memory_swap_max, v1);
                break;
        case CG_PIDS:
                if (p->tasks_max.set && p->tasks_max.value == UNITS_INFINITY)
                        put(out, &n, max, "pids.max", "max", 0);
                else
                        put_limit(out, &n, max, "pids.max", &p->tasks_max, v1);
                break;
        case CG_CPU:
                if (p->cpu_quota.set) {
                        unsigned long long quota = p->cpu_quota.value * CPU_PERIOD_US / 10000;

                        if (quota < 1000)
                                quota = 1000; /* the kernel's minimum quota is 1 ms */
                        if (v1) {
                                put(out, &n, max, "cpu.cfs_period_us", "%llu", CPU_PERIOD_US);
                                put(out, &n, max, "cpu.cfs_quota_us", "%llu", quota);
                        } else {
                                char both[64];

                                snprintf(both, sizeof both, "%llu %llu", quota, CPU_PERIOD_US);
                                if (n < max) {
                                        out[n].file = "cpu.max";
                                        snprintf(out[n].value, sizeof out[n].value, "%s", both);
                                        n++;
                                }
                        }
                }
                if (p->cpu_weight.set) {
                        /* v1 cpu.shares: weight 100 (the default) is 1024 shares */
                        if (v1)
                                put(out, &n, max, "cpu.shares", "%llu",
                                    (unsigned long long)(p->cpu_weight.value * 1024 / 100));
                        else
                                put(out, &n, max, "cpu.weight", "%llu",
                                    (unsigned long long)p->cpu_weight.value);
                }
                break;
        case CG_IO:
                if (p->io_weight.set) {
                        unsigned long long w = p->io_weight.value;

                        if (v1) { /* blkio.weight is 10..1000, io.weight 1..10000 */
                                w = w / 10;
                                if (w < 10)
                                        w = 10;
                                if (w > 1000)
                                        w = 1000;
                                put(out, &n, max, "blkio.weight", "%llu", w);
                        } else {
                                put(out, &n, max, "io.weight", "%llu", w);
                        }
                }
                break;
        case CG_NCTRL:
                break;
        }
        return n;
}

long long limits_oom_kills(const struct cg_node *n, bool v1)
{
        struct cerr err = {0};
        char buf[1024];
        long long v;

        if (n->fd < 0 ||
            cg_node_read(n, v1 ? "memory.oom_control" : "memory.events", buf, sizeof buf, &err) < 0)
                return 0;
        return cg_kv_get(buf, "oom_kill", &v) == 0 ? v : 0;
}
