/* Sections 1 and 2: spawn inside one supervisor, per profile, each next to the floor with
 * the same isolation; variants run in rounds whose order rotates. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../policy/policy.h"
#include "bench.h"
#include "bench_sup.h"

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

static struct profile prof_min, prof_sec, prof_lim, prof_net, prof_nodeny, prof_nofilter;

void section_spawn(void)
{
        static const char *const kv_min[] = {"Namespaces", "", NULL};
        static const char *const kv_sec[] = {"SystemCallFilter", "@system-service", NULL};
        static const char *const kv_lim[] = {"MemoryMax", "256M", "TasksMax", "64",
                                             "CPUQuota",  "50%",  NULL};
        static const char *const kv_net[] = {"PrivateNetwork", "actor", NULL};
        static const char *const kv_nodeny[] = {"SystemCallFilter", "", NULL};
        static const char *const kv_nofilter[] = {"SystemCallFilter", "", "RestrictNamespaces",
                                                  "no", NULL};
        struct variant v[24];
        int nv = 0;
        struct row *r, *fl, *tf;
        unsigned lim_mask;
        uint64_t ns = profile_ns(&prof_def);

        profile_or_die(&prof_min, "minimal", kv_min);
        profile_or_die(&prof_sec, "seccomp", kv_sec);
        profile_or_die(&prof_lim, "limits", kv_lim);
        profile_or_die(&prof_net, "privnet", kv_net);
        profile_or_die(&prof_nodeny, "nodeny", kv_nodeny);
        profile_or_die(&prof_nofilter, "nofilter", kv_nofilter);
        lim_mask = floor_profiles(&prof_sec, &prof_lim);

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
        tf = row_new("throughput_floor_default", "spawn",
                     "  floor: default, back to back (spawns/s)", "spawns_per_s", NULL, NULL);
        ADD(V_FLOOR, fl,
            .fc = {.ns = ns,
                   .mounts = true,
                   .hostname = true,
                   .loopback = ns & CLONE_NEWNET,
                   .default_filter = true},
            .tput = tf);
        r = SPAWN_ROW("corral_default", "corral: default profile", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_def),
            .tput =
                row_new("throughput_corral_default", "spawn",
                        "  corral: default, back to back (spawns/s)", "spawns_per_s", NULL, tf));
        /* the shim forks the program; the floor's PID 1 vforks: what that choice costs */
        r = SPAWN_ROW("floor_default_fork", "  floor: default isolation, PID 1 forks", fl);
        ADD(V_FLOOR, r,
            .fc = {.ns = ns,
                   .mounts = true,
                   .hostname = true,
                   .default_filter = true,
                   .pid1_fork = true});
        /* what the default deny list costs (the same profile without it: RestrictNamespaces=
         * keeps a filter), and what any filter does (neither: no seccomp at all) */
        r = SPAWN_ROW("corral_default_nodeny", "  corral: default without the deny list", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_nodeny));
        r = SPAWN_ROW("corral_default_nofilter", "  corral: default without any filter", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_nofilter));
        /* Not part of the floor's isolation: what the shim's setsid() costs. With autogroups
         * each new session is a scheduling group of its own (HACKING.md "Benchmarks"). */
        r = SPAWN_ROW("floor_default_setsid", "  floor: default isolation + setsid in PID 1", fl);
        ADD(V_FLOOR, r, .fc = {.ns = ns, .mounts = true, .hostname = true, .setsid = true});

        fl = SPAWN_ROW("floor_seccomp", "floor: default isolation + seccomp", NULL);
        ADD(V_FLOOR, fl, .fc = {.ns = ns, .mounts = true, .hostname = true, .seccomp = true});
        r = SPAWN_ROW("corral_seccomp", "corral: default + @system-service filter", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_sec));

        fl = SPAWN_ROW("floor_limits", "floor: default isolation + limits", NULL);
        {
                struct row *mig = row_new("floor_limits_v1_migration", "spawn",
                                          "  of which v1 migration (cgroup.procs writes)",
                                          "migrate_us", NULL, NULL);

                ADD(V_FLOOR, fl,
                    .fc = {.ns = ns, .mounts = true, .hostname = true, .limits = lim_mask},
                    .mig = mig);
        }
        r = SPAWN_ROW("corral_limits", "corral: default + MemoryMax TasksMax CPUQuota", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_lim));

        fl = SPAWN_ROW("floor_netns", "floor: default isolation + net ns, lo up", NULL);
        ADD(V_FLOOR, fl,
            .fc = {.ns = ns | CLONE_NEWNET, .mounts = true, .hostname = true, .loopback = true});
        r = SPAWN_ROW("corral_netns", "corral: default + PrivateNetwork=actor", fl);
        ADD(V_CORRAL, r, .sup = sup_open(&prof_net));
        if (!private_network_works(v[nv - 1].sup, r->na, sizeof r->na))
                vlog("private network: %s\n", r->na);
#undef ADD
#undef SPAWN_ROW

        for (int i = 0; i < nv; i++) {
                variant_init(&v[i]);
                if (!listed(cfg.match, v[i].row->key, true) && !v[i].row->na[0]) {
                        snprintf(v[i].row->na, sizeof v[i].row->na, "not run (--match)");
                        /* and the rows it feeds, which would otherwise read as failed */
                        if (v[i].mig)
                                snprintf(v[i].mig->na, sizeof v[i].mig->na, "not run (--match)");
                        if (v[i].tput)
                                snprintf(v[i].tput->na, sizeof v[i].tput->na, "not run (--match)");
                }
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
                        int64_t t0 = now_us();
                        int k, fails = x->row->failures;

                        for (k = 0; k < cfg.batch && !stop; k++)
                                if (run_variant(x, true) < 0)
                                        break;
                        /* throughput: the batch back to back, as a rate */
                        if (x->tput && k == cfg.batch && x->row->failures == fails)
                                add_sample(&x->tput->m[M_A],
                                           (double)k * 1e6 / (double)(now_us() - t0));
                }
        }
        for (int i = 0; i < nv; i++) {
                variant_fini(&v[i]);
                if (v[i].sup)
                        sup_close(v[i].sup);
        }
}
