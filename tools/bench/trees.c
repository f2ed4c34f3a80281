/* Section 6: trees of actors (issue 24), each next to a baseline measured in the same run.
 * The actors are the test actor's (build/corral-test-actor, tests/actors/tree.c), talking to
 * the bench's supervisor over their control channels as a runtime would:
 *
 *   throughput   one parent SPAWNing N children back to back (`spawn - N prog`: at most 32
 *                unanswered), and 8 parents at once, as actors per second from the first
 *                child's request to the last child's node removed; against the floor spawning
 *                the same isolation N times in a loop; again with MemoryMax/TasksMax, whose v1
 *                groups (on a hybrid host) each child pays for, against the floor with them
 *   nested tree  `tree 3` (63 actors with the root, every leaf pair with one failure), from
 *                the root's request to the last node removed, split at the last actor started
 *                and at the root's exit; `tree 3 coop` alike; against the floor's 63 spawns
 *   cascade      a graceful cascade from the root of 100 cooperative actors (1 + 9 parents
 *                + 90 waiting leaves) against a bare cgroup.kill of an identical tree, each
 *                side on a fresh tree
 *   idle         the supervisor's RSS per live actor over N idle actors, and its CPU while they
 *                sit idle, next to its CPU with none */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_sup.h"

#define TRACK_MAX 4096

/* What the hook saw of one supervisor's actors */
struct track {
        struct bench_sup *b;
        uint32_t ids[TRACK_MAX], parents[TRACK_MAX];
        int n, started, failed, exited;
        uint32_t tops[16];
        int ntops;
};

static void on_actor(void *ctx, const struct bench_event *e)
{
        struct track *t = ctx;

        if (e->kind == BENCH_EV_EXITED) {
                t->exited++;
                return;
        }
        if (e->kind == BENCH_EV_STARTED)
                t->started++;
        else
                t->failed++;
        if (t->n < TRACK_MAX) {
                t->ids[t->n] = e->actor;
                t->parents[t->n++] = e->parent;
        }
}

static bool tops_removed(void *ctx)
{
        const struct track *t = ctx;

        for (int i = 0; i < t->ntops; i++) {
                struct bench_actor_times a;

                if (bench_sup_times(t->b, t->tops[i], &a) == 0 && !(a.ended && a.removed))
                        return false;
        }
        return true;
}

static int want_started;

static bool all_started(void *ctx)
{
        const struct track *t = ctx;

        return t->started + t->failed >= want_started || t->exited > 0;
}

static struct bench_sup *track_open(struct track *t, const struct profile *p, int timeout_ms)
{
        memset(t, 0, sizeof *t);
        t->b = sup_open_hooked(p, on_actor, t, timeout_ms);
        return t->b;
}

/* A top-level actor started, or false with why */
static bool track_start(struct track *t, char *const *argv, char *why, size_t len)
{
        struct cerr err = {0};

        if (t->ntops == 16 || bench_sup_start(t->b, argv, &t->tops[t->ntops], &err) < 0) {
                cerr_str(&err, why, len);
                return false;
        }
        t->ntops++;
        return true;
}

static bool track_wait(struct track *t, bool (*done)(void *), int ms, char *why, size_t len)
{
        struct cerr err = {0};

        if (bench_sup_wait(t->b, done, t, ms, &err) < 0) {
                cerr_str(&err, why, len);
                return false;
        }
        return true;
}

static void row_failed(struct row *r, const char *why)
{
        if (!r->failures++)
                snprintf(r->first_failure, sizeof r->first_failure, "%s", why);
        fprintf(stderr, "corral-bench: %s: %s\n", r->label, why);
        if (r->failures >= 3 && !r->na[0])
                snprintf(r->na, sizeof r->na, "failed: %s", r->first_failure);
}

/* ------------------------------------------------------------- throughput ---- */

struct tput {
        struct row *row;
        const struct profile *prof; /* corral's; NULL: the floor */
        struct floor_cfg fc;
        int parents;
};

