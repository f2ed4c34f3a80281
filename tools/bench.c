/* corral-bench: `make bench` / `make bench-quick` (README "Benchmarks").
 *
 * Every corral figure is printed next to a baseline measured in the same run, on the same
 * program (build/bench-true unless --prog), interleaved round by round so that a noisy
 * neighbour hits both sides alike:
 *
 *   1. the floor: a minimal spawner in this file doing the kernel work corral does for the
 *      same isolation (clone3 with the same flags into a fresh cgroup, the same mounts, a
 *      PID 1 that forks and execs the program, reap, rmdir), plus fork+exec and posix_spawn;
 *   2. corral's spawn inside one supervisor (tools/bench_sup.h), per profile;
 *   3. the same spawn with the supervisor holding 10 MiB and 1 GiB of touched memory;
 *   4. one-shot `corral run -- prog` against a direct exec, unshare(1) and bwrap(1);
 *   5. teardown of N processes: corral's kill stage against a bare cgroup.kill.
 *
 * Everything this program creates lives below <own>/corral/ (trees bench-<pid>-<n>, the
 * floor's benchfloor-<pid>) and is removed on every exit path, including SIGINT/SIGTERM;
 * leftovers of a bench that was SIGKILLed are swept at the next start. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "../ns/cgroup_delegation.h"
#include "../ns/cgroup_mounts.h"
#include "../ns/cgroup.h"
#include "../ns/creds.h"
#include "../ns/mounts.h"
#include "../ns/syscalls.h"
#include "../ns/timeutil.h"
#include "../policy/policy.h"
#include "../policy/profile.h"
#include "../policy/seccomp_policy.h"
#include "bench_sup.h"
#include "../spawner/limits.h"
#include "../spawner/registry.h"

extern char **environ;

/* ---------------------------------------------------------------- configuration ---- */

static struct {
        bool quick, verbose;
        char build[PATH_MAX];
        char json[PATH_MAX], png[PATH_MAX];
        char prog[PATH_MAX]; /* the program every spawn runs */
        char prog_line[PATH_MAX];
        char prog_line_full[PATH_MAX]; /* as given, for the JSON */
        char *argv[9];                 /* prog and its arguments (--prog "PATH ARGS") */
        int argc;
        char corral[PATH_MAX]; /* build/corral, for the one-shot comparison */
        char self[PATH_MAX];   /* this binary: the helper modes */
        const char *only;      /* comma list of sections, NULL: all */
        const char *match;     /* spawn section: only rows whose key contains one of these */
        int warmup;            /* discarded spawns per variant before measuring */
        int rounds, batch;     /* spawn section: rounds x batch samples per variant */
        int heap_rounds, heap_batch, heap_floor_batch;
        size_t heap_small, heap_big;
        int oneshot_iters;
        int teardown_iters[3];
} cfg;

static const int teardown_sizes[3] = {10, 100, 1000};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void cleanup_all(void);

static void die(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "corral-bench: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n");
        cleanup_all();
        exit(1);
}

static void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vlog(const char *fmt, ...)
{
        va_list ap;

        if (!cfg.verbose)
                return;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
}

/* Is name in the comma list (exactly, or as a substring with `sub`)? NULL list: yes. */
static bool listed(const char *list, const char *name, bool sub)
{
        const char *p = list;
        size_t n = strlen(name);

        if (!p)
                return true;
        while (*p) {
                size_t l = strcspn(p, ",");

                if (!sub && l == n && strncmp(p, name, n) == 0)
                        return true;
                if (sub && l && memmem(name, n, p, l))
                        return true;
                p += l;
                if (*p == ',')
                        p++;
        }
        return false;
}

static bool section_on(const char *name)
{
        return listed(cfg.only, name, false);
}

/* ---------------------------------------------------------------- statistics ---- */

struct samples {
        double *v;
        size_t n, cap;
};

static void add_sample(struct samples *s, double us)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 64;
                double *v = realloc(s->v, cap * sizeof *v);

                if (!v)
                        die("out of memory");
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = us;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

struct stat_sum {
        size_t n;
        double median, p90, p99, min, max, mean;
};

static struct stat_sum summarize(const struct samples *s)
{
        struct stat_sum r = {0};
        double *v, sum = 0;

        if (!s->n)
                return r;
        v = malloc(s->n * sizeof *v);
        if (!v)
                die("out of memory");
        memcpy(v, s->v, s->n * sizeof *v);
        qsort(v, s->n, sizeof *v, cmp_double);
        for (size_t i = 0; i < s->n; i++)
                sum += v[i];
        r.n = s->n;
        r.min = v[0];
        r.max = v[s->n - 1];
        r.mean = sum / (double)s->n;
        r.median = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
        /* nearest rank */
        r.p90 = v[(size_t)ceil(0.90 * (double)s->n) - 1];
        r.p99 = v[(size_t)ceil(0.99 * (double)s->n) - 1];
        free(v);
        return r;
}

/* One line of the table: a variant with its metrics, and the baseline it is read against.
 * The table prints A and B (median, p90, p99) and the median of C; the phases (P1..P5:
 * where the time of one spawn went) are in the JSON only. */
enum { M_A, M_B, M_C, M_P1, M_P2, M_P3, M_P4, M_P5, M_CPU_SELF, M_CPU_ZYGOTE, M_CPU_KIDS, NMETRIC };

struct row {
        const char *key, *section, *label;
        const char *metric[NMETRIC]; /* "start_us", "cycle_us", "cpu_us"; NULL: unused */
        struct samples m[NMETRIC];
        struct row *base;
        char na[200]; /* not measured, and why */
        int failures;
        char first_failure[200];
};

#define MAX_ROWS 48
static struct row rows[MAX_ROWS];
static int nrows;

static struct row *row_new(const char *key, const char *section, const char *label, const char *ma,
                           const char *mb, struct row *base)
{
        struct row *r;

        if (nrows == MAX_ROWS)
                die("too many rows");
        r = &rows[nrows++];
        r->key = key;
        r->section = section;
        r->label = label;
        r->metric[M_A] = ma;
        r->metric[M_B] = mb;
        r->base = base;
        return r;
}

static double row_median(const struct row *r, int m)
{
        if (!r || r->na[0] || !r->m[m].n)
                return NAN;
        return summarize(&r->m[m]).median;
}

static double ratio(const struct row *r, int m)
{
        return row_median(r, m) / row_median(r->base, m);
}

/* ---------------------------------------------------------------- small helpers ---- */

static int64_t now_us(void)
{
        return mono_us();
}

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
                ;
}

static int write_file_at(int dirfd, const char *file, const char *value)
{
        int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = write(fd, value, strlen(value));
        close(fd);
        return n == (ssize_t)strlen(value) ? 0 : -1;
}

static bool in_path(const char *name, char *out, size_t len)
{
        const char *path = getenv("PATH");

        if (!path)
                path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        while (*path) {
                size_t l = strcspn(path, ":");

                snprintf(out, len, "%.*s/%s", (int)l, path, name);
                if (l && access(out, X_OK) == 0)
                        return true;
                path += l;
                if (*path == ':')
                        path++;
        }
        return false;
}

