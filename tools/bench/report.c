/* The output: the table on stdout, the JSON (spawner/json.h, the project's writer) and,
 * with gnuplot installed, the distribution functions as a PNG. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../spawner/json.h"
#include "bench.h"

/* The targets of issue 23 ("Performance of the spawn path") and 24 ("Performance of trees"):
 * each a ratio of two rows' medians, or one row's median as a figure in a unit, at most (or,
 * for a rate, at least) the limit. */
struct target {
        int issue;
        const char *what;
        const char *num, *den; /* row keys; den NULL: num's median is the figure itself */
        double limit;
        int metric;
        bool at_least;    /* a rate: the ratio must reach the limit */
        const char *unit; /* a figure's: its median times scale, in unit; NULL: a ratio */
        double scale;
        /* a control shown next to it: a ratio of two rows (ctl_den), or a figure (none) */
        const char *ctl_label, *ctl_num, *ctl_den;
        const char *split; /* rows <split>_build, _propagation, _teardown shown next to it */
};

/* a ratio of two rows' medians (A over B), at most the limit, or at least it (`least`) */
#define RATIO(i, w, a, b, lim, least)                                                              \
        .issue = (i), .what = (w), .num = (a), .den = (b), .limit = (lim), .metric = M_A,          \
        .at_least = (least)

static const struct target targets[] = {
    {RATIO(23, "one-shot: corral run vs the one-shot floor", "oneshot_corral_run", "oneshot_floor",
           1.15, false)},
    {RATIO(23, "spawn (start), default profile vs the floor (vfork PID 1)", "corral_default",
           "floor_default", 1.10, false)},
    {RATIO(23, "spawn (start), PrivateNetwork=actor vs the floor + net ns", "corral_netns",
           "floor_netns", 1.10, false)},
    {RATIO(23, "throughput, back-to-back spawns, default: corral vs floor",
           "throughput_corral_default", "throughput_floor_default", 0.80, true)},
    {RATIO(23, "spawn (start), default profile vs it without its deny list", "corral_default",
           "corral_default_nodeny", 1.05, false)},
    {RATIO(23, "spawn (start) with a 1 GiB supervisor vs 10 MiB", "corral_default_heap_big",
           "corral_default_heap_small", 1.10, false),
     .ctl_label = "control, posix_spawn alike", .ctl_num = "control_posix_spawn_heap_big",
     .ctl_den = "control_posix_spawn_heap_small"},
    {RATIO(23, "teardown of 1000 processes vs a bare cgroup.kill", "teardown_corral_1000",
           "teardown_bare_1000", 1.20, false)},
    /* issue 24 sets no figure for spawns through the channel: issue 23's throughput limit */
    {RATIO(24, "SPAWNs through the channel, 1 parent vs the floor's loop", "tput_ctl_1parent",
           "tput_floor_default", 0.80, true)},
    {RATIO(24, "SPAWNs through the channel, 8 parents vs the floor's loop", "tput_ctl_8parents",
           "tput_floor_default", 0.80, true)},
    {RATIO(24, "the same, 1 parent, MemoryMax TasksMax (v1) vs the floor",
           "tput_ctl_1parent_limits", "tput_floor_limits", 0.80, true)},
    {RATIO(24, "nested-error tree (tree 3): first SPAWN -> last node removed", "tree3_total", NULL,
           0.5, false),
     .unit = "s", .scale = 1e-6, .split = "tree3"},
    {RATIO(24, "graceful cascade, 100 actors vs a bare cgroup.kill", "cascade_graceful_100",
           "cascade_bare_100", 2.0, false)},
    {RATIO(24, "supervisor memory per live actor (RSS)", "idle_rss_per_actor", NULL, 16, false),
     .unit = "KiB", .scale = 1},
    /* what the idle actors add to the supervisor's CPU: minus the same window with none
     * (whose own end is a wake-up) */
    {RATIO(24, "supervisor CPU added by its idle actors", "idle_cpu_added", NULL, 0, false),
     .unit = "%", .scale = 1e-4, .ctl_label = "with them", .ctl_num = "idle_cpu_actors"},
};
#undef RATIO

/* how far on the wrong side of its limit the ratio is: > 0 missed, <= 0 met */
static double target_gap(const struct target *t, double v)
{
        return t->at_least ? t->limit - v : v - t->limit;
}

static struct row *find_row(const char *key)
{
        for (int i = 0; i < nrows; i++) {
                if (strcmp(rows[i].key, key) == 0)
                        return &rows[i];
        }
        return NULL;
}

/* the ratio, or the figure in its unit */
static double target_value(const struct target *t)
{
        struct row *a = find_row(t->num), *b = t->den ? find_row(t->den) : NULL;

        if (!a || (t->den && !b))
                return NAN;
        if (!t->den)
                return row_median(a, t->metric) * t->scale;
        return row_median(a, t->metric) / row_median(b, t->metric);
}