static void tput_floor(struct tput *v, int n, bool record)
{
        struct floor_times t;
        int64_t t0 = now_us();
        double c0 = cpu_us(-1);

        for (int i = 0; i < n && !stop; i++) {
                int rc = floor_spawn(&v->fc, &t);

                if (rc < 0) {
                        row_failed(v->row, strerror(-rc));
                        return;
                }
        }
        if (record && !stop) {
                add_sample(&v->row->m[M_A], (double)n * 1e6 / (double)(now_us() - t0));
                add_sample(&v->row->m[M_C], (cpu_us(-1) - c0) / n);
        }
}

static void tput_corral(struct tput *v, int n, bool record)
{
        static struct track t;
        char count[16], why[CERR_MSG_MAX + 64] = "";
        char *argv[16] = {cfg.actor, "spawn", "-", count};
        int64_t first = 0, last = 0;
        int children = 0, zfd;
        double c0;

        for (int i = 0; i < cfg.argc; i++)
                argv[4 + i] = cfg.argv[i];
        snprintf(count, sizeof count, "%d", n / v->parents);
        track_open(&t, v->prof, 120000);
        zfd = schedstat_open(bench_sup_zygote_pid(t.b));
        c0 = cpu_us(zfd);
        for (int i = 0; i < v->parents; i++) {
                if (!track_start(&t, argv, why, sizeof why))
                        goto out;
        }
        if (!track_wait(&t, tops_removed, 120000, why, sizeof why))
                goto out;
        for (int i = 0; i < t.n; i++) {
                struct bench_actor_times a;

                if (!t.parents[i] || bench_sup_times(t.b, t.ids[i], &a) < 0 || !a.t_started)
                        continue;
                children++;
                if (!first || a.t_request < first)
                        first = a.t_request;
                if (a.t_removed > last)
                        last = a.t_removed;
        }
        if (children != n / v->parents * v->parents) {
                snprintf(why, sizeof why, "%d of %d children started", children,
                         n / v->parents * v->parents);
                goto out;
        }
        if (record) {
                add_sample(&v->row->m[M_A], (double)children * 1e6 / (double)(last - first));
                add_sample(&v->row->m[M_C], (cpu_us(zfd) - c0) / children);
        }
out:
        if (why[0] && !stop)
                row_failed(v->row, why);
        if (zfd >= 0)
                close(zfd);
        sup_close(t.b);
}

static struct profile prof_tput, prof_tput_lim;
static unsigned lim_mask; /* the floor's: the controllers prof_tput_lim limits */

static void trees_throughput(void)
{
        uint64_t ns = profile_ns(&prof_def);
        struct tput v[5];
        int n = cfg.tree_tput_n;
        struct floor_cfg fc = {.ns = ns,
                               .mounts = true,
                               .hostname = true,
                               .loopback = ns & CLONE_NEWNET,
                               .default_filter = true};

#define TPUT_ROW(key, label, base) row_new(key, "trees", label, "actors_per_s", NULL, base)
        v[0] = (struct tput){
            TPUT_ROW("tput_floor_default", "floor: default isolation, in a loop", NULL), NULL, fc,
            0};
        v[1] = (struct tput){
            TPUT_ROW("tput_ctl_1parent", "corral: 1 parent SPAWNs N back to back", v[0].row),
            &prof_tput, fc, 1};
        v[2] = (struct tput){
            TPUT_ROW("tput_ctl_8parents", "corral: 8 parents SPAWN N/8 each at once", v[0].row),
            &prof_tput, fc, 8};
        fc.limits = lim_mask;
        v[3] = (struct tput){
            TPUT_ROW("tput_floor_limits", "floor: + MemoryMax TasksMax (v1 groups)", NULL), NULL,
            fc, 0};
        v[4] = (struct tput){
            TPUT_ROW("tput_ctl_1parent_limits", "corral: 1 parent, + MemoryMax TasksMax", v[3].row),
            &prof_tput_lim, fc, 1};
#undef TPUT_ROW
        for (int i = 0; i < 5; i++)
                v[i].row->metric[M_C] = "cpu_per_actor_us";
        fprintf(stderr, "corral-bench: trees: throughput, %d children, 1 + %d rounds\n", n,
                cfg.tree_tput_rounds);
        /* round -1 warms up (a quarter of the batch), unrecorded; then the order rotates */
        for (int round = -1; round < cfg.tree_tput_rounds && !stop; round++) {
                for (int j = 0; j < 5 && !stop; j++) {
                        struct tput *x = &v[(j + (round < 0 ? 0 : round)) % 5];
                        int k = round < 0 ? (n / 4 + 7) / 8 * 8 : n;

                        if (x->row->na[0])
                                continue;
                        if (x->prof)
                                tput_corral(x, k, round >= 0);
                        else
                                tput_floor(x, k, round >= 0);
                }
        }
}