static int read_small(const char *path, char *buf, size_t len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        buf[0] = '\0';
        if (fd < 0)
                return -1;
        n = read(fd, buf, len - 1);
        close(fd);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

/* Lines in a cgroup.procs: the processes in one cgroup. */
static int count_procs(const char *leaf)
{
        char path[PATH_MAX + 16], buf[8192];
        int fd, n = 0;
        ssize_t r;

        snprintf(path, sizeof path, "%s/cgroup.procs", leaf);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        while ((r = read(fd, buf, sizeof buf)) > 0) {
                for (ssize_t i = 0; i < r; i++)
                        n += buf[i] == '\n';
        }
        close(fd);
        return n;
}

/* ---------------------------------------------------------------- host and cgroups ---- */

static struct cg_mounts host;
static struct cg_delegation deleg;
static char floor_base[PATH_MAX]; /* <own>/corral/benchfloor-<pid> (v2) */
static int floor_base_fd = -1;
static int prog_fd = -1; /* the program, O_PATH: the floor execs it by fd, as corral does */
/* per spawn: the floor's node, shown at /sys/fs/cgroup as corral shows an actor its own */
static char floor_node_path[PATH_MAX];
static struct cred_plan floor_creds;
static char floor_v1_base[CG_NCTRL][PATH_MAX]; /* the same in each v1 hierarchy we limit */
static int floor_v1_fd[CG_NCTRL] = {-1, -1, -1, -1};
static bool floor_base_made;
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

static void rmdir_tree(const char *path)
{
        if (access(path, F_OK) < 0)
                return;
        /* FTW_DEPTH: children before their parents; FTW_PHYS: never follow a link */
        nftw(path, rmdir_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Kill everything below a v2 directory of ours and remove it. */
static void kill_and_remove_v2(const char *path)
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

static void host_setup(void)
{
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64], dir[PATH_MAX];
        struct cg_node base, fb;

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

        /* the floor's base: its per-spawn cgroups below are plain mkdirs, no corral tag */
        if (cg_base_open(&deleg, &base, &err) < 0)
                die("%s", cerr_str(&err, ebuf, sizeof ebuf));
        snprintf(dir, sizeof dir, "benchfloor-%d", (int)getpid());
        if (cg_node_create(&fb, base.path, dir, "bench", &err) < 0)
                die("%s", cerr_str(&err, ebuf, sizeof ebuf));
        floor_base_made = true;
        snprintf(floor_base, sizeof floor_base, "%s", fb.path);
        floor_base_fd = open(fb.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        floor_creds = (struct cred_plan){.set_ids = true,
                                         .uid = 65534,
                                         .gid = 65534,
                                         .groups = {65534},
                                         .ngroups = 1,
                                         .cap_last = creds_cap_last()};
        cg_node_close(&fb);
        cg_node_close(&base);
        if (floor_base_fd < 0)
                die("opening %s: %s", floor_base, strerror(errno));
}

/* The floor's limit groups: for each controller the limits profile uses, a base in its v1
 * hierarchy (hybrid hosts), or the controller enabled for the v2 base (pure v2). */
static void floor_limits_setup(unsigned mask)
{
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64], rel[PATH_MAX];

        for (int c = 0; c < CG_NCTRL; c++) {
                const struct cg_ctrl_info *ci = &host.ctrl[c];
                struct cg_node n;

                if (!(mask & (1u << c)))
                        continue;
                if (ci->src == CG_SRC_V2) {
                        struct cg_node b;
                        char parent[PATH_MAX];

                        snprintf(parent, sizeof parent, "%s/%s", deleg.own_dir, CG_BASE_NAME);
                        if (cg_node_open(&b, parent, &err) == 0) {
                                cg_node_enable(&b, 1u << c, &err);
                                cg_node_close(&b);
                        }
                        write_file_at(floor_base_fd, "cgroup.subtree_control",
                                      c == CG_MEMORY ? "+memory"
                                      : c == CG_PIDS ? "+pids"
                                      : c == CG_CPU  ? "+cpu"
                                                     : "+io");
                        continue;
                }
                if (ci->src != CG_SRC_V1 || !ci->v1.own_dir[0])
                        continue;
                snprintf(rel, sizeof rel, "%s/benchfloor-%d", CG_BASE_NAME, (int)getpid());
                if (cg_v1_mirror(&n, ci->v1.own_dir, rel, "bench", &err) < 0)
                        die("%s", cerr_str(&err, ebuf, sizeof ebuf));
                snprintf(floor_v1_base[c], sizeof floor_v1_base[c], "%s", n.path);
                floor_v1_fd[c] = open(n.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                cg_node_close(&n);
        }
}

static void floor_teardown(void)
{
        if (floor_base_fd >= 0)
                close(floor_base_fd);
        floor_base_fd = -1;
        if (floor_base_made)
                kill_and_remove_v2(floor_base);
        floor_base_made = false;
        for (int c = 0; c < CG_NCTRL; c++) {
                if (floor_v1_fd[c] >= 0)
                        close(floor_v1_fd[c]);
                floor_v1_fd[c] = -1;
                if (floor_v1_base[c][0]) {
                        rmdir_tree(floor_v1_base[c]);
                        floor_v1_base[c][0] = '\0';
                }
        }
}

/* ---------------------------------------------------------------- the floor ---- */

struct floor_cfg {
        uint64_t ns;     /* CLONE_NEW* */
        bool mounts;     /* corral's mounts (ns/mounts.c) and its default credentials */
        bool hostname;   /* sethostname (with CLONE_NEWUTS), as corral does */
        bool setsid;     /* a session of its own, as the shim takes (a diagnostic row) */
        bool loopback;   /* bring lo up (with CLONE_NEWNET) */
        bool seccomp;    /* install floor_bpf in the program before execve */
        unsigned limits; /* controllers to limit (bit = enum cg_ctrl), limit_prof's values */
};

static struct sock_fprog floor_bpf;
static struct profile limit_prof;

struct cpu {
        double self, zygote, kids; /* microseconds */
};

struct floor_times {
        int64_t t0, t_started, t_reaped, t_done;
        int64_t t_cloned;          /* floor: clone3 returned in the parent */
        int64_t t_sent, t_replied; /* corral: request to the zygote, its reply */
        int64_t migrate_us;        /* cgroup.procs writes into v1 groups before the release */
        double cpu_us;             /* CPU time of every process involved */
        struct cpu cpu;            /* the same by role: us, the zygote, reaped children */
};

static const char *const floor_phases[] = {"mkdir_clone3_us", "child_until_exec_us", "exit_reap_us",
                                           "rmdir_us", NULL};
static const char *const corral_phases[] = {
    "node_request_us", "zygote_clone3_us", "child_until_exec_us", "exit_reap_us", "rmdir_us", NULL};

/* CPU time, in microseconds, of this process, of its reaped children (and theirs: the
 * shim or PID 1, the program), and of a zygote when there is one. Precise (scheduler
 * runtime), unlike wall time not stretched by waiting for a CPU. */
static struct cpu cpu_now(int zygote_schedstat_fd)
{
        struct cpu c = {0};
        struct timespec ts;
        struct rusage ch;

        if (zygote_schedstat_fd >= 0) {
                char buf[128];
                ssize_t n = pread(zygote_schedstat_fd, buf, sizeof buf - 1, 0);

                if (n > 0) {
                        buf[n] = '\0';
                        c.zygote = strtod(buf, NULL) / 1e3; /* nanoseconds on a CPU */
                }
        }
        getrusage(RUSAGE_CHILDREN, &ch);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        c.self = (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
        c.kids = (double)(ch.ru_utime.tv_sec + ch.ru_stime.tv_sec) * 1e6 +
                 (double)(ch.ru_utime.tv_usec + ch.ru_stime.tv_usec);
        return c;
}

static double cpu_us(int zygote_schedstat_fd)
{
        struct cpu c = cpu_now(zygote_schedstat_fd);

        return c.self + c.zygote + c.kids;
}

static int schedstat_open(pid_t pid)
{
        char path[64];

        snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
        return open(path, O_RDONLY | O_CLOEXEC);
}

static __attribute__((noreturn)) void child_fail(int fd, int e)
{
        (void)!write(fd, &e, sizeof e);
        _exit(127);
}

/* PID 1 of the floor's namespace: set up, fork the program, reap it, exit with its status. */
static __attribute__((noreturn)) void floor_pid1(const struct floor_cfg *fc, int exec_wr,
                                                 int sync_rd)
{
        pid_t pid;
        int status = 0;

        if (sync_rd >= 0) {
                char c;

                if (read(sync_rd, &c, 1) != 1)
                        _exit(125);
        }
        if (fc->mounts) {
                /* exactly corral's mount work (ns/mounts.c, the plan the shim builds for the
                 * default profile): the floor cannot drift from it */
                struct mount_plan plan = {
                    .fresh_proc = true,
                    .protect_kernel = true,
                    .cgroup_view = floor_node_path,
                    .private_tmp = true,
                    .private_ipc = fc->ns & CLONE_NEWIPC,
                    .protect_system = MOUNTS_PS_FULL,
                    .mask_dirs = (char *const[]){"/run/corral", NULL},
                };
                enum mounts_step step;

                if (mounts_apply(&plan, &step) < 0 || chdir("/") < 0)
                        child_fail(exec_wr, errno);
        }
        if (fc->setsid && setsid() < 0)
                child_fail(exec_wr, errno);
        if (fc->hostname && sethostname("a", 1) < 0)
                child_fail(exec_wr, errno);
        if (fc->loopback) {
                struct ifreq ifr = {0};
                int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

                snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
                if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                        child_fail(exec_wr, errno);
                ifr.ifr_flags |= IFF_UP;
                if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                        child_fail(exec_wr, errno);
                close(s);
        }
        pid = fork();
        if (pid < 0)
                child_fail(exec_wr, errno);
        if (pid == 0) {
                if (fc->mounts) {
                        /* and corral's credentials for a root caller: nobody, no capabilities */
                        enum creds_step cs;

                        if (creds_apply(&floor_creds, &cs) < 0)
                                child_fail(exec_wr, errno);
                }
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        child_fail(exec_wr, errno);
                if (fc->seccomp && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &floor_bpf) < 0)
                        child_fail(exec_wr, errno);
                syscall(SYS_execveat, prog_fd, "", cfg.argv, environ, AT_EMPTY_PATH);
                child_fail(exec_wr, errno);
        }
        close(exec_wr);
        for (;;) {
                pid_t w = waitpid(-1, &status, 0);

                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        _exit(125);
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static unsigned floor_seq;

static int floor_spawn(const struct floor_cfg *fc, struct floor_times *t)
{
        char name[32];
        int cgfd = -1, exec_p[2] = {-1, -1}, sync_p[2] = {-1, -1}, pidfd = -1;
        int procs_fd[CG_NCTRL] = {-1, -1, -1, -1};
        bool made_v1[CG_NCTRL] = {0};
        struct clone_args args;
        pid_t pid;
        int rc = -1, e = 0, st;
        bool v1 = false;
        siginfo_t si;

        memset(t, 0, sizeof *t);
        snprintf(name, sizeof name, "f%u", ++floor_seq);
        snprintf(floor_node_path, sizeof floor_node_path, "%s/%s", floor_base, name);
        t->t0 = now_us();
        if (mkdirat(floor_base_fd, name, 0755) < 0)
                return -errno;
        cgfd = openat(floor_base_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0) {
                e = errno;
                goto out;
        }
        for (int c = 0; c < CG_NCTRL && fc->limits; c++) {
                const struct cg_backend *be = cg_backend_for(&host, (enum cg_ctrl)c);
                struct cg_write w[4];
                struct cg_limits lim;
                int n, dfd;
                bool is_v1 = host.ctrl[c].src == CG_SRC_V1;

                if (!(fc->limits & (1u << c)) || !be)
                        continue;
                if (is_v1 && floor_v1_fd[c] < 0)
                        continue;
                limits_of_profile(&limit_prof, &lim);
                n = be->writes(&lim, (enum cg_ctrl)c, w, 4);
                if (is_v1) {
                        if (mkdirat(floor_v1_fd[c], name, 0755) < 0) {
                                e = errno;
                                goto out;
                        }
                        made_v1[c] = true;
                        dfd = openat(floor_v1_fd[c], name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                } else {
                        dfd = openat(floor_base_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                }
                if (dfd < 0) {
                        e = errno;
                        goto out;
                }
                for (int i = 0; i < n; i++) {
                        if (write_file_at(dfd, w[i].file, w[i].value) < 0) {
                                e = errno;
                                close(dfd);
                                goto out;
                        }
                }
                if (is_v1) {
                        procs_fd[c] = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
                        v1 = true;
                }
                close(dfd);
        }
        if (pipe2(exec_p, O_CLOEXEC) < 0 || (v1 && pipe2(sync_p, O_CLOEXEC) < 0)) {
                e = errno;
                goto out;
        }
        memset(&args, 0, sizeof args);
        args.flags = fc->ns | CLONE_PIDFD | CLONE_CLEAR_SIGHAND;
        args.pidfd = (uint64_t)(uintptr_t)&pidfd;
        args.exit_signal = SIGCHLD;
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgfd;
        pid = (pid_t)sys_clone3(&args, sizeof args);
        if (pid == 0) {
                close(exec_p[0]);
                if (sync_p[1] >= 0)
                        close(sync_p[1]);
                floor_pid1(fc, exec_p[1], sync_p[0]);
        }
        if (pid < 0) {
                e = errno;
                goto out;
        }
        t->t_cloned = now_us();
        close(exec_p[1]);
        exec_p[1] = -1;
        if (v1) {
                char v[24];
                int l = snprintf(v, sizeof v, "%d", (int)pid);
                int64_t m0 = now_us();

                close(sync_p[0]);
                sync_p[0] = -1;
                for (int c = 0; c < CG_NCTRL; c++) {
                        if (procs_fd[c] >= 0 && write(procs_fd[c], v, (size_t)l) != l && !e)
                                e = errno;
                }
                t->migrate_us = now_us() - m0;
                if (!e && write(sync_p[1], "g", 1) != 1)
                        e = errno;
                close(sync_p[1]);
                sync_p[1] = -1;
                if (e)
                        sys_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        }
        for (;;) {
                int code;
                ssize_t n = read(exec_p[0], &code, sizeof code);

                if (n < 0 && errno == EINTR) {
                        if (stop) {
                                sys_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                                e = ECANCELED;
                        }
                        continue;
                }
                if (n == (ssize_t)sizeof code && !e)
                        e = code;
                break;
        }
        t->t_started = now_us();
        memset(&si, 0, sizeof si);
        while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0) {
                if (errno != EINTR) {
                        if (!e)
                                e = errno;
                        break;
                }
        }
        t->t_reaped = now_us();
        st = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        if (!e && st != 0)
                e = EPROTO;
        rc = 0;
out:
        for (int i = 0; i < 2; i++) {
                if (exec_p[i] >= 0)
                        close(exec_p[i]);
                if (sync_p[i] >= 0)
                        close(sync_p[i]);
        }
        for (int c = 0; c < CG_NCTRL; c++) {
                if (procs_fd[c] >= 0)
                        close(procs_fd[c]);
        }
        if (pidfd >= 0)
                close(pidfd);
        if (cgfd >= 0)
                close(cgfd);
        for (int i = 0;
             unlinkat(floor_base_fd, name, AT_REMOVEDIR) < 0 && errno == EBUSY && i < 1000; i++)
                sched_yield();
        for (int c = 0; c < CG_NCTRL; c++) {
                if (made_v1[c])
                        unlinkat(floor_v1_fd[c], name, AT_REMOVEDIR);
        }
        t->t_done = now_us();
        if (rc < 0 || e)
                return -(e ? e : EIO);
        return 0;
}

/* fork + execve + wait, with an exec pipe so that "started" means the same as elsewhere */
static int forkexec_spawn(struct floor_times *t)
{
        int p[2], code, status;
        pid_t pid;
        ssize_t n;

        memset(t, 0, sizeof *t);
        t->t0 = now_us();
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid == 0) {
                close(p[0]);
                execve(cfg.prog, cfg.argv, environ);
                child_fail(p[1], errno);
        }
        close(p[1]);
        if (pid < 0) {
                close(p[0]);
                return -errno;
        }
        while ((n = read(p[0], &code, sizeof code)) < 0 && errno == EINTR)
                ;
        close(p[0]);
        t->t_started = now_us();
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        t->t_reaped = t->t_done = now_us();
        if (n > 0)
                return -code;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

static int posix_spawn_one(struct floor_times *t)
{
        pid_t pid;
        int rc, status;

        memset(t, 0, sizeof *t);
        t->t0 = now_us();
        rc = posix_spawn(&pid, cfg.prog, NULL, NULL, cfg.argv, environ);
        t->t_started = now_us(); /* glibc returns once the child has exec'd (CLONE_VFORK) */
        if (rc != 0)
                return -rc;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        t->t_reaped = t->t_done = now_us();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

/* ---------------------------------------------------------------- corral side ---- */

#define MAX_SUPS 16
static struct bench_sup *sups[MAX_SUPS];

static struct bench_sup *sup_open(const struct profile *p)
{
        struct bench_sup_options o = {
            .profile = p, .out_fd = -1, .err_fd = cfg.verbose ? 2 : -1, .stop = &stop};
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];
        struct bench_sup *b;
        int slot = -1;

        for (int i = 0; i < MAX_SUPS && slot < 0; i++) {
                if (!sups[i])
                        slot = i;
        }
        if (slot < 0)
                die("too many supervisors");
        if (bench_sup_open(&b, &o, &err) < 0)
                die("setting up a supervisor: %s", cerr_str(&err, ebuf, sizeof ebuf));
        sups[slot] = b;
        return b;
}

static void sup_close(struct bench_sup *b)
{
        for (int i = 0; i < MAX_SUPS; i++) {
                if (sups[i] == b)
                        sups[i] = NULL;
        }
        bench_sup_close(b);
}

static void cleanup_all(void)
{
        for (int i = 0; i < MAX_SUPS; i++) {
                if (sups[i]) {
                        bench_sup_close(sups[i]);
                        sups[i] = NULL;
                }
        }
        floor_teardown();
        /* <own>/corral where the bench made it; when another corral uses it by now, the
         * rmdir fails and it stays, as corral itself leaves it */
        for (int h = 0; h <= CG_NCTRL; h++) {
                if (corral_dir_ours[h])
                        rmdir(corral_dirs[h]);
                corral_dir_ours[h] = false;
        }
}

static int corral_spawn(struct bench_sup *b, char *const *argv, struct floor_times *t, char *why,
                        size_t len)
{
        struct bench_spawn_times bt;
        struct cerr err = {0};

        memset(t, 0, sizeof *t);
        if (bench_sup_spawn(b, argv, true, &bt, &err) < 0) {
                cerr_str(&err, why, len);
                return -1;
        }
        t->t0 = bt.t_request;
        t->t_sent = bt.t_sent;
        t->t_replied = bt.t_replied;
        t->t_started = bt.t_started;
        t->t_reaped = bt.t_reaped;
        t->t_done = bt.t_removed;
        if (!bt.have_status || !WIFEXITED(bt.wstatus) || WEXITSTATUS(bt.wstatus) != 0) {
                snprintf(why, len, "the program did not exit 0 (status 0x%x)", bt.wstatus);
                return -1;
        }
        return 0;
}

/* Run PROG ARG without a shell; its exit status, or -1. */
static int run_program(const char *prog, const char *arg)
{
        char *const argv[] = {(char *)prog, (char *)arg, NULL};
        pid_t pid;
        int st;

        if (posix_spawnp(&pid, prog, NULL, NULL, argv, environ) != 0)
                return -1;
        if (waitpid(pid, &st, 0) < 0)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---------------------------------------------------------------- section 1+2: spawn ---- */

enum vkind { V_FORKEXEC, V_POSIX_SPAWN, V_FLOOR, V_CORRAL };

struct variant {
        struct floor_cfg fc;
        struct bench_sup *sup;
        struct row *row;
        struct row *mig; /* floor with v1 limits: the migration, reported on its own */
        enum vkind kind;
        int zfd; /* the zygote's /proc/PID/schedstat, or -1 */
};

static void variant_init(struct variant *v)
{
        const char *const *ph = v->kind == V_CORRAL  ? corral_phases
                                : v->kind == V_FLOOR ? floor_phases
                                                     : NULL;

        v->zfd = v->sup ? schedstat_open(bench_sup_zygote_pid(v->sup)) : -1;
        v->row->metric[M_C] = "cpu_us";
        /* by role: this process (the supervisor, or the floor's parent), the zygote, and the
         * reaped children (shim or PID 1, with the program they reaped) */
        v->row->metric[M_CPU_SELF] = "cpu_spawner_us";
        v->row->metric[M_CPU_ZYGOTE] = v->kind == V_CORRAL ? "cpu_zygote_us" : NULL;
        v->row->metric[M_CPU_KIDS] = "cpu_children_us";
        for (int i = 0; ph && i < 5 && ph[i]; i++)
                v->row->metric[M_P1 + i] = ph[i];
}

static void variant_fini(struct variant *v)
{
        if (v->zfd >= 0)
                close(v->zfd);
        v->zfd = -1;
}

static int run_variant(struct variant *v, bool record)
{
        struct floor_times t;
        char why[CERR_MSG_MAX + 64] = "";
        struct cpu c0, c1;
        int rc;

        if (v->row->na[0])
                return 0;
        c0 = cpu_now(v->zfd);
        switch (v->kind) {
        case V_FORKEXEC:
                rc = forkexec_spawn(&t);
                break;
        case V_POSIX_SPAWN:
                rc = posix_spawn_one(&t);
                break;
        case V_FLOOR:
                rc = floor_spawn(&v->fc, &t);
                if (rc < 0)
                        snprintf(why, sizeof why, "%s", strerror(-rc));
                break;
        default:
                rc = corral_spawn(v->sup, cfg.argv, &t, why, sizeof why);
                break;
        }
        c1 = cpu_now(v->zfd);
        t.cpu = (struct cpu){c1.self - c0.self, c1.zygote - c0.zygote, c1.kids - c0.kids};
        t.cpu_us = t.cpu.self + t.cpu.zygote + t.cpu.kids;
        if (rc < 0) {
                if (stop)
                        return -1;
                if (!v->row->failures++)
                        snprintf(v->row->first_failure, sizeof v->row->first_failure, "%s",
                                 why[0] ? why : strerror(-rc));
                fprintf(stderr, "corral-bench: %s: spawn failed: %s\n", v->row->label,
                        why[0] ? why : strerror(-rc));
                /* a supervisor whose spawn did not finish refuses the next one: give up */
                if (v->row->failures >= 5 || (v->kind == V_CORRAL && !stop))
                        snprintf(v->row->na, sizeof v->row->na, "failed: %s",
                                 v->row->first_failure);
                return 0;
        }
        if (record) {
                struct row *r = v->row;

                add_sample(&r->m[M_A], (double)(t.t_started - t.t0));
                add_sample(&r->m[M_B], (double)(t.t_done - t.t0));
                add_sample(&r->m[M_C], t.cpu_us);
                add_sample(&r->m[M_CPU_SELF], t.cpu.self);
                add_sample(&r->m[M_CPU_ZYGOTE], t.cpu.zygote);
                add_sample(&r->m[M_CPU_KIDS], t.cpu.kids);
                if (v->kind == V_FLOOR) {
                        add_sample(&r->m[M_P1], (double)(t.t_cloned - t.t0));
                        add_sample(&r->m[M_P2], (double)(t.t_started - t.t_cloned));
                        add_sample(&r->m[M_P3], (double)(t.t_reaped - t.t_started));
                        add_sample(&r->m[M_P4], (double)(t.t_done - t.t_reaped));
                } else if (v->kind == V_CORRAL) {
                        add_sample(&r->m[M_P1], (double)(t.t_sent - t.t0));
                        add_sample(&r->m[M_P2], (double)(t.t_replied - t.t_sent));
                        add_sample(&r->m[M_P3], (double)(t.t_started - t.t_replied));
                        add_sample(&r->m[M_P4], (double)(t.t_reaped - t.t_started));
                        add_sample(&r->m[M_P5], (double)(t.t_done - t.t_reaped));
                }
                if (v->mig)
                        add_sample(&v->mig->m[M_A], (double)t.migrate_us);
        }
        return 0;
}

/* Does PrivateNetwork=actor give the program a network namespace of its own? Asked of the
 * running code, not of a feature list: the helper compares its netns with ours. */
static bool private_network_works(struct bench_sup *b, char *why, size_t len)
{
        struct stat st;
        char ino[32];
        char *argv[] = {cfg.self, "--helper-netns", ino, NULL};
        struct bench_spawn_times t;
        struct cerr err = {0};

        if (stat("/proc/self/ns/net", &st) < 0) {
                snprintf(why, len, "n/a (cannot read our netns: %s)", strerror(errno));
                return false;
        }
        snprintf(ino, sizeof ino, "%lu", (unsigned long)st.st_ino);
        if (bench_sup_spawn(b, argv, true, &t, &err) < 0) {
                char ebuf[CERR_MSG_MAX + 64];

                snprintf(why, len, "n/a (spawn failed: %s)", cerr_str(&err, ebuf, sizeof ebuf));
                return false;
        }
        if (t.have_status && WIFEXITED(t.wstatus) && WEXITSTATUS(t.wstatus) == 0)
                return true;
        snprintf(why, len, "n/a (not implemented: the actor shares the supervisor's netns)");
        return false;
}

static void profile_or_die(struct profile *p, const char *name, const char *const *kv)
{
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];

        profile_default(p, name);
        for (; kv && kv[0]; kv += 2) {
                if (profile_set_key(p, kv[0], kv[1], &err) < 0)
                        die("profile %s: %s", name, cerr_str(&err, ebuf, sizeof ebuf));
        }
}

#define NS_DEFAULT (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

static struct profile prof_min, prof_def, prof_sec, prof_lim, prof_net;

static void section_spawn(void)
{
        static const char *const kv_min[] = {"Namespaces", "", NULL};
        static const char *const kv_sec[] = {"SystemCallFilter", "@system-service", NULL};
        static const char *const kv_lim[] = {"MemoryMax", "256M", "TasksMax", "64",
                                             "CPUQuota",  "50%",  NULL};
        static const char *const kv_net[] = {"PrivateNetwork", "actor", NULL};
        struct variant v[16];
        int nv = 0;
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];
        struct row *r, *fl;
        unsigned lim_mask;

        profile_or_die(&prof_min, "minimal", kv_min);
        profile_or_die(&prof_def, "default", NULL);
        profile_or_die(&prof_sec, "seccomp", kv_sec);
        profile_or_die(&prof_lim, "limits", kv_lim);
        profile_or_die(&prof_net, "privnet", kv_net);
        if (seccomp_compile(&prof_sec, &floor_bpf, &err) < 0)
                die("%s", cerr_str(&err, ebuf, sizeof ebuf));
        profile_copy(&limit_prof, &prof_lim, &err);
        lim_mask = limits_mask(&prof_lim);
        floor_limits_setup(lim_mask);

#define ADD(kind_, row_, ...)                                                                      \
        do {                                                                                       \
                v[nv] = (struct variant){.kind = (kind_), .row = (row_), __VA_ARGS__};             \
                nv++;                                                                              \
        } while (0)
#define SPAWN_ROW(key, label, base) row_new(key, "spawn", label, "start_us", "cycle_us", base)

        r = SPAWN_ROW("fork_exec", "fork + exec", NULL);
        ADD(V_FORKEXEC, r);
        r = SPAWN_ROW("posix_spawn", "posix_spawn", NULL);
        ADD(V_POSIX_SPAWN, r);
        r = SPAWN_ROW("floor_cgroup_pidns", "floor: cgroup + pid ns (no mount ns)", NULL);
        ADD(V_FLOOR, r, .fc = {.ns = CLONE_NEWPID});

        fl = SPAWN_ROW("floor_minimal", "floor: pid + mount ns, /proc", NULL);
        ADD(V_FLOOR, fl, .fc = {.ns = CLONE_NEWPID | CLONE_NEWNS, .mounts = true});
        r = SPAWN_ROW("corral_minimal", "corral: minimal profile (Namespaces=)", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_min));

        fl = SPAWN_ROW("floor_default", "floor: default isolation", NULL);
        ADD(V_FLOOR, fl, .fc = {.ns = NS_DEFAULT, .mounts = true, .hostname = true});
        r = SPAWN_ROW("corral_default", "corral: default profile", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_def));
        /* Not part of the floor's isolation: what the shim's setsid() costs. With autogroups
         * each new session is a scheduling group of its own (see the README). */
        r = SPAWN_ROW("floor_default_setsid", "  floor: default isolation + setsid in PID 1", fl);
        ADD(V_FLOOR, r, .fc = {.ns = NS_DEFAULT, .mounts = true, .hostname = true, .setsid = true});

        fl = SPAWN_ROW("floor_seccomp", "floor: default isolation + seccomp", NULL);
        ADD(V_FLOOR, fl,
            .fc = {.ns = NS_DEFAULT, .mounts = true, .hostname = true, .seccomp = true});
        r = SPAWN_ROW("corral_seccomp", "corral: default + @system-service filter", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_sec));

        fl = SPAWN_ROW("floor_limits", "floor: default isolation + limits", NULL);
        {
                struct row *mig = row_new("floor_limits_v1_migration", "spawn",
                                          "  of which v1 migration (cgroup.procs writes)",
                                          "migrate_us", NULL, NULL);

                ADD(V_FLOOR, fl,
                    .fc = {.ns = NS_DEFAULT, .mounts = true, .hostname = true, .limits = lim_mask},
                    .mig = mig);
        }
        r = SPAWN_ROW("corral_limits", "corral: default + MemoryMax TasksMax CPUQuota", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_lim));

        fl = SPAWN_ROW("floor_netns", "floor: default isolation + net ns, lo up", NULL);
        ADD(V_FLOOR, fl,
            .fc = {.ns = NS_DEFAULT | CLONE_NEWNET,
                   .mounts = true,
                   .hostname = true,
                   .loopback = true});
        r = SPAWN_ROW("corral_netns", "corral: default + PrivateNetwork=actor", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_net));
        if (!private_network_works(v[nv - 1].sup, r->na, sizeof r->na))
                vlog("private network: %s\n", r->na);
#undef ADD
#undef SPAWN_ROW

        for (int i = 0; i < nv; i++) {
                variant_init(&v[i]);
                if (!listed(cfg.match, v[i].row->key, true) && !v[i].row->na[0])
                        snprintf(v[i].row->na, sizeof v[i].row->na, "not run (--match)");
        }
        fprintf(stderr, "corral-bench: spawn: %d variants, %d warm-up + %d x %d each\n", nv,
                cfg.warmup, cfg.rounds, cfg.batch);
        for (int i = 0; i < nv && !stop; i++) {
                for (int k = 0; k < cfg.warmup && !stop; k++)
                        run_variant(&v[i], false);
        }
        /* Rounds: every variant runs a batch per round, in an order that rotates, so that
         * load from elsewhere spreads over all of them alike. */
        for (int round = 0; round < cfg.rounds && !stop; round++) {
                for (int j = 0; j < nv && !stop; j++) {
                        struct variant *x = &v[(j + round) % nv];

                        for (int k = 0; k < cfg.batch && !stop; k++)
                                if (run_variant(x, true) < 0)
                                        break;
                }
        }
        for (int i = 0; i < nv; i++) {
                variant_fini(&v[i]);
                if (v[i].sup)
                        sup_close(v[i].sup);
        }
}

