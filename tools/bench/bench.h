/* corral-bench's files, one concern each (HACKING.md "Benchmarks"), from the bottom up:
 *
 *   util.c      configuration, the stop flag, die(), time, small file helpers, CPU time
 *   stats.c     samples, their summary, the table's rows
 *   host.c      cgroup mounts, our delegated subtree, <own>/corral, orphans of a dead bench
 *   floor.c     the floor (a minimal spawner with corral's isolation, its PID 1 vforking the
 *               program), fork+exec, posix_spawn
 *   bench_sup.c the engine's API (spawner/supervisor.h) as the bench drives it, timed
 *   corral.c    supervisors over bench_sup.c, one timed corral spawn, the profiles (the
 *               default or --profile FILE's, and variants of it)
 *   spawn.c heap.c oneshot.c teardown.c trees.c    the sections, one each (trees.c: trees
 *               of actors driven by the test actor, build/corral-test-actor: spawns through
 *               the control channel, the nested-error tree, the graceful cascade, the
 *               supervisor's memory and CPU with many idle actors)
 *   report.c    the table, the TARGETS of issues 23 and 24, the JSON, the PNG
 *   main.c      the command line, the noise figure, the helper modes, the order of it all
 *
 * A file calls only files above it in this list (make lint checks for call circles).
 * Two programs are apart, each built on its own and static: bench_true.c, the program every
 * spawn runs (build/bench-true), and oneshot_floor.c, the one-shot floor's launcher
 * (build/bench-oneshot-floor: the default profile's kernel work for one program, with
 * ns/mounts.c and ns/creds.c compiled in), which oneshot.c runs next to `corral run`. */
#ifndef CORRAL_TOOLS_BENCH_H
#define CORRAL_TOOLS_BENCH_H

#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/filter.h>

#include "../../ns/cgroup_delegation.h"
#include "../../ns/cgroup_mounts.h"
#include "../../policy/profile.h"

extern char **environ;

/* ---- util.c ---- */

struct bench_cfg {
        bool quick, verbose;
        char build[PATH_MAX];
        char json[PATH_MAX], png[PATH_MAX];
        char prog[PATH_MAX]; /* the program every spawn runs */
        char prog_line[PATH_MAX];
        char prog_line_full[PATH_MAX]; /* as given, for the JSON */
        char *argv[9];                 /* prog and its arguments (--prog "PATH ARGS") */
        int argc;
        char corral[PATH_MAX];  /* build/corral, for the one-shot comparison */
        char actor[PATH_MAX];   /* build/corral-test-actor, the trees' actors */
        char floor1[PATH_MAX];  /* build/bench-oneshot-floor, the one-shot floor */
        char profile[PATH_MAX]; /* --profile FILE (absolute), or "" */
        char self[PATH_MAX];    /* this binary: the helper modes */
        const char *only;       /* comma list of sections, NULL: all */
        const char *match;      /* spawn section: only rows whose key contains one of these */
        int warmup;             /* discarded spawns per variant before measuring */
        int rounds, batch;      /* spawn section: rounds x batch samples per variant */
        int heap_rounds, heap_batch, heap_floor_batch;
        size_t heap_small, heap_big;
        int oneshot_iters;
        int teardown_iters[3];
        /* trees.c: children per throughput batch and its rounds, runs of the nested-error
         * tree, of the cascade (per side), idle actors and the seconds they sit idle */
        int tree_tput_n, tree_tput_rounds, tree_runs, tree_cascade_iters;
        int tree_idle_actors, tree_idle_s;
};

extern struct bench_cfg cfg;
/* set by SIGINT, SIGTERM, SIGHUP: every loop ends, everything created is removed */
extern volatile sig_atomic_t stop;
/* tools the run looked for and did not find (rows n/a), comma-separated */
extern char absent[256];

/* Print "corral-bench: ..." and exit 1, after running the hook main() set (the bench's
 * cleanup; a forked worker sets none: what the bench created is the bench's to remove). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void bench_on_die(void (*fn)(void));
void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Is name in the comma list (exactly, or as a substring with `sub`)? NULL list: yes. */
bool listed(const char *list, const char *name, bool sub);
void note_absent(const char *what);

int64_t now_us(void);
/* A bare cgroup.kill of the v2 node tree (its files opened first, outside the time), waiting
 * for "populated 0" (POLLPRI, re-read): the µs from the kill to empty, -1 when it could not be
 * done. *t0: when the kill was written. */
int64_t bare_cgroup_kill(const char *tree, int64_t *t0);
void sleep_ms(int ms);
bool in_path(const char *name, char *out, size_t len);
/* the first line of a small file (kfile_read, without the newline) */
int read_small(const char *path, char *buf, size_t len);
int count_procs(const char *leaf);
/* Run PROG ARG without a shell; its exit status, or -1. */
int run_program(const char *prog, const char *arg);

struct cpu {
        double self, zygote, kids; /* microseconds */
};

struct cpu cpu_now(int zygote_schedstat_fd);
double cpu_us(int zygote_schedstat_fd);
int schedstat_open(pid_t pid);

