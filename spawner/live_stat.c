/* `corral stat` and `corral sockets` from another shell (live.h): cgroup files read directly,
 * at the paths the tree's registry record gives, and sock_diag dumps joined with the socket
 * fds of the tree's processes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ns/cgroup_mounts.h"
#include "../ns/kfile.h"
#include "live.h"

static const struct {
        const char *name;
        enum cg_ctrl ctrl;
} stat_keys[LS_NKEYS] = {
    [LS_MEM_CURRENT] = {"memory.current", CG_MEMORY},
    [LS_MEM_PEAK] = {"memory.peak", CG_MEMORY},
    [LS_MEM_LIMIT] = {"memory.max", CG_MEMORY},
    [LS_MEM_OOM] = {"memory.events.oom", CG_MEMORY},
    [LS_MEM_OOM_KILL] = {"memory.events.oom_kill", CG_MEMORY},
    [LS_MEM_MAX_HIT] = {"memory.events.max", CG_MEMORY},
    [LS_PIDS_CURRENT] = {"pids.current", CG_PIDS},
    [LS_PIDS_LIMIT] = {"pids.max", CG_PIDS},
    [LS_PIDS_MAX_HIT] = {"pids.events.max", CG_PIDS},
    [LS_CPU_USAGE_US] = {"cpu.usage_us", CG_CPU},
    [LS_CPU_PERIODS] = {"cpu.nr_periods", CG_CPU},
    [LS_CPU_THROTTLED] = {"cpu.nr_throttled", CG_CPU},
    [LS_CPU_THROTTLED_US] = {"cpu.throttled_us", CG_CPU},
    [LS_CPU_QUOTA_US] = {"cpu.quota_us", CG_CPU},
    [LS_CPU_PERIOD_US] = {"cpu.period_us", CG_CPU},
};

const char *live_stat_name(enum live_stat_key k)
{
        return k < LS_NKEYS ? stat_keys[k].name : "?";
}

int live_stat_ctrl(enum live_stat_key k)
{
        return k < LS_NKEYS ? (int)stat_keys[k].ctrl : 0;
}

/* v1's "no limit" for memory is the page counter's maximum (PAGE_COUNTER_MAX pages, rounded):
 * anything this large is no limit */
#define V1_UNLIMITED (UINT64_C(1) << 62)

/* dir/file: its first number, or key's value in a keyed file. */
static bool get(struct live_stat_value *v, int version, const char *dir, const char *file,
                const char *key, uint64_t div)
{
        char path[PATH_MAX + 64], buf[1024];
        long long kv;

        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path ||
            kfile_read(path, buf, sizeof buf) < 0)
                return false;
        snprintf(v->file, sizeof v->file, "%s", file);
        v->version = version;
        if (key) {
                if (cg_kv_get(buf, key, &kv) < 0 || kv < 0) {
                        v->version = 0;
                        return false;
                }
                v->value = (uint64_t)kv / div;
        } else if (strncmp(buf, "max", 3) == 0) {
                v->unlimited = true;
        } else if (buf[0] == '-') {
                v->unlimited = true; /* cpu.cfs_quota_us -1 */
        } else if (sscanf(buf, "%" SCNu64, &v->value) != 1) {
                v->version = 0;
                return false;
        } else {
                v->value /= div;
        }
        return true;
}