/* ---------------------------------------------------------------- section 3: heap ---- */

static void *touch(size_t bytes)
{
        char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                die("mmap of %zu bytes: %s", bytes, strerror(errno));
        /* small pages, as a long-lived heap of many allocations has: the page tables a fork
         * would copy are the point */
        madvise(p, bytes, MADV_NOHUGEPAGE);
        for (size_t off = 0; off < bytes; off += 4096)
                p[off] = (char)off;
        return p;
}

/* Each side of the comparison is a worker process forked from the bench while it is small:
 * it opens its own supervisor (whose zygote is forked at once), then touches its memory once
 * and keeps it, and runs batches on command. Touching and freeing 1 GiB between batches
 * would measure the VM instead: on this host freed memory goes back to the hypervisor (free
 * page reporting), and the next allocations stall on it for seconds. */
struct heap_cmd {
        int corral, posix, floor; /* spawns of each kind, interleaved; 0,0,0: exit */
};

struct heap_sample {
        int kind; /* V_CORRAL, V_POSIX_SPAWN, V_FLOOR; -1: failed */
        int64_t start, cycle, p[5];
        struct cpu cpu;
};

struct heap_worker {
        pid_t pid;
        int cmd, res; /* our ends */
};

static void heap_send(int fd, const struct variant *v, const struct floor_times *t, bool ok)
{
        struct heap_sample h = {.kind = ok ? (int)v->kind : -1};

        if (ok) {
                h.start = t->t_started - t->t0;
                h.cycle = t->t_done - t->t0;
                h.cpu = t->cpu;
                if (v->kind == V_CORRAL) {
                        h.p[0] = t->t_sent - t->t0;
                        h.p[1] = t->t_replied - t->t_sent;
                        h.p[2] = t->t_started - t->t_replied;
                        h.p[3] = t->t_reaped - t->t_started;
                        h.p[4] = t->t_done - t->t_reaped;
                }
        }
        (void)!write(fd, &h, sizeof h);
}

