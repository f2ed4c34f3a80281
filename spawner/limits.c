#include "limits.h"

#include "../policy/units.h"

static struct cg_limit limit(const struct limit *l)
{
        return (struct cg_limit){.set = l->set,
                                 .value = l->value == UNITS_INFINITY ? CG_LIMIT_MAX : l->value};
}

void limits_of_profile(const struct profile *p, struct cg_limits *l)
{
        l->memory_max = limit(&p->memory_max);
        l->memory_high = limit(&p->memory_high);
        l->memory_swap_max = limit(&p->memory_swap_max);
        l->tasks_max = limit(&p->tasks_max);
        /* TasksMax= counts the program's tasks; the node also holds corral's shim (its PID 1):
         * pids.max is one more, so TasksMax=1 runs a program that does not fork */
        if (l->tasks_max.set && l->tasks_max.value != CG_LIMIT_MAX)
                l->tasks_max.value++;
        l->cpu_quota = limit(&p->cpu_quota);
        l->cpu_weight = limit(&p->cpu_weight);
        l->io_weight = limit(&p->io_weight);
}

unsigned limits_mask(const struct profile *p)
{
        struct cg_limits l;

        limits_of_profile(p, &l);
        return cg_limits_mask(&l);
}