static void read_memory(struct live_stat *st, int ver, const char *d)
{
        struct live_stat_value *v = st->v;

        if (ver == 2) {
                get(&v[LS_MEM_CURRENT], 2, d, "memory.current", NULL, 1);
                get(&v[LS_MEM_PEAK], 2, d, "memory.peak", NULL, 1);
                get(&v[LS_MEM_LIMIT], 2, d, "memory.max", NULL, 1);
                get(&v[LS_MEM_OOM], 2, d, "memory.events", "oom", 1);
                get(&v[LS_MEM_OOM_KILL], 2, d, "memory.events", "oom_kill", 1);
                get(&v[LS_MEM_MAX_HIT], 2, d, "memory.events", "max", 1);
                return;
        }
        get(&v[LS_MEM_CURRENT], 1, d, "memory.usage_in_bytes", NULL, 1);
        get(&v[LS_MEM_PEAK], 1, d, "memory.max_usage_in_bytes", NULL, 1);
        if (get(&v[LS_MEM_LIMIT], 1, d, "memory.limit_in_bytes", NULL, 1) &&
            v[LS_MEM_LIMIT].value >= V1_UNLIMITED)
                v[LS_MEM_LIMIT].unlimited = true;
        /* v1 counts no OOM events apart from kills (memory.oom_control, since 4.13) */
        get(&v[LS_MEM_OOM_KILL], 1, d, "memory.oom_control", "oom_kill", 1);
        get(&v[LS_MEM_MAX_HIT], 1, d, "memory.failcnt", NULL, 1);
}

static void read_pids(struct live_stat *st, int ver, const char *d)
{
        get(&st->v[LS_PIDS_CURRENT], ver, d, "pids.current", NULL, 1);
        get(&st->v[LS_PIDS_LIMIT], ver, d, "pids.max", NULL, 1);
        get(&st->v[LS_PIDS_MAX_HIT], ver, d, "pids.events", "max", 1);
}

static void read_cpu(struct live_stat *st, int ver, const char *d)
{
        struct live_stat_value *v = st->v;
        char buf[128], path[PATH_MAX + 16];
        long long q, p;

        get(&v[LS_CPU_PERIODS], ver, d, "cpu.stat", "nr_periods", 1);
        get(&v[LS_CPU_THROTTLED], ver, d, "cpu.stat", "nr_throttled", 1);
        if (ver == 1) {
                get(&v[LS_CPU_THROTTLED_US], 1, d, "cpu.stat", "throttled_time", 1000);
                get(&v[LS_CPU_QUOTA_US], 1, d, "cpu.cfs_quota_us", NULL, 1);
                get(&v[LS_CPU_PERIOD_US], 1, d, "cpu.cfs_period_us", NULL, 1);
                if (v[LS_CPU_USAGE_US].version == 0) /* a cpu,cpuacct hierarchy */
                        get(&v[LS_CPU_USAGE_US], 1, d, "cpuacct.usage", NULL, 1000);
                return;
        }
        get(&v[LS_CPU_THROTTLED_US], 2, d, "cpu.stat", "throttled_usec", 1);
        /* cpu.max: "QUOTA PERIOD", QUOTA "max" when unlimited */
        snprintf(path, sizeof path, "%s/cpu.max", d);
        if (kfile_read(path, buf, sizeof buf) < 0)
                return;
        for (int k = LS_CPU_QUOTA_US; k <= LS_CPU_PERIOD_US; k++) {
                v[k].version = 2;
                snprintf(v[k].file, sizeof v[k].file, "cpu.max");
        }
        if (sscanf(buf, "max %lld", &p) == 1) {
                v[LS_CPU_QUOTA_US].unlimited = true;
                v[LS_CPU_PERIOD_US].value = (uint64_t)p;
        } else if (sscanf(buf, "%lld %lld", &q, &p) == 2) {
                v[LS_CPU_QUOTA_US].value = (uint64_t)q;
                v[LS_CPU_PERIOD_US].value = (uint64_t)p;
        }
}

/* The record's v1 tree node inside the hierarchy mounted at mnt, or NULL. */
static const char *v1_tree_node(const struct registry_entry *e, const char *mnt)
{
        size_t ml = strlen(mnt);

        for (int i = 1; i < e->nnodes; i++)
                if (strncmp(e->nodes[i], mnt, ml) == 0 && e->nodes[i][ml] == '/')
                        return e->nodes[i];
        return NULL;
}