/* One spawn in the worker, as run_variant() does it, the sample going to the bench. */
static void heap_one(struct variant *v, int res)
{
        struct floor_times t;
        char why[CERR_MSG_MAX + 64] = "";
        struct cpu c0, c1;
        int rc;

        c0 = cpu_now(v->zfd);
        if (v->kind == V_CORRAL)
                rc = corral_spawn(v->sup, cfg.argv, &t, why, sizeof why);
        else if (v->kind == V_POSIX_SPAWN)
                rc = posix_spawn_one(&t);
        else
                rc = floor_spawn(&v->fc, &t);
        c1 = cpu_now(v->zfd);
        t.cpu = (struct cpu){c1.self - c0.self, c1.zygote - c0.zygote, c1.kids - c0.kids};
        if (rc < 0 && why[0])
                fprintf(stderr, "corral-bench: heap worker: %s\n", why);
        heap_send(res, v, &t, rc == 0);
}

static __attribute__((noreturn)) void heap_worker_main(size_t hold, int cmd, int res)
{
        struct bench_sup_options o = {
            .profile = &prof_def, .out_fd = -1, .err_fd = cfg.verbose ? 2 : -1, .stop = &stop};
        struct variant vc = {.kind = V_CORRAL, .zfd = -1};
        struct variant vp = {.kind = V_POSIX_SPAWN, .zfd = -1};
        struct variant vf = {
            .kind = V_FLOOR, .zfd = -1, .fc = {.ns = NS_DEFAULT, .mounts = true, .hostname = true}};
        struct cerr err = {0};
        struct heap_cmd c;
        char ready = 'r';

        /* nothing of the bench's own: its supervisors and cgroups are the bench's to remove
         * (a die() in here must not take the floor's base away from under it) */
        for (int i = 0; i < MAX_SUPS; i++)
                sups[i] = NULL;
        floor_base_made = false;
        for (int h = 0; h <= CG_NCTRL; h++)
                corral_dir_ours[h] = false;
        for (int c2 = 0; c2 < CG_NCTRL; c2++)
                floor_v1_base[c2][0] = '\0';
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (bench_sup_open(&vc.sup, &o, &err) < 0) {
                char ebuf[CERR_MSG_MAX + 64];

                fprintf(stderr, "corral-bench: heap worker: %s\n",
                        cerr_str(&err, ebuf, sizeof ebuf));
                _exit(1);
        }
        vc.zfd = schedstat_open(bench_sup_zygote_pid(vc.sup));
        touch(hold);
        if (write(res, &ready, 1) != 1)
                ready = 0;
        while (ready && !stop && read(cmd, &c, sizeof c) == (ssize_t)sizeof c &&
               (c.corral || c.posix || c.floor)) {
                for (int k = 0; k < c.corral || k < c.posix; k++) {
                        if (k < c.corral)
                                heap_one(&vc, res);
                        if (k < c.posix)
                                heap_one(&vp, res);
                }
                for (int k = 0; k < c.floor; k++)
                        heap_one(&vf, res);
        }
        bench_sup_close(vc.sup);
        _exit(0);
}

