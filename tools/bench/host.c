/* The host as the bench finds it: the cgroup mounts and our delegated subtree, <own>/corral
 * in each hierarchy (removed at the end when the bench made it), and what a bench that was
 * SIGKILLed left behind (swept at the start). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../ns/cgroup.h"
#include "../../spawner/registry.h"
#include "bench.h"

struct cg_mounts host;
struct cg_delegation deleg;
/* <own>/corral in v2 and in each v1 hierarchy: removed at the end when the bench made it */
static char corral_dirs[1 + CG_NCTRL][PATH_MAX];
static bool corral_dir_ours[1 + CG_NCTRL];

/* rmdir a directory tree below (and including) path, bottom-up. Only directories are
 * removed: in cgroupfs that is exactly the cgroups, and nothing else can be deleted. */
static int rmdir_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (type == FTW_DP) {
                for (int i = 0; i < 200 && rmdir(p) < 0 && errno == EBUSY; i++)
                        sleep_ms(1);
        }
        return 0;
}

void rmdir_tree(const char *path)
{
        if (access(path, F_OK) < 0)
                return;
        /* FTW_DEPTH: children before their parents; FTW_PHYS: never follow a link */
        nftw(path, rmdir_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Kill everything below a v2 directory of ours and remove it. */
void kill_and_remove_v2(const char *path)
{
        char file[PATH_MAX + 32];
        int fd;

        if (access(path, F_OK) < 0)
                return;
        snprintf(file, sizeof file, "%s/cgroup.kill", path);
        fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void)!write(fd, "1", 1);
                close(fd);
        }
        snprintf(file, sizeof file, "%s/cgroup.events", path);
        for (int i = 0; i < 5000; i++) {
                char buf[256];

                if (read_small(file, buf, sizeof buf) < 0 || strstr(buf, "populated 0"))
                        break;
                sleep_ms(1);
        }
        rmdir_tree(path);
}

static bool pid_alive(pid_t pid)
{
        return kill(pid, 0) == 0 || errno == EPERM;
}

/* Leftovers of a bench that died without cleaning up (SIGKILL): trees in the registry whose
 * lock is free and whose name is ours, and floor bases of dead bench processes. */
static bool sweep_bench_orphan(const struct registry_entry *e, const char *record, void *ctx)
{
        int pid;
        unsigned seq;
        char extra;

        (void)ctx;
        (void)record;
        /* the bench's names: bench-<pid>-<n>; anything else is corral gc's to sweep */
        if (!e || sscanf(e->tree, "bench-%d-%u%c", &pid, &seq, &extra) != 2)
                return false;
        for (int i = 0; i < e->nnodes; i++) {
                struct cg_node n;
                struct cerr err = {0};

                if (access(e->nodes[i], F_OK) < 0)
                        continue;
                /* recorded before it was made: ours even if a crash left it untagged */
                if (cg_adopt_tree(e->nodes[i], e->tree, &err) < 0 ||
                    cg_node_open(&n, e->nodes[i], &err) < 0)
                        return false;
                if (cg_node_populated(&n, &err) != 0 && cg_node_kill(&n, &err) == 0)
                        cg_node_wait_empty(&n, 5000, &err);
                cg_node_close(&n);
                if (cg_remove_tree(e->nodes[i], &err) < 0)
                        return false;
        }
        fprintf(stderr, "corral-bench: removed %s, left by a bench that died\n", e->tree);
        return true;
}

static void sweep_floor_orphans(const char *corral_dir, bool v2)
{
        DIR *d = opendir(corral_dir);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                char path[PATH_MAX * 2], tag[64];
                int pid;

                if (sscanf(de->d_name, "benchfloor-%d", &pid) != 1 || pid_alive(pid))
                        continue;
                snprintf(path, sizeof path, "%s/%s", corral_dir, de->d_name);
                if (cg_tag_get(path, tag, sizeof tag) < 0)
                        continue;
                if (v2)
                        kill_and_remove_v2(path);
                else
                        rmdir_tree(path);
                fprintf(stderr, "corral-bench: removed %s, left by a bench that died\n", path);
        }
        if (d)
                closedir(d);
}

void host_setup(void)
{
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64], dir[PATH_MAX];

        if (geteuid() != 0)
                die("needs root and a writable cgroup v2 hierarchy, as `corral run` does");
        if (cg_mounts_discover(&host, &err) < 0 || cg_mounts_usable(&host, &err) < 0 ||
            cg_delegation_probe(&host, &deleg, &err) < 0 ||
            cg_delegation_enter_leaf(&deleg, &err) < 0)
                die("%s", cerr_str(&err, ebuf, sizeof ebuf));
        for (int h = 0; h <= CG_NCTRL; h++) {
                const char *own = h == 0 ? deleg.own_dir : host.ctrl[h - 1].v1.own_dir;

                if (h > 0 && (host.ctrl[h - 1].src != CG_SRC_V1 || !own[0]))
                        continue;
                snprintf(corral_dirs[h], sizeof corral_dirs[h], "%s/%s", own, CG_BASE_NAME);
                corral_dir_ours[h] = access(corral_dirs[h], F_OK) < 0;
        }
        registry_sweep(REGISTRY_DIR, sweep_bench_orphan, NULL, &err);
        snprintf(dir, sizeof dir, "%s/%s", deleg.own_dir, CG_BASE_NAME);
        sweep_floor_orphans(dir, true);
        for (int c = 0; c < CG_NCTRL; c++) {
                if (host.ctrl[c].src == CG_SRC_V1 && host.ctrl[c].v1.own_dir[0]) {
                        snprintf(dir, sizeof dir, "%s/%s", host.ctrl[c].v1.own_dir, CG_BASE_NAME);
                        sweep_floor_orphans(dir, false);
                }
        }
}

void host_teardown(void)
{
        /* <own>/corral where the bench made it; when another corral uses it by now, the
         * rmdir fails and it stays, as corral itself leaves it */
        for (int h = 0; h <= CG_NCTRL; h++) {
                if (corral_dir_ours[h])
                        rmdir(corral_dirs[h]);
                corral_dir_ours[h] = false;
        }
}