int live_stat_read(const struct registry_entry *e, const char *node, struct live_stat *st,
                   struct cerr *err)
{
        struct cg_mounts host;
        struct stat sb;
        const char *rel;
        size_t tl;

        memset(st, 0, sizeof *st);
        if (e->nnodes < 1)
                return cerr_set(err, ENOENT, CERR_READ, "tree %s has no node", e->tree);
        tl = strlen(e->nodes[0]);
        if (strncmp(node, e->nodes[0], tl) != 0 || (node[tl] && node[tl] != '/'))
                return cerr_set(err, EINVAL, CERR_READ, "%s is not a node of tree %s", node,
                                e->tree);
        if (stat(node, &sb) < 0)
                return cerr_set(err, errno, CERR_READ, "%s", node);
        if (cg_mounts_discover(&host, err) < 0) {
                cg_mounts_free(&host);
                return -1;
        }
        rel = node + tl;
        /* the kernel keeps cpu.stat's usage in every v2 cgroup, controller or not */
        get(&st->v[LS_CPU_USAGE_US], 2, node, "cpu.stat", "usage_usec", 1);
        for (int c = CG_MEMORY; c <= CG_CPU; c++) {
                const struct cg_ctrl_info *ci = &host.ctrl[c];
                const char *top;
                int ver = 2;

                if (ci->src == CG_SRC_V2) {
                        snprintf(st->dir[c], sizeof st->dir[c], "%s", node);
                } else if (ci->src == CG_SRC_V1 && (top = v1_tree_node(e, ci->v1.mount))) {
                        ver = 1;
                        if ((size_t)snprintf(st->dir[c], sizeof st->dir[c], "%s%s", top, rel) >=
                                sizeof st->dir[c] ||
                            stat(st->dir[c], &sb) < 0) {
                                snprintf(st->why[c], sizeof st->why[c],
                                         "no v1 %s group of its own (its profile sets no %s "
                                         "limit)",
                                         cg_ctrl_v1_name((enum cg_ctrl)c), cg_ctrl_name(c));
                                st->dir[c][0] = '\0';
                                continue;
                        }
                } else {
                        snprintf(st->why[c], sizeof st->why[c], "%s",
                                 ci->note[0] ? ci->note : "the controller is not available");
                        continue;
                }
                if (c == CG_MEMORY)
                        read_memory(st, ver, st->dir[c]);
                else if (c == CG_PIDS)
                        read_pids(st, ver, st->dir[c]);
                else
                        read_cpu(st, ver, st->dir[c]);
        }
        cg_mounts_free(&host);
        return 0;
}

/* ---- sockets ---- */

struct held {
        pid_t pid;
        uint32_t ino;
        unsigned long long netns;
        size_t node; /* its index in the walk's nodes */
};

struct walk {
        struct held *v;
        size_t n, cap;
        char (*nodes)[PATH_MAX];
        size_t nnodes, capnodes;
};

static int add_held(struct walk *w, pid_t pid, uint32_t ino, unsigned long long netns, size_t node)
{
        if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 64;
                struct held *v = realloc(w->v, cap * sizeof *v);

                if (!v)
                        return -1;
                w->v = v;
                w->cap = cap;
        }
        w->v[w->n++] = (struct held){pid, ino, netns, node};
        return 0;
}

static void pid_sockets(struct walk *w, pid_t pid, size_t node)
{
        char path[64], link[64];
        struct stat sb;
        struct dirent *de;
        DIR *d;

        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
        if (stat(path, &sb) < 0)
                return; /* gone meanwhile */
        snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d))) {
                char fdp[96];
                ssize_t l;
                unsigned long ino;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(fdp, sizeof fdp, "/proc/%d/fd/%s", (int)pid, de->d_name);
                l = readlink(fdp, link, sizeof link - 1);
                if (l <= 0)
                        continue;
                link[l] = '\0';
                if (sscanf(link, "socket:[%lu]", &ino) != 1)
                        continue;
                /* one entry per socket and process (dup'd fds are the same socket) */
                bool seen = false;

                for (size_t i = 0; i < w->n && !seen; i++)
                        seen = w->v[i].pid == pid && w->v[i].ino == (uint32_t)ino;
                if (!seen &&
                    add_held(w, pid, (uint32_t)ino, (unsigned long long)sb.st_ino, node) < 0)
                        break;
        }
        closedir(d);
}