static int heap_worker_start(struct heap_worker *w, size_t hold)
{
        int cp[2], rp[2];
        char ready;

        if (pipe2(cp, O_CLOEXEC) < 0)
                return -1;
        if (pipe2(rp, O_CLOEXEC) < 0) {
                close(cp[0]);
                close(cp[1]);
                return -1;
        }
        fflush(NULL);
        w->pid = fork();
        if (w->pid == 0) {
                close(cp[1]);
                close(rp[0]);
                heap_worker_main(hold, cp[0], rp[1]);
        }
        close(cp[0]);
        close(rp[1]);
        w->cmd = cp[1];
        w->res = rp[0];
        if (w->pid < 0 || read(w->res, &ready, 1) != 1)
                return -1;
        return 0;
}

static void heap_worker_stop(struct heap_worker *w)
{
        struct heap_cmd quit = {0};

        if (w->pid <= 0)
                return;
        (void)!write(w->cmd, &quit, sizeof quit);
        close(w->cmd);
        close(w->res);
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
                kill(w->pid, SIGTERM);
        w->pid = -1;
}

static void heap_record(struct row *r, const struct heap_sample *h)
{
        add_sample(&r->m[M_A], (double)h->start);
        add_sample(&r->m[M_B], (double)h->cycle);
        add_sample(&r->m[M_C], h->cpu.self + h->cpu.zygote + h->cpu.kids);
        add_sample(&r->m[M_CPU_SELF], h->cpu.self);
        add_sample(&r->m[M_CPU_ZYGOTE], h->cpu.zygote);
        add_sample(&r->m[M_CPU_KIDS], h->cpu.kids);
        for (int i = 0; i < 5 && h->kind == V_CORRAL; i++)
                add_sample(&r->m[M_P1 + i], (double)h->p[i]);
}

static void section_heap(void)
{
        static char labels[6][80];
        struct row *rows_of[2][3]; /* [small, big][corral, posix, floor] */
        struct heap_worker w[2] = {{.pid = -1}, {.pid = -1}};
        size_t hold[2] = {cfg.heap_small, cfg.heap_big};
        const char *what[3] = {"corral: default, supervisor holds",
                               "control: posix_spawn, spawner holds",
                               "floor (fork-style), spawner holds"};
        const char *keys[2][3] = {
            {"corral_default_heap_small", "control_posix_spawn_heap_small",
             "floor_default_heap_small"},
            {"corral_default_heap_big", "control_posix_spawn_heap_big", "floor_default_heap_big"}};

        for (int side = 0; side < 2; side++) {
                for (int k = 0; k < 3; k++) {
                        char *l = labels[side * 3 + k];
                        struct row *r;

                        snprintf(l, sizeof labels[0], "%s %zu MiB", what[k], hold[side] >> 20);
                        r = row_new(keys[side][k], "heap", l, "start_us", "cycle_us",
                                    side ? rows_of[0][k] : NULL);
                        r->metric[M_C] = "cpu_us";
                        r->metric[M_CPU_SELF] = "cpu_spawner_us";
                        r->metric[M_CPU_KIDS] = "cpu_children_us";
                        if (k == 0) {
                                r->metric[M_CPU_ZYGOTE] = "cpu_zygote_us";
                                for (int i = 0; i < 5; i++)
                                        r->metric[M_P1 + i] = corral_phases[i];
                        }
                        rows_of[side][k] = r;
                }
        }
        fprintf(stderr,
                "corral-bench: heap: two supervisors holding %zu MiB and %zu MiB, %d round(s) of "
                "%d spawns each\n",
                cfg.heap_small >> 20, cfg.heap_big >> 20, cfg.heap_rounds, cfg.heap_batch);
        for (int side = 0; side < 2; side++) {
                if (heap_worker_start(&w[side], hold[side]) < 0) {
                        for (int k = 0; k < 3; k++)
                                snprintf(rows_of[side][k]->na, sizeof rows_of[side][k]->na,
                                         "failed: the worker holding %zu MiB did not start",
                                         hold[side] >> 20);
                        goto out;
                }
        }
        for (int round = -1; round < cfg.heap_rounds && !stop; round++) {
                for (int j = 0; j < 2 && !stop; j++) {
                        int side = (j + (round < 0 ? 0 : round)) % 2;
                        /* round -1 warms both up and is not recorded */
                        struct heap_cmd c = {.corral = round < 0 ? 3 : cfg.heap_batch,
                                             .posix = round < 0 ? 3 : cfg.heap_batch,
                                             .floor = round < 0 ? 0 : cfg.heap_floor_batch};
                        int n = c.corral + c.posix + c.floor;

                        if (write(w[side].cmd, &c, sizeof c) != (ssize_t)sizeof c)
                                break;
                        for (int i = 0; i < n; i++) {
                                struct heap_sample h;
                                ssize_t got = read(w[side].res, &h, sizeof h);

                                if (got != (ssize_t)sizeof h)
                                        break;
                                if (h.kind < 0) {
                                        rows_of[side][0]->failures++;
                                        continue;
                                }
                                if (round >= 0)
                                        heap_record(rows_of[side][h.kind == V_CORRAL        ? 0
                                                                  : h.kind == V_POSIX_SPAWN ? 1
                                                                                            : 2],
                                                    &h);
                        }
                }
        }
out:
        heap_worker_stop(&w[0]);
        heap_worker_stop(&w[1]);
}

/* ---------------------------------------------------------------- section 4: one-shot ---- */

static int run_cmd(char *const *argv, int64_t *us, double *cpu)
{
        double c0 = cpu_us(-1);
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int rc, status;
        int64_t t0;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        t0 = now_us();
        rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0)
                return -rc;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        *us = now_us() - t0;
        *cpu = cpu_us(-1) - c0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* out = pre..., then the program and its arguments */
static void with_prog(char **out, char *const *pre)
{
        int n = 0;

        for (; pre && *pre; pre++)
                out[n++] = *pre;
        for (int i = 0; i < cfg.argc; i++)
                out[n++] = cfg.argv[i];
        out[n] = NULL;
}

static char absent[256];

static void note_absent(const char *what)
{
        snprintf(absent + strlen(absent), sizeof absent - strlen(absent), "%s%s",
                 absent[0] ? ", " : "", what);
}

static void section_oneshot(void)
{
        char bwrap[PATH_MAX], unshare[PATH_MAX];
        bool have_bwrap = in_path("bwrap", bwrap, sizeof bwrap);
        bool have_unshare = in_path("unshare", unshare, sizeof unshare);
        char *a_direct[16], *a_corral[16], *a_unshare[16], *a_bwrap[16];
        char *pre_corral[] = {cfg.corral, "run", "--", NULL};
        char *pre_unshare[] = {unshare, "--fork", "--pid", "--mount-proc", NULL};
        char *pre_bwrap[] = {bwrap, "--dev-bind", "/", "/", "--unshare-all", "--share-net", NULL};
        struct {
                struct row *row;
                char **argv;
        } v[4];
        int nv = 0;
        struct row *direct, *r;

        with_prog(a_direct, NULL);
        with_prog(a_corral, pre_corral);
        with_prog(a_unshare, pre_unshare);
        with_prog(a_bwrap, pre_bwrap);
        direct = row_new("oneshot_direct", "oneshot", "direct exec of the program", "wall_us", NULL,
                         NULL);
        v[nv].row = direct;
        v[nv++].argv = a_direct;
        r = row_new("oneshot_corral_run", "oneshot", "corral run -- prog", "wall_us", NULL, direct);
        v[nv].row = r;
        v[nv++].argv = a_corral;
        if (access(cfg.corral, X_OK) < 0)
                snprintf(r->na, sizeof r->na, "n/a (%s not built)", cfg.corral);
        r = row_new("oneshot_unshare", "oneshot", "unshare --fork --pid --mount-proc prog",
                    "wall_us", NULL, direct);
        v[nv].row = r;
        v[nv++].argv = a_unshare;
        if (!have_unshare) {
                snprintf(r->na, sizeof r->na, "n/a (unshare not installed)");
                note_absent("unshare");
        }
        r = row_new("oneshot_bwrap", "oneshot",
                    "bwrap --dev-bind / / --unshare-all --share-net prog", "wall_us", NULL, direct);
        v[nv].row = r;
        v[nv++].argv = a_bwrap;
        if (!have_bwrap) {
                snprintf(r->na, sizeof r->na, "n/a (bwrap not installed)");
                note_absent("bwrap");
        }

        for (int j = 0; j < nv; j++)
                v[j].row->metric[M_C] = "cpu_us";
        fprintf(stderr, "corral-bench: one-shot: %d runs of each command\n", cfg.oneshot_iters);
        for (int it = -cfg.warmup / 2; it < cfg.oneshot_iters && !stop; it++) {
                for (int j = 0; j < nv && !stop; j++) {
                        int k = (j + (it < 0 ? 0 : it)) % nv;
                        int64_t us;
                        double cpu;
                        int rc;

                        if (v[k].row->na[0])
                                continue;
                        rc = run_cmd(v[k].argv, &us, &cpu);
                        if (rc != 0) {
                                if (++v[k].row->failures >= 3)
                                        snprintf(v[k].row->na, sizeof v[k].row->na,
                                                 "failed: exit status %d", rc);
                                continue;
                        }
                        if (it >= 0) {
                                add_sample(&v[k].row->m[M_A], (double)us);
                                add_sample(&v[k].row->m[M_C], cpu);
                        }
                }
        }
}