/* ---- stats.c ---- */

struct samples {
        double *v;
        size_t n, cap;
};

struct stat_sum {
        size_t n;
        double median, p90, p99, min, max, mean;
};

void add_sample(struct samples *s, double us);
int cmp_double(const void *a, const void *b);
struct stat_sum summarize(const struct samples *s);

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

#define MAX_ROWS 80
extern struct row rows[MAX_ROWS];
extern int nrows;

struct row *row_new(const char *key, const char *section, const char *label, const char *ma,
                    const char *mb, struct row *base);
double row_median(const struct row *r, int m);
double ratio(const struct row *r, int m);

/* ---- host.c ---- */

extern struct cg_mounts host;
extern struct cg_delegation deleg;

/* Root and a usable cgroup tree, or die; orphans of a dead bench swept. */
void host_setup(void);
void host_teardown(void);
void rmdir_tree(const char *path);
void kill_and_remove_v2(const char *path);

/* ---- floor.c ---- */

struct floor_cfg {
        uint64_t ns;         /* CLONE_NEW* */
        bool mounts;         /* corral's mounts (ns/mounts.c) and its default credentials */
        bool hostname;       /* sethostname (with CLONE_NEWUTS), as corral does */
        bool setsid;         /* a session of its own, as the shim takes (a diagnostic row) */
        bool pid1_fork;      /* PID 1 forks the program (as the shim does), not vfork */
        bool loopback;       /* bring lo up (with CLONE_NEWNET) */
        bool seccomp;        /* install the seccomp profile's filter in the program before execve */
        bool default_filter; /* the default profile's (deny list, RestrictNamespaces=) instead */
        unsigned limits;     /* controllers to limit (bit = enum cg_ctrl), the limits profile's */
};

struct floor_times {
        int64_t t0, t_started, t_reaped, t_done;
        int64_t t_cloned;          /* floor: clone3 returned in the parent */
        int64_t t_sent, t_replied; /* corral: request to the zygote, its reply */
        int64_t migrate_us;        /* cgroup.procs writes into v1 groups before the release */
        double cpu_us;             /* CPU time of every process involved */
        struct cpu cpu;            /* the same by role: us, the zygote, reaped children */
};

/* the program, O_PATH: the floor execs it by fd, as corral does */
extern int prog_fd;
extern const char *const floor_phases[];

/* The floor's base, <own>/corral/benchfloor-<pid>, and its credentials (nobody). */
void floor_setup(void);
/* The floor's seccomp filter (compiled from sec) and limits (lim's, per controller); returns
 * the mask of the controllers limited, for floor_cfg.limits. */
unsigned floor_profiles(const struct profile *sec, const struct profile *lim);
const char *floor_base_dir(void);
void floor_teardown(void);
int floor_spawn(const struct floor_cfg *fc, struct floor_times *t);
int forkexec_spawn(struct floor_times *t);
int posix_spawn_one(struct floor_times *t);

/* ---- corral.c ---- */

struct bench_sup;
struct bench_event;

extern const char *const corral_phases[];
/* the default profile, or --profile's: every corral row and the floors follow it */
extern struct profile prof_def;

/* --profile FILE: its one profile (or the one named default), the base of every profile
 * below; NULL: the built-in default. */
void profile_base_load(const char *file);
/* the base profile with kv (key, value, ..., NULL) set on it */
void profile_or_die(struct profile *p, const char *name, const char *const *kv);
/* its clone flags, as the spawner computes them (spawner/spawn.c, clone_flags) */
uint64_t profile_ns(const struct profile *p);
/* A supervisor for p, closed by sup_close() or, on any way out, sups_close_all(). */
struct bench_sup *sup_open(const struct profile *p);
/* the same, each actor's start and end handed to fn (bench_sup.h); timeout_ms 0: 10 s */
struct bench_sup *sup_open_hooked(const struct profile *p,
                                  void (*fn)(void *ctx, const struct bench_event *e), void *ctx,
                                  int timeout_ms);
void sup_close(struct bench_sup *b);
void sups_close_all(void);
int corral_spawn(struct bench_sup *b, char *const *argv, struct floor_times *t, char *why,
                 size_t len);

/* ---- the sections ---- */

enum vkind { V_FORKEXEC, V_POSIX_SPAWN, V_FLOOR, V_CORRAL };

/* One way of spawning, measured into a row (spawn.c; heap.c runs the same kinds) */
struct variant {
        struct floor_cfg fc;
        struct bench_sup *sup;
        struct row *row;
        struct row *mig;  /* floor with v1 limits: the migration, reported on its own */
        struct row *tput; /* spawns per second over each batch, back to back */
        enum vkind kind;
        int zfd; /* the zygote's /proc/PID/schedstat, or -1 */
};

void section_spawn(void);
void section_heap(void);
void section_oneshot(void);
void section_teardown(void);
void section_trees(void);

/* ---- report.c ---- */

extern char host_line[512], noise_line[256];

void print_table(void);
void write_json(const char *mode);
void write_png(void);

#endif