static void walk_node(struct walk *w, const char *dir, int depth)
{
        char path[PATH_MAX + 16], buf[65536];
        size_t me;
        DIR *d;
        struct dirent *de;

        if (depth > 64)
                return;
        if (w->nnodes == w->capnodes) {
                size_t cap = w->capnodes ? w->capnodes * 2 : 16;
                char(*v)[PATH_MAX] = realloc(w->nodes, cap * sizeof *v);

                if (!v)
                        return;
                w->nodes = v;
                w->capnodes = cap;
        }
        me = w->nnodes++;
        snprintf(w->nodes[me], PATH_MAX, "%s", dir);
        snprintf(path, sizeof path, "%s/cgroup.procs", dir);
        if (kfile_read(path, buf, sizeof buf) >= 0)
                for (char *p = buf, *end; *p; p = end) {
                        long pid = strtol(p, &end, 10);

                        if (end == p)
                                break;
                        if (pid > 0)
                                pid_sockets(w, (pid_t)pid, me);
                }
        d = opendir(dir);
        if (!d)
                return;
        while ((de = readdir(d))) {
                char sub[PATH_MAX];

                if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
                    (size_t)snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name) >= sizeof sub)
                        continue;
                walk_node(w, sub, depth + 1);
        }
        closedir(d);
}

int live_sockets(const char *node, struct live_socket **out, size_t *n, unsigned *missing,
                 struct cerr *err)
{
        struct walk w = {0};
        struct live_socket *v;
        size_t cnt = 0;

        *out = NULL;
        *n = 0;
        *missing = 0;
        walk_node(&w, node, 0);
        v = calloc(w.n ? w.n : 1, sizeof *v);
        if (!v) {
                free(w.v);
                free(w.nodes);
                return cerr_set(err, ENOMEM, CERR_ALLOC, "sockets");
        }
        /* one dump per network namespace: sock_diag sees only the one it is asked in */
        for (size_t i = 0; i < w.n; i++) {
                struct sockdiag_sock *ds = NULL;
                size_t nd = 0;
                char path[64];
                int fd;
                bool done = false;

                for (size_t k = 0; k < i && !done; k++)
                        done = w.v[k].netns == w.v[i].netns;
                if (done)
                        continue;
                snprintf(path, sizeof path, "/proc/%d/ns/net", (int)w.v[i].pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd >= 0 && sockdiag_dump(fd, &ds, &nd, missing, err) < 0) {
                        cerr_wrap(err, "the sockets of pid %d's network namespace",
                                  (int)w.v[i].pid);
                        close(fd);
                        free(v);
                        free(w.v);
                        free(w.nodes);
                        return -1;
                }
                if (fd >= 0)
                        close(fd);
                for (size_t k = i; k < w.n; k++) {
                        struct live_socket *s;

                        if (w.v[k].netns != w.v[i].netns)
                                continue;
                        s = &v[cnt++];
                        s->pid = w.v[k].pid;
                        s->netns = w.v[k].netns;
                        snprintf(s->node, sizeof s->node, "%s", w.nodes[w.v[k].node]);
                        s->s.ino = w.v[k].ino;
                        for (size_t j = 0; j < nd && !s->known; j++) {
                                if (ds[j].ino == w.v[k].ino) {
                                        s->s = ds[j];
                                        s->known = true;
                                }
                        }
                }
                free(ds);
        }
        free(w.v);
        free(w.nodes);
        *out = v;
        *n = cnt;
        return 0;
}