/* ---------------------------------------------------------------- section 5: teardown ---- */

/* The same tree for both sides: an actor of the default profile whose program forks until
 * its cgroup holds n processes (shim included). */
static struct bench_sup *tree_of(int n, pid_t *shim, char *why, size_t len)
{
        char count[16];
        char *argv[] = {cfg.self, "--helper-forks", count, NULL};
        struct bench_spawn_times t;
        struct cerr err = {0};
        struct bench_sup *b = sup_open(&prof_def);
        int64_t deadline;

        snprintf(count, sizeof count, "%d", n);
        if (bench_sup_spawn(b, argv, false, &t, &err) < 0) {
                cerr_str(&err, why, len);
                sup_close(b);
                return NULL;
        }
        *shim = t.pid;
        deadline = now_us() + 30 * 1000000LL;
        for (;;) {
                int k = count_procs(bench_sup_actor_leaf(b));

                if (k == n)
                        break;
                if (k < 0 || now_us() > deadline || stop) {
                        snprintf(why, len, "the tree did not reach %d processes (%d)", n, k);
                        sup_close(b);
                        return NULL;
                }
                sleep_ms(2);
        }
        /* cgroup.events notifications are rate-limited (one per ~10 ms per file, DESIGN
         * §4b): let the one for "populated 1" age out so both sides start alike */
        sleep_ms(30);
        return b;
}

/* cgroup.kill of the tree, wait for populated 0 (poll POLLPRI, re-read), rmdir bottom-up.
 * Then, outside the measured time, when the namespace's PID 1 (the shim) finished exiting:
 * its exit waits until every process of its namespace has been reaped. */
static int bare_kill(struct bench_sup *b, pid_t shim, int64_t *empty_us, int64_t *done_us,
                     int64_t *pid1_us)
{
        char tree[PATH_MAX], leaf[PATH_MAX], node[PATH_MAX], file[PATH_MAX + 32];
        int kfd, efd, pidfd = sys_pidfd_open(shim, 0);
        int64_t t0;

        snprintf(tree, sizeof tree, "%s", bench_sup_tree_path(b));
        snprintf(leaf, sizeof leaf, "%s", bench_sup_actor_leaf(b));
        snprintf(node, sizeof node, "%s", leaf);
        *strrchr(node, '/') = '\0';
        snprintf(file, sizeof file, "%s/cgroup.events", tree);
        efd = open(file, O_RDONLY | O_CLOEXEC);
        snprintf(file, sizeof file, "%s/cgroup.kill", tree);
        kfd = open(file, O_WRONLY | O_CLOEXEC);
        if (efd < 0 || kfd < 0) {
                if (efd >= 0)
                        close(efd);
                if (kfd >= 0)
                        close(kfd);
                if (pidfd >= 0)
                        close(pidfd);
                return -1;
        }
        t0 = now_us();
        if (write(kfd, "1", 1) != 1) {
                close(kfd);
                close(efd);
                if (pidfd >= 0)
                        close(pidfd);
                return -1;
        }
        close(kfd);
        for (;;) {
                char buf[256];
                ssize_t n = pread(efd, buf, sizeof buf - 1, 0);
                struct pollfd p = {.fd = efd, .events = POLLPRI};

                if (n <= 0)
                        break;
                buf[n] = '\0';
                if (strstr(buf, "populated 0"))
                        break;
                if (poll(&p, 1, 10000) == 0 || stop)
                        break;
        }
        close(efd);
        *empty_us = now_us() - t0;
        {
                const char *dirs[] = {leaf, node, tree};

                for (int i = 0; i < 3; i++) {
                        for (int k = 0; rmdir(dirs[i]) < 0 && errno == EBUSY && k < 10000; k++)
                                sched_yield();
                }
        }
        *done_us = now_us() - t0;
        *pid1_us = -1;
        if (pidfd >= 0) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};

                if (poll(&p, 1, 10000) == 1)
                        *pid1_us = now_us() - t0;
                close(pidfd);
        }
        return access(tree, F_OK) < 0 ? 0 : -1;
}

static void section_teardown(void)
{
        static char labels[3][2][64], keys[3][2][40];

        fprintf(stderr, "corral-bench: teardown: trees of %d, %d and %d processes\n",
                teardown_sizes[0], teardown_sizes[1], teardown_sizes[2]);
        for (int s = 0; s < 3 && !stop; s++) {
                int n = teardown_sizes[s];
                struct row *bare, *cor;

                snprintf(keys[s][0], sizeof keys[s][0], "teardown_bare_%d", n);
                snprintf(keys[s][1], sizeof keys[s][1], "teardown_corral_%d", n);
                snprintf(labels[s][0], sizeof labels[s][0], "bare cgroup.kill, %d processes", n);
                snprintf(labels[s][1], sizeof labels[s][1], "corral kill stage, %d processes", n);
                bare = row_new(keys[s][0], "teardown", labels[s][0], "done_us", "empty_us", NULL);
                bare->metric[M_C] = "pid1_exit_us";
                cor = row_new(keys[s][1], "teardown", labels[s][1], "done_us", "empty_us", bare);
                for (int it = 0; it < cfg.teardown_iters[s] && !stop; it++) {
                        for (int side = 0; side < 2 && !stop; side++) {
                                bool corral_side = (side + it) % 2;
                                struct row *r = corral_side ? cor : bare;
                                char why[CERR_MSG_MAX + 64] = "";
                                struct bench_sup *b;
                                pid_t shim = -1;

                                if (r->na[0])
                                        continue;
                                b = tree_of(n, &shim, why, sizeof why);
                                if (!b) {
                                        if (++r->failures >= 3)
                                                snprintf(r->na, sizeof r->na, "failed: %s", why);
                                        fprintf(stderr, "corral-bench: %s: %s\n", r->label, why);
                                        continue;
                                }
                                if (corral_side) {
                                        struct bench_kill_times kt;
                                        struct cerr err = {0};

                                        if (bench_sup_kill(b, &kt, &err) == 0) {
                                                add_sample(&r->m[M_A],
                                                           (double)(kt.t_removed - kt.t_request));
                                                add_sample(&r->m[M_B],
                                                           (double)(kt.t_empty - kt.t_request));
                                        } else {
                                                r->failures++;
                                                cerr_str(&err, why, sizeof why);
                                                fprintf(stderr, "corral-bench: %s: %s\n", r->label,
                                                        why);
                                        }
                                } else {
                                        int64_t e_us, d_us, p_us;

                                        if (bare_kill(b, shim, &e_us, &d_us, &p_us) == 0) {
                                                add_sample(&r->m[M_A], (double)d_us);
                                                add_sample(&r->m[M_B], (double)e_us);
                                                if (p_us >= 0)
                                                        add_sample(&r->m[M_C], (double)p_us);
                                        } else {
                                                r->failures++;
                                        }
                                }
                                sup_close(b);
                        }
                }
        }
}

/* ---------------------------------------------------------------- output ---- */

struct target {
        const char *what;
        const char *num, *den; /* row keys */
        int metric;
        double limit;
        const char *alt;               /* a second denominator shown for information */
        const char *ctl_num, *ctl_den; /* a control ratio shown next to it */
};

static const struct target targets[] = {
    {"spawn (start), default profile vs the floor, same isolation", "corral_default",
     "floor_default", M_A, 1.25, NULL, NULL, NULL},
    {"one-shot corral run vs bwrap --unshare-all --share-net", "oneshot_corral_run",
     "oneshot_bwrap", M_A, 0.5, "oneshot_unshare", NULL, NULL},
    {"spawn (start) with a 1 GiB supervisor vs 10 MiB", "corral_default_heap_big",
     "corral_default_heap_small", M_A, 1.2, NULL, "control_posix_spawn_heap_big",
     "control_posix_spawn_heap_small"},
    {"teardown of 1000 processes vs bare cgroup.kill", "teardown_corral_1000", "teardown_bare_1000",
     M_A, 1.2, NULL, NULL, NULL},
};

static struct row *find_row(const char *key)
{
        for (int i = 0; i < nrows; i++) {
                if (strcmp(rows[i].key, key) == 0)
                        return &rows[i];
        }
        return NULL;
}

static double target_value(const struct target *t, const char *den)
{
        struct row *a = find_row(t->num), *b = find_row(den);

        if (!a || !b)
                return NAN;
        return row_median(a, t->metric) / row_median(b, t->metric);
}

static const char *why_na(const char *num, const char *den)
{
        struct row *a = find_row(num), *b = find_row(den);

        if (!a || !b)
                return "section not run";
        if (b->na[0])
                return b->na;
        if (a->na[0])
                return a->na;
        return "no samples";
}

static char host_line[512], noise_line[256];

/* microseconds; from 100 ms on, milliseconds with an "m" */
static void print_cell(double v, int w)
{
        if (isnan(v))
                printf(" %*s", w, "-");
        else if (v >= 100000)
                printf(" %*.0fm", w - 1, v / 1000);
        else
                printf(" %*.0f", w, v);
}