/* ------------------------------------------------------------- the nested-error tree ---- */

#define TREE_DEPTH  3
#define TREE_ACTORS ((1 << (TREE_DEPTH + 3)) - 1) /* with the root: 62 + 1 */

struct tree_rows {
        struct row *total, *build, *prop, *down;
        bool coop;
};

static void tree_run(struct tree_rows *r)
{
        static struct track t;
        char why[CERR_MSG_MAX + 64] = "", lvl[8];
        char *argv[] = {cfg.actor, "tree", lvl, r->coop ? "coop" : NULL, NULL};
        struct bench_actor_times root, a;
        int64_t last_started = 0, last_removed = 0;
        int zfd;
        double c0;

        snprintf(lvl, sizeof lvl, "%d", TREE_DEPTH);
        track_open(&t, &prof_def, 60000);
        zfd = schedstat_open(bench_sup_zygote_pid(t.b));
        c0 = cpu_us(zfd);
        if (!track_start(&t, argv, why, sizeof why) ||
            !track_wait(&t, tops_removed, 60000, why, sizeof why))
                goto out;
        for (int i = 0; i < t.n; i++) {
                if (bench_sup_times(t.b, t.ids[i], &a) < 0)
                        continue;
                if (a.t_started > last_started)
                        last_started = a.t_started;
                if (a.t_removed > last_removed)
                        last_removed = a.t_removed;
        }
        bench_sup_times(t.b, t.tops[0], &root);
        /* coop: a spawner cancelled before it spawned has no subtree (fewer actors) */
        if (t.started > TREE_ACTORS || (!r->coop && t.started != TREE_ACTORS) ||
            root.exit_code != 1) {
                snprintf(why, sizeof why, "%d of %d actors started, %d failed, the root exited %d",
                         t.started, TREE_ACTORS, t.failed, root.exit_code);
                goto out;
        }
        add_sample(&r->total->m[M_A], (double)(last_removed - root.t_request));
        add_sample(&r->total->m[M_B], t.started);
        add_sample(&r->total->m[M_C], cpu_us(zfd) - c0);
        add_sample(&r->build->m[M_A], (double)(last_started - root.t_request));
        add_sample(&r->build->m[M_B], (double)(last_started - root.t_request));
        add_sample(&r->prop->m[M_A], (double)(root.t_exited - last_started));
        add_sample(&r->prop->m[M_B], (double)(root.t_exited - root.t_request));
        add_sample(&r->down->m[M_A], (double)(last_removed - root.t_exited));
        add_sample(&r->down->m[M_B], (double)(last_removed - root.t_request));
out:
        if (why[0] && !stop)
                row_failed(r->total, why);
        if (zfd >= 0)
                close(zfd);
        sup_close(t.b);
}

static void tree_floor(struct row *r, const struct floor_cfg *fc)
{
        struct floor_times t;
        int64_t t0 = now_us();
        double c0 = cpu_us(-1);

        for (int i = 0; i < TREE_ACTORS && !stop; i++) {
                int rc = floor_spawn(fc, &t);

                if (rc < 0) {
                        row_failed(r, strerror(-rc));
                        return;
                }
        }
        add_sample(&r->m[M_A], (double)(now_us() - t0));
        add_sample(&r->m[M_C], cpu_us(-1) - c0);
}

