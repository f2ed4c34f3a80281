/* corral-bench: `make bench` / `make bench-quick` (HACKING.md "Benchmarks").
 *
 * Every corral figure is printed next to a baseline measured in the same run, on the same
 * program (build/bench-true unless --prog), interleaved round by round so that a noisy
 * neighbour hits both sides alike:
 *
 *   1. the floor: a minimal spawner (floor.c) doing the kernel work corral does for the
 *      same isolation (clone3 with the same flags into a fresh cgroup, the same mounts, a
 *      PID 1 that vforks and execs the program, reap, rmdir), plus fork+exec and posix_spawn;
 *   2. corral's spawn inside one supervisor (tools/bench_sup.h), per profile;
 *   3. the same spawn with the supervisor holding 10 MiB and 1 GiB of touched memory;
 *   4. one-shot `corral run -- prog` against the one-shot floor (a static launcher doing the
 *      same kernel work, oneshot_floor.c), a direct exec, unshare(1) and bwrap(1);
 *   5. teardown of N processes: corral's kill stage against a bare cgroup.kill;
 *   6. trees of actors (trees.c): spawns through the control channel against the floor's
 *      loop, the nested-error tree, a graceful cascade against a bare cgroup.kill, the
 *      supervisor's memory and CPU with many idle actors.
 *
 * Everything this program creates lives below <own>/corral/ (trees bench-<pid>-<n>, the
 * floor's benchfloor-<pid>) and is removed on every exit path, including SIGINT/SIGTERM;
 * leftovers of a bench that was SIGKILLed are swept at the next start. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../../ns/cgroup_mounts.h"
#include "bench.h"

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static bool section_on(const char *name)
{
        return listed(cfg.only, name, false);
}

/* Everything the bench created, on every way out (die() included) */
static void cleanup_all(void)
{
        sups_close_all();
        floor_teardown();
        host_teardown();
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
        fprintf(
            f,
            "usage: corral-bench [--quick] [--build DIR] [--prog \"PATH ARGS\"] [--profile FILE]\n"
            "                    [--json FILE] [--png FILE]\n"
            "                    [--only spawn,heap,oneshot,teardown,trees] [--match KEY,...] "
            "[--verbose]\n\n"
            "Measures corral's spawn and teardown against baselines measured in the same "
            "run (HACKING.md,\n\"Benchmarks\"). Needs root, like corral run. Prints one table, "
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
        cfg.tree_tput_n = 200; /* a multiple of 8: 8 parents spawn n/8 each */
        cfg.tree_tput_rounds = 5;
        cfg.tree_runs = 10;
        cfg.tree_cascade_iters = 8;
        cfg.tree_idle_actors = 1000;
        cfg.tree_idle_s = 10;
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
        cfg.tree_tput_n = 40;
        cfg.tree_tput_rounds = 1;
        cfg.tree_runs = 2;
        cfg.tree_cascade_iters = 1;
        cfg.tree_idle_actors = 100;
        cfg.tree_idle_s = 2;
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
                                             {"profile", required_argument, NULL, 'P'},
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
        bench_on_die(cleanup_all);
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
                case 'P':
                        abspath(cfg.profile, sizeof cfg.profile, optarg);
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
                snprintf(tmp, sizeof tmp, "%s/corral-test-actor", cfg.build);
                abspath(cfg.actor, sizeof cfg.actor, tmp);
                snprintf(tmp, sizeof tmp, "%s/bench-oneshot-floor", cfg.build);
                abspath(cfg.floor1, sizeof cfg.floor1, tmp);
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
        floor_setup();
        profile_base_load(cfg.profile[0] ? cfg.profile : NULL);
        profile_or_die(&prof_def, "default", NULL);

        uname(&u);
        read_small("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
        read_small("/proc/loadavg", load0, sizeof load0);
        snprintf(host_line, sizeof host_line,
                 "corral bench (%s): Linux %s %s, %ld CPUs, cgroups %s, THP %s%s%s%s",
                 cfg.quick ? "quick" : "full", u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
                 cg_mode_name(host.mode), thp, cfg.profile[0] ? "\nprofile: " : "", cfg.profile,
                 cfg.profile[0] ? " (in place of the default profile: every corral row, the "
                                  "floors, the one-shot)"
                                : "");
        busy0 = cpu_busy_ticks();
        own0 = own_cpu_s();
        t_start = now_us();
        wall0 = (double)t_start / 1e6;

        /* first: its idle rows read the supervisor's RSS growth, which heap that earlier
         * sections freed (and left resident) would hide */
        if (section_on("trees") && !stop)
                section_trees();
        if (section_on("spawn") && !stop)
                section_spawn();
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