static void print_table(void)
{
        const char *last = "";

        printf("\n%s\n%s\n", host_line, noise_line);
        printf("program:");
        for (int i = 0; i < cfg.argc; i++)
                printf(" %s", cfg.argv[i]);
        printf("; all times in microseconds (CLOCK_MONOTONIC); ratio = median / baseline "
               "median\n");
        if (absent[0])
                printf("not installed (rows n/a): %s\n", absent);

        printf("\nTARGETS (reported, not enforced)%31s measured   target\n", "");
        for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
                const struct target *t = &targets[i];
                double v = target_value(t, t->den);

                printf("  %-60s", t->what);
                if (isnan(v)) {
                        printf("      n/a  <= %.2fx  %s", t->limit, why_na(t->num, t->den));
                        if (t->alt && !isnan(target_value(t, t->alt)))
                                printf("; vs %s: %.2fx", find_row(t->alt)->label,
                                       target_value(t, t->alt));
                        printf("\n");
                        continue;
                }
                printf("  %6.2fx  <= %.2fx  %s", v, t->limit, v <= t->limit ? "met" : "MISSED");
                if (v > t->limit)
                        printf(" by %.0f%%", (v / t->limit - 1) * 100);
                /* wall-time ratios on a busy machine say more about the machine */
                if (t->metric == M_A) {
                        struct row *a = find_row(t->num), *b = find_row(t->den);
                        double c = a && b && a->metric[M_C] && b->metric[M_C]
                                       ? row_median(a, M_C) / row_median(b, M_C)
                                       : NAN;

                        if (!isnan(c))
                                printf(" (cpu %.2fx)", c);
                }
                if (t->ctl_num) {
                        struct row *a = find_row(t->ctl_num), *b = find_row(t->ctl_den);
                        double c =
                            a && b ? row_median(a, t->metric) / row_median(b, t->metric) : NAN;

                        if (!isnan(c))
                                printf(" (control, posix_spawn alike: %.2fx)", c);
                }
                printf("\n");
        }

        static const char *const order[] = {"spawn", "heap", "oneshot", "teardown"};

        for (int i = 0; i < 4 * nrows; i++) {
                const struct row *r = &rows[i % nrows];
                struct stat_sum a, b;

                if (strcmp(r->section, order[i / nrows]) != 0)
                        continue;
                a = summarize(&r->m[M_A]);
                b = summarize(&r->m[M_B]);
                struct stat_sum c = summarize(&r->m[M_C]);

                if (strcmp(r->section, last) != 0) {
                        last = r->section;
                        if (strcmp(last, "spawn") == 0)
                                printf("\n1+2. SPAWN inside one supervisor; start: request -> "
                                       "execve done (exec pipe EOF); cycle: -> exited, reaped, "
                                       "cgroups removed;\n     cpu: CPU time of every process "
                                       "involved (not stretched by waiting for a CPU)\n");
                        else if (strcmp(last, "heap") == 0)
                                printf("\n3. SPAWN vs SUPERVISOR MEMORY (touched, small pages; "
                                       "columns as above)\n");
                        else if (strcmp(last, "oneshot") == 0)
                                printf("\n4. ONE-SHOT (wall: the whole command, launched with "
                                       "posix_spawn, output to /dev/null; cpu: its CPU time)\n");
                        else if (strcmp(last, "teardown") == 0)
                                printf("\n5. TEARDOWN (done: kill request -> populated 0 -> "
                                       "every cgroup removed; empty: -> populated 0;\n"
                                       "   pid1_exit: -> the shim, PID 1 of the namespace, has "
                                       "exited, which waits until it reaped everyone)\n");
                        printf("  %-46s %5s %8.8s %7s %7s %8.8s %7s %7s %7.7s  %s\n", "", "n",
                               r->metric[M_A] ? r->metric[M_A] : "", "p90", "p99",
                               r->metric[M_B] ? r->metric[M_B] : "", "p90", "p99",
                               r->metric[M_C] ? r->metric[M_C] : "", "ratio to baseline");
                }
                printf("  %-46.46s", r->label);
                if (r->na[0]) {
                        printf(" %s\n", r->na);
                        continue;
                }
                printf(" %5zu", a.n);
                print_cell(a.n ? a.median : NAN, 8);
                print_cell(a.n ? a.p90 : NAN, 7);
                print_cell(a.n ? a.p99 : NAN, 7);
                print_cell(b.n ? b.median : NAN, 8);
                print_cell(b.n ? b.p90 : NAN, 7);
                print_cell(b.n ? b.p99 : NAN, 7);
                print_cell(c.n ? c.median : NAN, 7);
                if (r->base) {
                        printf("  ");
                        for (int m = M_A; m <= M_C; m++) {
                                double x = ratio(r, m);

                                if (!r->metric[m])
                                        continue;
                                if (isnan(x))
                                        printf("     - ");
                                else
                                        printf("%5.2fx ", x);
                        }
                        printf(" %s", r->base->key);
                }
                printf("\n");
        }
        printf("\n");
}

static void json_num(FILE *f, double v)
{
        if (isnan(v) || isinf(v))
                fprintf(f, "null");
        else
                fprintf(f, "%.1f", v);
}

static void json_ratio(FILE *f, double v)
{
        if (isnan(v) || isinf(v))
                fprintf(f, "null");
        else
                fprintf(f, "%.3f", v);
}

static void json_str(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fprintf(f, "\\%c", *s);
                else if ((unsigned char)*s < 0x20)
                        fprintf(f, "\\u%04x", *s);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

static void json_stats(FILE *f, const struct samples *s)
{
        struct stat_sum x = summarize(s);

        fprintf(f, "{\"n\":%zu,\"median\":", x.n);
        json_num(f, x.n ? x.median : NAN);
        fprintf(f, ",\"p90\":");
        json_num(f, x.n ? x.p90 : NAN);
        fprintf(f, ",\"p99\":");
        json_num(f, x.n ? x.p99 : NAN);
        fprintf(f, ",\"min\":");
        json_num(f, x.n ? x.min : NAN);
        fprintf(f, ",\"mean\":");
        json_num(f, x.n ? x.mean : NAN);
        fprintf(f, ",\"max\":");
        json_num(f, x.n ? x.max : NAN);
        fprintf(f, ",\"samples\":[");
        for (size_t i = 0; i < s->n; i++)
                fprintf(f, "%s%.0f", i ? "," : "", s->v[i]);
        fprintf(f, "]}");
}

static void write_json(const char *mode)
{
        FILE *f = fopen(cfg.json, "we");

        if (!f) {
                fprintf(stderr, "corral-bench: cannot write %s: %s\n", cfg.json, strerror(errno));
                return;
        }
        fprintf(f, "{\"version\":1,\"mode\":");
        json_str(f, mode);
        fprintf(f, ",\"host\":");
        json_str(f, host_line);
        fprintf(f, ",\"noise\":");
        json_str(f, noise_line);
        fprintf(f, ",\"program\":");
        json_str(f, cfg.prog_line_full);
        fprintf(f, ",\"absent\":");
        json_str(f, absent);
        fprintf(f, ",\n\"targets\":[");
        for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
                const struct target *t = &targets[i];
                double v = target_value(t, t->den);

                fprintf(f, "%s\n {\"what\":", i ? "," : "");
                json_str(f, t->what);
                fprintf(f, ",\"numerator\":");
                json_str(f, t->num);
                fprintf(f, ",\"denominator\":");
                json_str(f, t->den);
                fprintf(f, ",\"limit\":%.2f,\"ratio\":", t->limit);
                json_ratio(f, v);
                fprintf(f, ",\"met\":%s", isnan(v) ? "null" : v <= t->limit ? "true" : "false");
                if (isnan(v)) {
                        fprintf(f, ",\"why\":");
                        json_str(f, why_na(t->num, t->den));
                }
                fprintf(f, "}");
        }
        fprintf(f, "],\n\"rows\":[");
        for (int i = 0; i < nrows; i++) {
                const struct row *r = &rows[i];

                fprintf(f, "%s\n {\"key\":", i ? "," : "");
                json_str(f, r->key);
                fprintf(f, ",\"section\":");
                json_str(f, r->section);
                fprintf(f, ",\"label\":");
                json_str(f, r->label);
                fprintf(f, ",\"na\":");
                if (r->na[0])
                        json_str(f, r->na);
                else
                        fprintf(f, "null");
                fprintf(f, ",\"baseline\":");
                if (r->base)
                        json_str(f, r->base->key);
                else
                        fprintf(f, "null");
                for (int m = 0; m < NMETRIC; m++) {
                        if (!r->metric[m])
                                continue;
                        fprintf(f, ",");
                        json_str(f, r->metric[m]);
                        fprintf(f, ":");
                        json_stats(f, &r->m[m]);
                        if (r->base) {
                                fprintf(f, ",\"ratio_%s\":", r->metric[m]);
                                json_ratio(f, ratio(r, m));
                        }
                }
                fprintf(f, "}");
        }
        fprintf(f, "]}\n");
        fclose(f);
        fprintf(stderr, "corral-bench: wrote %s\n", cfg.json);
}

/* Empirical distribution functions of the start latencies, when gnuplot is installed. */
static void write_png(void)
{
        char gp[PATH_MAX], dir[PATH_MAX], gnuplot[PATH_MAX];
        FILE *f;
        int plotted = 0;

        if (!in_path("gnuplot", gnuplot, sizeof gnuplot)) {
                note_absent("gnuplot (no PNG)");
                return;
        }
        snprintf(dir, sizeof dir, "%s/bench-data", cfg.build);
        mkdir(dir, 0755);
        snprintf(gp, sizeof gp, "%s/bench.gp", dir);
        f = fopen(gp, "we");
        if (!f)
                return;
        fprintf(f, "set terminal png size 1400,900\nset output '%s'\n", cfg.png);
        fprintf(f, "set multiplot layout 1,2\nset logscale x\nset grid\nset key bottom right "
                   "font ',8'\nset ylabel 'fraction of spawns'\n");
        for (int pass = 0; pass < 2; pass++) {
                const char *sec = pass == 0 ? "spawn" : "heap";

                plotted = 0;
                fprintf(f, "set title '%s: request -> started (us)'\nplot ", sec);
                for (int i = 0; i < nrows; i++) {
                        const struct row *r = &rows[i];
                        char data[PATH_MAX + 64];
                        FILE *d;
                        double *v;

                        if (strcmp(r->section, sec) != 0 || r->na[0] || !r->m[M_A].n ||
                            strcmp(r->metric[M_A], "start_us") != 0)
                                continue;
                        snprintf(data, sizeof data, "%s/%s.dat", dir, r->key);
                        d = fopen(data, "we");
                        if (!d)
                                continue;
                        v = malloc(r->m[M_A].n * sizeof *v);
                        memcpy(v, r->m[M_A].v, r->m[M_A].n * sizeof *v);
                        qsort(v, r->m[M_A].n, sizeof *v, cmp_double);
                        for (size_t k = 0; k < r->m[M_A].n; k++)
                                fprintf(d, "%.0f %.4f\n", v[k],
                                        (double)(k + 1) / (double)r->m[M_A].n);
                        free(v);
                        fclose(d);
                        fprintf(f, "%s'%s' using 1:2 with steps title '%s'", plotted ? ", " : "",
                                data, r->label);
                        plotted++;
                }
                if (!plotted)
                        fprintf(f, "0 notitle");
                fprintf(f, "\n");
        }
        fprintf(f, "unset multiplot\n");
        fclose(f);
        if (run_program(gnuplot, gp) == 0)
                fprintf(stderr, "corral-bench: wrote %s\n", cfg.png);
        else
                fprintf(stderr, "corral-bench: gnuplot failed on %s\n", gp);
}