static void tree_rows_new(struct tree_rows *r, bool coop, struct row *base)
{
        r->coop = coop;
        r->total = row_new(coop ? "tree3_coop_total" : "tree3_total", "trees",
                           coop ? "corral: tree 3 coop (63 actors), end to end"
                                : "corral: tree 3 (63 actors), end to end",
                           "total_us", "actors", base);
        r->total->metric[M_C] = "cpu_us";
        r->build = row_new(coop ? "tree3_coop_build" : "tree3_build", "trees",
                           "  build-up: -> the last actor started", "took_us", "at_us", NULL);
        r->prop = row_new(coop ? "tree3_coop_propagation" : "tree3_propagation", "trees",
                          "  failure propagation: -> the root exited", "took_us", "at_us", NULL);
        r->down = row_new(coop ? "tree3_coop_teardown" : "tree3_teardown", "trees",
                          "  teardown: -> the last node removed", "took_us", "at_us", NULL);
}

static void trees_nested(void)
{
        uint64_t ns = profile_ns(&prof_def);
        struct floor_cfg fc = {.ns = ns,
                               .mounts = true,
                               .hostname = true,
                               .loopback = ns & CLONE_NEWNET,
                               .default_filter = true};
        struct row *fl =
            row_new("tree3_floor", "trees", "floor: 63 spawns of that isolation, in a loop",
                    "total_us", NULL, NULL);
        struct tree_rows plain, coop;

        fl->metric[M_C] = "cpu_us";
        tree_rows_new(&plain, false, fl);
        tree_rows_new(&coop, true, fl);
        fprintf(stderr, "corral-bench: trees: the nested-error tree, %d runs\n", cfg.tree_runs);
        for (int i = 0; i < cfg.tree_runs && !stop; i++) {
                for (int j = 0; j < 3 && !stop; j++) {
                        int k = (i + j) % 3;

                        if (k == 0 && !fl->na[0])
                                tree_floor(fl, &fc);
                        else if (k == 1 && !plain.total->na[0])
                                tree_run(&plain);
                        else if (k == 2 && !coop.total->na[0])
                                tree_run(&coop);
                }
        }
}

/* ------------------------------------------------------------- the cascade ---- */

#define CASCADE_ACTORS 100 /* 1 + 9 + 9 x 10 */

/* 100 cooperative actors, all started and past their HELLO; NULL with why */
static struct bench_sup *cascade_tree(struct track *t, char *why, size_t len)
{
        char *argv[] = {cfg.actor, "parent", "9", "ready",   "-",    cfg.actor, "parent",
                        "10",      "ready",  "-", cfg.actor, "wait", "120",     NULL};
        long handled;
        struct cerr err = {0};

        track_open(t, &prof_def, 60000);
        want_started = CASCADE_ACTORS;
        if (!track_start(t, argv, why, len) || !track_wait(t, all_started, 60000, why, len))
                goto fail;
        /* their HELLOs handled; and cgroup.events notifications are rate-limited: the one
         * for "populated 1" ages out, so that both sides start alike */
        if (bench_sup_idle(t->b, 100, &handled, &err) < 0) {
                cerr_str(&err, why, len);
                goto fail;
        }
        if (t->started != CASCADE_ACTORS || t->exited) {
                snprintf(why, len, "%d of %d actors started, %d exited early", t->started,
                         CASCADE_ACTORS, t->exited);
                goto fail;
        }
        return t->b;
fail:
        sup_close(t->b);
        return NULL;
}

/* cgroup.kill of the tree's node, populated 0, every node below removed (depth first) */
static int bare_kill_tree(struct bench_sup *b, int64_t *empty_us, int64_t *done_us)
{
        char tree[PATH_MAX];
        int64_t t0;

        snprintf(tree, sizeof tree, "%s", bench_sup_tree_path(b));
        *empty_us = bare_cgroup_kill(tree, &t0);
        if (*empty_us < 0)
                return -1;
        rmdir_tree(tree);
        *done_us = now_us() - t0;
        return access(tree, F_OK) < 0 ? 0 : -1;
}