/* "1.23x", "0.43 s", "12.1 KiB", "0.004%" */
static const char *fig(const struct target *t, double v, char *buf, size_t len)
{
        if (!t->unit)
                snprintf(buf, len, "%.2fx", v);
        else if (strcmp(t->unit, "%") == 0)
                snprintf(buf, len, "%.4f%%", v);
        else
                snprintf(buf, len, "%.*f %s", strcmp(t->unit, "s") == 0 ? 3 : 1, v, t->unit);
        return buf;
}

static const char *why_na(const char *num, const char *den)
{
        struct row *a = find_row(num), *b = den ? find_row(den) : NULL;

        if (!a || (den && !b))
                return "section not run";
        if (b && b->na[0])
                return b->na;
        if (a->na[0])
                return a->na;
        return "no samples";
}

char host_line[512], noise_line[256];

/* microseconds; from 100 ms on, milliseconds with an "m" */
static void print_cell(double v, int w)
{
        if (isnan(v))
                printf(" %*s", w, "-");
        else if (v >= 100000)
                printf(" %*.0fm", w - 1, v / 1000);
        else if (v > -10 && v < 10 && v != 0) /* the trees' small figures (KiB, per s) */
                printf(" %*.1f", w, v);
        else
                printf(" %*.0f", w, v);
}

static const char *same_metric(const char *m)
{
        return m ? m : "";
}

/* The ratio's or figure's gap to its limit, in its unit, and what stands next to it */
static void print_target(const struct target *t)
{
        double v = target_value(t), gap;
        struct row *a = find_row(t->num), *b = t->den ? find_row(t->den) : NULL;
        char f1[48], f2[48];

        printf("  %-62s", t->what);
        if (isnan(v)) {
                printf("       n/a  %s %s  %s\n",
                       t->at_least ? ">=" : "<=", fig(t, t->limit, f2, sizeof f2),
                       why_na(t->num, t->den));
                return;
        }
        gap = target_gap(t, v);
        printf("  %9s  %s %s  ", fig(t, v, f1, sizeof f1),
               t->at_least ? ">=" : "<=", fig(t, t->limit, f2, sizeof f2));
        if (gap > 0)
                printf("MISSED by %s", fig(t, gap, f1, sizeof f1));
        else
                printf("met (%s to spare)", fig(t, -gap, f1, sizeof f1));
        /* wall-time ratios on a busy machine say more about the machine */
        if (a && b && a->metric[M_C] && b->metric[M_C] &&
            strcmp(a->metric[M_C], b->metric[M_C]) == 0)
                printf(" (cpu %.2fx)", row_median(a, M_C) / row_median(b, M_C));
        if (t->ctl_num) {
                struct row *ca = find_row(t->ctl_num);
                struct row *cb = t->ctl_den ? find_row(t->ctl_den) : NULL;
                double c = !ca  ? NAN
                           : cb ? row_median(ca, t->metric) / row_median(cb, t->metric)
                                : row_median(ca, t->metric) * t->scale;

                if (!isnan(c) && (cb || !t->ctl_den))
                        printf(" (%s: %s)", t->ctl_label,
                               cb ? (snprintf(f1, sizeof f1, "%.2fx", c), f1)
                                  : fig(t, c, f1, sizeof f1));
        }
        if (t->split) {
                static const char *const parts[] = {"build", "propagation", "teardown"};

                printf(" (");
                for (int i = 0; i < 3; i++) {
                        char key[64];
                        struct row *p;

                        snprintf(key, sizeof key, "%s_%s", t->split, parts[i]);
                        p = find_row(key);
                        printf("%s%s %s", i ? ", " : "", parts[i],
                               fig(t, p ? row_median(p, M_A) * t->scale : NAN, f1, sizeof f1));
                }
                printf(")");
        }
        printf("\n");
}

static void print_targets(void)
{
        int issue = 0;

        for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
                if (targets[i].issue != issue) {
                        issue = targets[i].issue;
                        printf("\nTARGETS of issue %d (reported, not enforced)%21s measured  "
                               "target\n",
                               issue, "");
                }
                print_target(&targets[i]);
        }
}