/* ---------------------------------------------------------------- noise ---- */

static unsigned long long cpu_busy_ticks(void)
{
        char buf[512];
        unsigned long long v[10] = {0}, busy = 0;

        if (read_small("/proc/stat", buf, sizeof buf) < 0)
                return 0;
        sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]);
        for (int i = 0; i < 8; i++) {
                if (i != 3 && i != 4) /* idle, iowait */
                        busy += v[i];
        }
        return busy;
}

static double own_cpu_s(void)
{
        struct rusage a, b;

        getrusage(RUSAGE_SELF, &a);
        getrusage(RUSAGE_CHILDREN, &b);
        return (double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec +
                        b.ru_stime.tv_sec) +
               (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec +
                        b.ru_stime.tv_usec) /
                   1e6;
}

/* ---------------------------------------------------------------- helpers (actors) ---- */

/* --helper-forks N: fork until the cgroup holds N processes (this one and the shim
 * included), then wait to be killed. Every process ends by itself after 120 s. */
static int helper_forks(int n)
{
        alarm(120);
        for (int i = 0; i < n - 2; i++) {
                pid_t p = fork();

                if (p == 0) {
                        alarm(120);
                        for (;;)
                                pause();
                }
                if (p < 0)
                        return 1;
        }
        for (;;)
                pause();
}

/* --helper-netns INODE: exit 0 when our network namespace is not INODE (ours is private). */
static int helper_netns(const char *ino)
{
        struct stat st;

        if (stat("/proc/self/ns/net", &st) < 0)
                return 2;
        return strtoull(ino, NULL, 10) == (unsigned long long)st.st_ino ? 3 : 0;
}

/* ---------------------------------------------------------------- main ---- */

static void usage(FILE *f)
{
        fprintf(f,
                "usage: corral-bench [--quick] [--build DIR] [--prog \"PATH ARGS\"] [--json FILE] "
                "[--png FILE]\n"
                "                    [--only spawn,heap,oneshot,teardown] [--match KEY,...] "
                "[--verbose]\n\n"
                "Measures corral's spawn and teardown against baselines measured in the same "
                "run (README,\n\"Benchmarks\"). Needs root, like corral run. Prints one table, "
                "writes JSON (and a PNG\nwhen gnuplot is installed).\n");
}

static void set_defaults(void)
{
        snprintf(cfg.build, sizeof cfg.build, "build");
        /* 1-2 minutes on the 2-CPU CI VM, longer when it is busy; make bench must stay
         * under 5 */
        cfg.warmup = 20;
        cfg.rounds = 40;
        cfg.batch = 25;
        cfg.heap_rounds = 8;
        cfg.heap_batch = 60;
        cfg.heap_floor_batch = 4;
        cfg.heap_small = 10u << 20;
        cfg.heap_big = 1u << 30;
        cfg.oneshot_iters = 200;
        cfg.teardown_iters[0] = 30;
        cfg.teardown_iters[1] = 25;
        cfg.teardown_iters[2] = 20;
}

static void set_quick(void)
{
        cfg.warmup = 4;
        cfg.rounds = 4;
        cfg.batch = 6;
        cfg.heap_rounds = 1;
        cfg.heap_batch = 15;
        cfg.heap_floor_batch = 2;
        cfg.oneshot_iters = 12;
        cfg.teardown_iters[0] = 3;
        cfg.teardown_iters[1] = 3;
        cfg.teardown_iters[2] = 2;
}

static void abspath(char *dst, size_t len, const char *src)
{
        char tmp[PATH_MAX];

        if (src[0] == '/' || !getcwd(tmp, sizeof tmp)) {
                snprintf(dst, len, "%s", src);
                return;
        }
        snprintf(dst, len, "%s/%s", tmp, src);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {{"quick", no_argument, NULL, 'q'},
                                             {"build", required_argument, NULL, 'b'},
                                             {"prog", required_argument, NULL, 'p'},
                                             {"json", required_argument, NULL, 'j'},
                                             {"png", required_argument, NULL, 'g'},
                                             {"only", required_argument, NULL, 'o'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"match", required_argument, NULL, 'm'},
                                             {"helper-forks", required_argument, NULL, 'F'},
                                             {"helper-netns", required_argument, NULL, 'N'},
                                             {NULL, 0, NULL, 0}};
        const char *prog = NULL, *json = NULL, *png = NULL;
        struct sigaction sa = {.sa_handler = on_signal};
        struct utsname u;
        char thp[128] = "?", load0[64];
        unsigned long long busy0, busy1;
        double own0, own1, wall0, wall1;
        int64_t t_start;
        int c;

        set_defaults();
        while ((c = getopt_long(argc, argv, "qb:p:j:g:o:vh", opts, NULL)) != -1) {
                switch (c) {
                case 'F':
                        return helper_forks(atoi(optarg));
                case 'N':
                        return helper_netns(optarg);
                case 'q':
                        cfg.quick = true;
                        break;
                case 'b':
                        snprintf(cfg.build, sizeof cfg.build, "%s", optarg);
                        break;
                case 'p':
                        prog = optarg;
                        break;
                case 'j':
                        json = optarg;
                        break;
                case 'g':
                        png = optarg;
                        break;
                case 'o':
                        cfg.only = optarg;
                        break;
                case 'v':
                        cfg.verbose = true;
                        break;
                case 'm':
                        cfg.match = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return 2;
        }
        if (cfg.quick)
                set_quick();
        {
                char tmp[PATH_MAX * 2];

                snprintf(tmp, sizeof tmp, "%s/bench-true", cfg.build);
                /* --prog "PATH ARGS": split on spaces, as the program's command line */
                snprintf(cfg.prog_line, sizeof cfg.prog_line, "%s", prog ? prog : tmp);
                snprintf(cfg.prog_line_full, sizeof cfg.prog_line_full, "%s", cfg.prog_line);
                for (char *save = NULL, *w = strtok_r(cfg.prog_line, " ", &save); w && cfg.argc < 8;
                     w = strtok_r(NULL, " ", &save))
                        cfg.argv[cfg.argc++] = w;
                if (!cfg.argc)
                        die("--prog: empty");
                abspath(cfg.prog, sizeof cfg.prog, cfg.argv[0]);
                cfg.argv[0] = cfg.prog;
                snprintf(tmp, sizeof tmp, "%s/corral", cfg.build);
                abspath(cfg.corral, sizeof cfg.corral, tmp);
                snprintf(tmp, sizeof tmp, "%s/bench%s.json", cfg.build, cfg.quick ? "-quick" : "");
                snprintf(cfg.json, sizeof cfg.json, "%s", json ? json : tmp);
                snprintf(tmp, sizeof tmp, "%s/bench%s.png", cfg.build, cfg.quick ? "-quick" : "");
                snprintf(cfg.png, sizeof cfg.png, "%s", png ? png : tmp);
        }
        if (readlink("/proc/self/exe", cfg.self, sizeof cfg.self - 1) < 0)
                die("readlink /proc/self/exe: %s", strerror(errno));
        if (access(cfg.prog, X_OK) < 0)
                die("%s: %s (make builds it)", cfg.prog, strerror(errno));
        /* The floor execs by fd, as corral's child does: its mounts (a private /tmp) may hide
         * the program's path */
        prog_fd = open(cfg.prog, O_PATH | O_CLOEXEC);
        if (prog_fd < 0)
                die("%s: %s", cfg.prog, strerror(errno));

        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* No priority games: with autogroups (CONFIG_SCHED_AUTOGROUP) every setsid() starts a
         * scheduling group of its own, so a nice value would favour the floor's processes and
         * corral's supervisor but not corral's shims. Noise is handled by interleaving, medians
         * and the CPU-time column instead. */
        host_setup();

        uname(&u);
        read_small("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
        read_small("/proc/loadavg", load0, sizeof load0);
        snprintf(host_line, sizeof host_line,
                 "corral bench (%s): Linux %s %s, %ld CPUs, cgroups %s, THP %s",
                 cfg.quick ? "quick" : "full", u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
                 cg_mode_name(host.mode), thp);
        busy0 = cpu_busy_ticks();
        own0 = own_cpu_s();
        t_start = now_us();
        wall0 = (double)t_start / 1e6;

        if (section_on("spawn") && !stop)
                section_spawn();
        else
                profile_or_die(&prof_def, "default", NULL);
        if (section_on("oneshot") && !stop)
                section_oneshot();
        if (section_on("teardown") && !stop)
                section_teardown();
        /* last: its 1 GiB, touched and then freed, disturbs this VM for a while after */
        if (section_on("heap") && !stop)
                section_heap();

        busy1 = cpu_busy_ticks();
        own1 = own_cpu_s();
        wall1 = (double)now_us() / 1e6;
        {
                double ticks = (double)sysconf(_SC_CLK_TCK);
                double cpus = (double)sysconf(_SC_NPROCESSORS_ONLN);
                double all = (double)(busy1 - busy0) / ticks;
                double others = all - (own1 - own0);
                double pct = others / ((wall1 - wall0) * cpus) * 100;

                snprintf(noise_line, sizeof noise_line,
                         "noise: run took %.0f s; load average before it %.*s; other processes "
                         "kept %.0f%% of the CPUs busy (figures are noisy when that is high)",
                         wall1 - wall0, (int)strcspn(load0, " "), load0, pct < 0 ? 0 : pct);
        }
        cleanup_all();
        if (stop) {
                fprintf(stderr, "corral-bench: interrupted; everything it created is removed\n");
                return 130;
        }
        write_png();
        print_table();
        fflush(stdout);
        write_json(cfg.quick ? "quick" : "full");
        /* Targets are reported, not enforced; a row that could not be measured is a failure,
         * so that CI notices when the bench rots. Absent tools and features are not. */
        {
                int broken = 0;

                for (int i = 0; i < nrows; i++) {
                        const struct row *r = &rows[i];

                        if (strncmp(r->na, "failed", 6) == 0 ||
                            (!r->na[0] && r->metric[M_A] && !r->m[M_A].n)) {
                                fprintf(stderr, "corral-bench: FAILED: %s: %s\n", r->label,
                                        r->na[0] ? r->na : "no samples");
                                broken++;
                        }
                }
                return broken ? 1 : 0;
        }
}