static void trees_cascade(void)
{
        struct row *bare =
            row_new("cascade_bare_100", "trees", "bare cgroup.kill of a 100-actor tree", "done_us",
                    "empty_us", NULL);
        struct row *cor =
            row_new("cascade_graceful_100", "trees", "corral: graceful cascade from the root",
                    "done_us", "empty_us", bare);

        fprintf(stderr, "corral-bench: trees: cascade of %d actors, %d runs each\n", CASCADE_ACTORS,
                cfg.tree_cascade_iters);
        for (int it = 0; it < cfg.tree_cascade_iters && !stop; it++) {
                for (int side = 0; side < 2 && !stop; side++) {
                        bool corral_side = (side + it) % 2;
                        struct row *r = corral_side ? cor : bare;
                        char why[CERR_MSG_MAX + 64] = "";
                        static struct track t;
                        struct bench_sup *b;

                        if (r->na[0])
                                continue;
                        b = cascade_tree(&t, why, sizeof why);
                        if (!b) {
                                row_failed(r, why);
                                continue;
                        }
                        if (corral_side) {
                                struct bench_kill_times kt;
                                struct cerr err = {0};

                                if (bench_sup_cancel_tree(b, true, &kt, &err) == 0) {
                                        add_sample(&r->m[M_A],
                                                   (double)(kt.t_removed - kt.t_request));
                                        add_sample(&r->m[M_B], (double)(kt.t_empty - kt.t_request));
                                } else {
                                        row_failed(r, cerr_str(&err, why, sizeof why));
                                }
                        } else {
                                int64_t e_us, d_us;

                                if (bare_kill_tree(b, &e_us, &d_us) == 0) {
                                        add_sample(&r->m[M_A], (double)d_us);
                                        add_sample(&r->m[M_B], (double)e_us);
                                } else {
                                        row_failed(r, "the tree's nodes stayed");
                                }
                        }
                        sup_close(b);
                }
        }
}

/* ------------------------------------------------------------- idle actors ---- */

static double rss_kib(pid_t pid)
{
        char path[64], buf[128];
        unsigned long size, res;

        snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
        if (read_small(path, buf, sizeof buf) < 0 || sscanf(buf, "%lu %lu", &size, &res) != 2)
                return 0;
        return (double)res * (double)sysconf(_SC_PAGESIZE) / 1024;
}

static double heap_kib(void)
{
        struct mallinfo2 m = mallinfo2();

        return (double)(m.uordblks + m.hblkhd) / 1024;
}

static double self_cpu_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double tree_cpu_us(struct bench_sup *b)
{
        char path[PATH_MAX + 16], buf[128];
        unsigned long long v = 0;

        snprintf(path, sizeof path, "%s/cpu.stat", bench_sup_tree_path(b));
        if (read_small(path, buf, sizeof buf) < 0 || sscanf(buf, "usage_usec %llu", &v) != 1)
                return -1;
        return (double)v;
}

/* The supervisor's CPU (µs per second) and wake-ups (per second) over ms of idling */
static bool idle_window(struct bench_sup *b, int ms, struct row *r, struct row *own, char *why,
                        size_t len)
{
        double k0 = tree_cpu_us(b), c0 = self_cpu_us(), c1, k1;
        long handled;
        struct cerr err = {0};

        /* (the cgroup file read outside: ours is the supervisor's CPU alone) */
        if (bench_sup_idle(b, ms, &handled, &err) < 0) {
                cerr_str(&err, why, len);
                return false;
        }
        c1 = self_cpu_us();
        k1 = tree_cpu_us(b);
        add_sample(&r->m[M_A], (c1 - c0) * 1000 / ms);
        add_sample(&r->m[M_B], (double)handled * 1000 / ms);
        if (own && k0 >= 0 && k1 >= 0)
                add_sample(&own->m[M_A], (k1 - k0) * 1000 / ms);
        return true;
}