void print_table(void)
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

        print_targets();

        static const char *const order[] = {"spawn", "heap", "oneshot", "teardown", "trees"};
        const struct row *prev = NULL;

        for (int i = 0; i < 5 * nrows; i++) {
                const struct row *r = &rows[i % nrows];
                struct stat_sum a, b;

                if (strcmp(r->section, order[i / nrows]) != 0)
                        continue;
                a = summarize(&r->m[M_A]);
                b = summarize(&r->m[M_B]);
                struct stat_sum c = summarize(&r->m[M_C]);

                bool new_section = strcmp(r->section, last) != 0;

                if (new_section) {
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
                        else if (strcmp(last, "trees") == 0)
                                printf("\n6. TREES of actors (the test actor, over its control "
                                       "channel; a row's own unit):\n"
                                       "   actors_per_s: children, first request -> last node "
                                       "removed; cpu: every process's, per actor;\n"
                                       "   tree 3: the root's request -> the last node removed, "
                                       "split: took, and at (since the request);\n"
                                       "   cascade: request -> populated 0 (empty) -> every node "
                                       "removed (done), a fresh tree each;\n"
                                       "   idle: the supervisor's RSS and heap growth per live "
                                       "actor, its CPU and wake-ups per second\n");
                }
                /* the columns' names, again when they change within a section */
                if (new_section ||
                    strcmp(same_metric(prev->metric[M_A]), same_metric(r->metric[M_A])) != 0 ||
                    strcmp(same_metric(prev->metric[M_B]), same_metric(r->metric[M_B])) != 0 ||
                    strcmp(same_metric(prev->metric[M_C]), same_metric(r->metric[M_C])) != 0)
                        printf("  %-46s %5s %8.8s %7s %7s %8.8s %7s %7s %7.7s  %s\n", "", "n",
                               r->metric[M_A] ? r->metric[M_A] : "", "p90", "p99",
                               r->metric[M_B] ? r->metric[M_B] : "", "p90", "p99",
                               r->metric[M_C] ? r->metric[M_C] : "", "ratio to baseline");
                prev = r;
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

static void json_stats(struct json *j, const char *key, const struct samples *s)
{
        struct stat_sum x = summarize(s);

        json_begin_object(j, key);
        json_int(j, "n", (long long)x.n);
        json_number(j, "median", x.n ? x.median : NAN, 1);
        json_number(j, "p90", x.n ? x.p90 : NAN, 1);
        json_number(j, "p99", x.n ? x.p99 : NAN, 1);
        json_number(j, "min", x.n ? x.min : NAN, 1);
        json_number(j, "mean", x.n ? x.mean : NAN, 1);
        json_number(j, "max", x.n ? x.max : NAN, 1);
        json_begin_array(j, "samples");
        for (size_t i = 0; i < s->n; i++)
                json_number(j, NULL, s->v[i], 0);
        json_end_array(j);
        json_end_object(j);
}

static void json_string_or_null(struct json *j, const char *key, const char *s)
{
        if (s && s[0])
                json_string(j, key, s);
        else
                json_null(j, key);
}

void write_json(const char *mode)
{
        FILE *f = fopen(cfg.json, "we");
        struct json j;

        if (!f) {
                fprintf(stderr, "corral-bench: cannot write %s: %s\n", cfg.json, strerror(errno));
                return;
        }
        json_init(&j, f);
        json_begin_object(&j, NULL);
        json_int(&j, "version", 1);
        json_string(&j, "mode", mode);
        json_string(&j, "host", host_line);
        json_string(&j, "noise", noise_line);
        json_string(&j, "program", cfg.prog_line_full);
        json_string_or_null(&j, "profile", cfg.profile);
        json_string(&j, "absent", absent);
        json_begin_array(&j, "targets");
        for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
                const struct target *t = &targets[i];
                double v = target_value(t);

                json_begin_object(&j, NULL);
                json_int(&j, "issue", t->issue);
                json_string(&j, "what", t->what);
                json_string(&j, "numerator", t->num);
                json_string_or_null(&j, "denominator", t->den);
                /* "x": ratio is a ratio of medians; else the figure in this unit */
                json_string(&j, "unit", t->unit ? t->unit : "x");
                json_string(&j, "op", t->at_least ? ">=" : "<=");
                json_number(&j, "limit", t->limit, 2);
                json_number(&j, "ratio", v, 3);
                /* > 0: missed by that much; <= 0: met with that much to spare */
                json_number(&j, "gap", isnan(v) ? NAN : target_gap(t, v), 3);
                if (isnan(v)) {
                        json_null(&j, "met");
                        json_string(&j, "why", why_na(t->num, t->den));
                } else {
                        json_bool(&j, "met", target_gap(t, v) <= 0);
                }
                json_end_object(&j);
        }
        json_end_array(&j);
        json_begin_array(&j, "rows");
        for (int i = 0; i < nrows; i++) {
                const struct row *r = &rows[i];

                json_begin_object(&j, NULL);
                json_string(&j, "key", r->key);
                json_string(&j, "section", r->section);
                json_string(&j, "label", r->label);
                json_string_or_null(&j, "na", r->na);
                json_string_or_null(&j, "baseline", r->base ? r->base->key : NULL);
                for (int m = 0; m < NMETRIC; m++) {
                        char key[64];

                        if (!r->metric[m])
                                continue;
                        json_stats(&j, r->metric[m], &r->m[m]);
                        if (r->base) {
                                snprintf(key, sizeof key, "ratio_%s", r->metric[m]);
                                json_number(&j, key, ratio(r, m), 3);
                        }
                }
                json_end_object(&j);
        }
        json_end_array(&j);
        json_end_object(&j);
        fclose(f);
        fprintf(stderr, "corral-bench: wrote %s\n", cfg.json);
}

/* Empirical distribution functions of the start latencies, when gnuplot is installed. */
void write_png(void)
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
