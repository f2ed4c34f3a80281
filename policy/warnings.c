/* Keys a host cannot apply: a warning each, never silence (DESIGN §9). The caller shows them
 * (event log, `corral policy check`); nothing here prints. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

static int warn(struct strlist *out, struct cerr *err, const char *key, const char *why)
{
        char buf[256];

        snprintf(buf, sizeof buf, "%s: %s", key, why);
        return strlist_add(out, buf, err);
}

static bool v1_has(const char *dir, const char *file)
{
        char path[PATH_MAX + 64];

        snprintf(path, sizeof path, "%s/%s", dir, file);
        return access(path, F_OK) == 0;
}

int policy_host_warnings(const struct profile *p, const struct cg_mounts *h, bool have_swap,
                         struct strlist *out, struct cerr *err)
{
        static const struct {
                const char *key;
                size_t off;
                enum cg_ctrl ctrl;
        } limits[] = {
            {"MemoryMax", offsetof(struct profile, memory_max), CG_MEMORY},
            {"MemoryHigh", offsetof(struct profile, memory_high), CG_MEMORY},
            {"MemorySwapMax", offsetof(struct profile, memory_swap_max), CG_MEMORY},
            {"TasksMax", offsetof(struct profile, tasks_max), CG_PIDS},
            {"CPUQuota", offsetof(struct profile, cpu_quota), CG_CPU},
            {"CPUWeight", offsetof(struct profile, cpu_weight), CG_CPU},
            {"IOWeight", offsetof(struct profile, io_weight), CG_IO},
        };

        for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
                const struct limit *l = (const struct limit *)((const char *)p + limits[i].off);
                char why[96];

                if (!l->set || h->ctrl[limits[i].ctrl].src != CG_SRC_NONE)
                        continue;
                snprintf(why, sizeof why, "no %s controller on this host: not applied",
                         cg_ctrl_name(limits[i].ctrl));
                if (warn(out, err, limits[i].key, why) < 0)
                        return -1;
        }
        /* Hybrid hosts: memory from a v1 hierarchy has no memory.high and limits memory and
         * swap only together (memsw, and only with swap accounting). */
        if (h->ctrl[CG_MEMORY].src == CG_SRC_V1) {
                if (p->memory_high.set &&
                    warn(out, err, "MemoryHigh",
                         "memory is a cgroup v1 controller here and v1 has no memory.high: not "
                         "applied") < 0)
                        return -1;
                if (p->memory_swap_max.set &&
                    warn(out, err, "MemorySwapMax",
                         "memory is a cgroup v1 controller here and v1 limits memory and swap "
                         "only together: not applied") < 0)
                        return -1;
        }
        /* blkio's weight comes with the I/O scheduler (CFQ's blkio.weight, BFQ's blkio.bfq.*):
         * with neither, there is nothing to write it to */
        if (p->io_weight.set && h->ctrl[CG_IO].src == CG_SRC_V1 && h->ctrl[CG_IO].v1.own_dir[0] &&
            !v1_has(h->ctrl[CG_IO].v1.own_dir, "blkio.weight") &&
            !v1_has(h->ctrl[CG_IO].v1.own_dir, "blkio.bfq.io_service_bytes") &&
            warn(out, err, "IOWeight",
                 "blkio has no weight here (neither CFQ nor BFQ schedules its disks): not "
                 "applied") < 0)
                return -1;
        /* A swap limit on a host without swap changes nothing today and would start to
         * matter the day swap is added: worth knowing either way. */
        if (p->memory_swap_max.set && h->ctrl[CG_MEMORY].src == CG_SRC_V2 && !have_swap &&
            warn(out, err, "MemorySwapMax",
                 "no swap on this host: the limit has no effect until swap is added") < 0)
                return -1;
        return 0;
}

int policy_host_has_swap(bool *have_swap, struct cerr *err)
{
        FILE *f = fopen("/proc/swaps", "re");
        char line[512];
        int lines = 0;

        *have_swap = false;
        if (!f) {
                /* no /proc/swaps: a kernel without swap support */
                if (errno == ENOENT)
                        return 0;
                return cerr_set(err, errno, CERR_OPEN, "reading /proc/swaps");
        }
        while (fgets(line, sizeof line, f))
                lines++;
        fclose(f);
        /* a header line, then one line per active swap area */
        *have_swap = lines > 1;
        return 0;
}