static void trees_idle(void)
{
        static struct track t;
        char *argv[] = {cfg.actor, "wait", "600", NULL};
        char why[CERR_MSG_MAX + 64] = "";
        int n = cfg.tree_idle_actors, ms = cfg.tree_idle_s * 1000;
        struct row *mem =
            row_new("idle_rss_per_actor", "trees", "supervisor RSS per live actor (KiB)", "rss_kib",
                    "heap_kib", NULL);
        struct row *none =
            row_new("idle_cpu_none", "trees", "supervisor CPU idle, no actors (us/s)",
                    "cpu_us_per_s", "wakeups_per_s", NULL);
        struct row *cpu =
            row_new("idle_cpu_actors", "trees", "supervisor CPU, N actors idle (us/s)",
                    "cpu_us_per_s", "wakeups_per_s", NULL);
        struct row *added =
            row_new("idle_cpu_added", "trees", "  of which the idle actors' (us/s, minus none)",
                    "cpu_us_per_s", NULL, NULL);
        struct row *own = row_new("idle_cpu_actors_own", "trees",
                                  "  the idle actors' own CPU (us/s)", "cpu_us_per_s", NULL, NULL);
        double rss0, heap0, z0;
        pid_t zyg;

        mem->metric[M_C] = "zygote_rss_kib";
        fprintf(stderr, "corral-bench: trees: %d idle actors for %d s\n", n, cfg.tree_idle_s);
        track_open(&t, &prof_def, 600000);
        zyg = bench_sup_zygote_pid(t.b);
        {
                long w;
                struct cerr err = {0};

                /* what the opening left to do (its first events written) */
                bench_sup_idle(t.b, 100, &w, &err);
        }
        /* the same supervisor with nothing to do, for as long: what idling costs at all (the
         * window's own end is a wake-up) */
        if (!idle_window(t.b, ms, none, NULL, why, sizeof why))
                goto out;
        rss0 = rss_kib(getpid());
        heap0 = heap_kib();
        z0 = rss_kib(zyg);
        /* in batches of 100, each started before the next is asked for */
        for (int done = 0; done < n && !stop;) {
                int k = n - done < 100 ? n - done : 100;

                for (int i = 0; i < k; i++) {
                        struct cerr err = {0};
                        uint32_t id;

                        if (bench_sup_start(t.b, argv, &id, &err) < 0) {
                                cerr_str(&err, why, sizeof why);
                                goto out;
                        }
                }
                done += k;
                want_started = done;
                if (!track_wait(&t, all_started, 120000, why, sizeof why))
                        goto out;
        }
        {
                long handled;
                struct cerr err = {0};

                /* their HELLOs */
                if (bench_sup_idle(t.b, 500, &handled, &err) < 0) {
                        cerr_str(&err, why, sizeof why);
                        goto out;
                }
        }
        if (t.started != n || t.exited) {
                snprintf(why, sizeof why, "%d of %d actors started, %d exited", t.started, n,
                         t.exited);
                goto out;
        }
        add_sample(&mem->m[M_A], (rss_kib(getpid()) - rss0) / n);
        add_sample(&mem->m[M_B], (heap_kib() - heap0) / n);
        add_sample(&mem->m[M_C], (rss_kib(zyg) - z0) / n);
        if (!idle_window(t.b, ms, cpu, own, why, sizeof why))
                goto out;
        add_sample(&added->m[M_A], row_median(cpu, M_A) - row_median(none, M_A));
        if (t.exited) {
                snprintf(why, sizeof why, "%d actors exited while idle", t.exited);
                goto out;
        }
out:
        if (why[0] && !stop) {
                snprintf(mem->na, sizeof mem->na, "failed: %s", why);
                fprintf(stderr, "corral-bench: idle actors: %s\n", why);
        }
        if (!stop) {
                struct bench_kill_times kt;
                struct cerr err = {0};

                bench_sup_cancel_tree(t.b, false, &kt, &err);
        }
        sup_close(t.b);
}

void section_trees(void)
{
        /* the children come and go faster than MaxChildren=64 would always allow */
        static const char *const kv[] = {"MaxChildren", "4096", NULL};
        static const char *const kv_lim[] = {"MaxChildren", "4096", "MemoryMax", "256M",
                                             "TasksMax",    "512",  NULL};

        profile_or_die(&prof_tput, "tput", kv);
        profile_or_die(&prof_tput_lim, "tputlim", kv_lim);
        /* the floor's filter (the default profile's) and limits (as prof_tput_lim's) */
        lim_mask = floor_profiles(&prof_def, &prof_tput_lim);
        if (access(cfg.actor, X_OK) < 0) {
                struct row *r = row_new("trees", "trees", "trees of actors", NULL, NULL, NULL);

                snprintf(r->na, sizeof r->na, "failed: %s: %s (make builds it)", cfg.actor,
                         strerror(errno));
                return;
        }
        if (!stop)
                trees_idle();
        if (!stop)
                trees_nested();
        if (!stop)
                trees_cascade();
        if (!stop)
                trees_throughput();
}
