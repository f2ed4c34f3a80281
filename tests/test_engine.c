/* Privileged tests of the supervisor engine through its API (spawner/supervisor.h), as a
 * consumer other than corral run uses it: many spawns in flight at once, each matched to its
 * reply, each started and ended exactly once, and nothing left when it closes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "../ns/timeutil.h"
#include "../policy/policy.h"
#include "../spawner/supervisor.h"
#include "harness.h"

#define NSPAWN 50

struct counts {
        int started[NSPAWN + 2], exited[NSPAWN + 2], exit_code[NSPAWN + 2];
        int other_errors;
};

static void count(struct corral_sup *s, const struct corral_event *e, void *ctx)
{
        struct counts *c = ctx;

        (void)s;
        if (e->actor_id > NSPAWN) {
                c->other_errors++;
                return;
        }
        if (e->type == CORRAL_EV_STARTED)
                c->started[e->actor_id]++;
        else if (e->type == CORRAL_EV_EXITED) {
                c->exited[e->actor_id]++;
                c->exit_code[e->actor_id] = e->u.exited.exit_code;
        } else if (e->type == CORRAL_EV_SPAWN_FAILED || e->type == CORRAL_EV_ERROR)
                c->other_errors++;
}

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        while (d && (de = readdir(d)))
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n - 1; /* the directory's own fd */
}

/* The parent of a process, from /proc/PID/stat. */
static pid_t ppid_of(pid_t pid)
{
        char path[64], buf[512];
        const char *p;
        int ppid = -1;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        p = fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
        fclose(f);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(sscanf(p + 2, "%*c %d", &ppid), 1);
        return (pid_t)ppid;
}

/* on_demand: no zygote at open; the first spawn is cloned by the supervisor itself (landed
 * when corral_sup_spawn returns: no request in flight), the zygote is forked at the second
 * and takes the other 49, queued as with one forked at open. */
static void fifty_spawns(bool on_demand)
{
        static struct counts c;
        struct profile prof;
        struct corral_sup *s;
        struct corral_tree_info ti;
        struct cerr err = {0};
        char name[64], ebuf[CERR_MSG_MAX + 64], big[9000];
        char actor[PATH_MAX];
        char *argv[] = {actor, "exit", "7", NULL};
        uint32_t ids[NSPAWN];
        int fds_before = count_fds(), done = 0;
        int64_t deadline;
        struct corral_sup_options o = {.nprofiles = 1, .out_fd = -1, .err_fd = -1};

        snprintf(actor, sizeof actor, "%s", th_actor());
        snprintf(name, sizeof name, "%s", th_tree_name("engine50"));
        profile_default(&prof, "default");
        /* a large environment: 50 requests overflow the zygote's socket, so some must wait */
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        memcpy(big, "BIG=", 4);
        ck_assert_int_eq(strlist_add(&prof.environment, big, &err), 0);
        o.tree_name = name;
        o.profiles = &prof;
        o.on_event = count;
        o.event_ctx = &c;
        o.zygote_on_demand = on_demand;
        memset(&c, 0, sizeof c);
        if (corral_sup_open(&s, &o, &err) < 0)
                ck_abort_msg("open: %s", cerr_str(&err, ebuf, sizeof ebuf));
        corral_sup_tree(s, &ti);
        ck_assert_msg(on_demand ? ti.zygote <= 0 : ti.zygote > 0, "zygote %d", (int)ti.zygote);
        for (int i = 0; i < NSPAWN; i++) {
                struct corral_spawn req = {.name = "w", .argv = argv};
                struct corral_actor_info info;

                if (corral_sup_spawn(s, &req, &ids[i], &err) < 0)
                        ck_abort_msg("spawn %d: %s", i, cerr_str(&err, ebuf, sizeof ebuf));
                if (i > 0 || !on_demand)
                        continue;
                /* cloned here: its shim is our child already, and still no zygote */
                corral_sup_tree(s, &ti);
                ck_assert_int_le(ti.zygote, 0);
                ck_assert_int_eq(ti.in_flight, 0);
                ck_assert_int_eq(corral_sup_actor(s, ids[0], &info), 0);
                ck_assert_int_gt(info.pid, 0);
                ck_assert_int_eq(ppid_of(info.pid), getpid());
        }
        /* no reply handled yet: all 50 in flight (49 with the first cloned here), and the
         * socket could not take them all */
        corral_sup_tree(s, &ti);
        ck_assert_int_gt(ti.zygote, 0);
        ck_assert_int_eq(ti.in_flight, on_demand ? NSPAWN - 1 : NSPAWN);
        ck_assert_msg(ti.queued > 0, "no request had to wait (queued %d)", ti.queued);
        deadline = mono_ms() + th_ms(30000);
        while (done < NSPAWN && mono_ms() < deadline) {
                ck_assert_int_ge(corral_sup_dispatch(s, 100, &err), 0);
                done = 0;
                for (int i = 0; i < NSPAWN; i++) {
                        struct corral_actor_info info;

                        ck_assert_int_eq(corral_sup_actor(s, ids[i], &info), 0);
                        done += info.ended && info.node_removed;
                }
        }
        ck_assert_int_eq(done, NSPAWN);
        corral_sup_tree(s, &ti);
        ck_assert_int_eq(ti.in_flight, 0);
        ck_assert_int_eq(ti.queued, 0);
        for (int i = 0; i < NSPAWN; i++) {
                ck_assert_msg(c.started[ids[i]] == 1 && c.exited[ids[i]] == 1,
                              "actor %u: started %d times, exited %d times", ids[i],
                              c.started[ids[i]], c.exited[ids[i]]);
                ck_assert_int_eq(c.exit_code[ids[i]], 7);
        }
        ck_assert_int_eq(c.other_errors, 0);
        /* an ended actor's node went when it ended: the tree holds none */
        th_assert_layout();
        /* and its record goes when its consumer is done with it, once */
        for (int i = 0; i < NSPAWN; i++) {
                struct corral_actor_info info;

                ck_assert_int_eq(corral_sup_release(s, ids[i]), 0);
                ck_assert_int_lt(corral_sup_actor(s, ids[i], &info), 0);
                ck_assert_int_lt(corral_sup_release(s, ids[i]), 0);
        }
        corral_sup_close(s);
        profile_free(&prof);
        th_assert_tree_gone(name);
        ck_assert_int_eq(count_fds(), fds_before);
}

START_TEST(fifty_spawns_in_flight_each_started_and_ended_once)
{
        fifty_spawns(false);
}
END_TEST

START_TEST(zygote_on_demand_first_spawn_cloned_here_then_fifty)
{
        fifty_spawns(true);
}
END_TEST

/* ---- the event queue: bounded, never blocking, losses counted and said ---- */

struct flood {
        char chunk[256 * 1024];
        int refused;    /* records the queue did not take */
        long long lost; /* what the events-lost record said */
        int lost_records;
};

/* Each event as a 256 KiB line: the stderr queue (1 MiB) fills after a few. */
static void flood_sink(struct corral_sup *s, const struct corral_event *e, void *ctx)
{
        struct flood *f = ctx;

        if (e->type == CORRAL_EV_EVENTS_LOST) {
                f->lost += (long long)e->u.events_lost.count;
                f->lost_records++;
                return;
        }
        if (corral_sup_write_events(s, f->chunk, sizeof f->chunk) < 0)
                f->refused++;
}

START_TEST(full_event_queue_pauses_and_says_what_it_lost)
{
        static struct flood f;
        struct profile prof;
        struct corral_sup *s;
        struct corral_tree_info ti;
        struct cerr err = {0};
        char name[64], ebuf[CERR_MSG_MAX + 64], actor[PATH_MAX];
        char *argv[] = {actor, "exit", "0", NULL};
        struct corral_spawn req = {.name = "e", .argv = argv};
        struct corral_sup_options o = {.nprofiles = 1, .out_fd = -1};
        uint32_t id;
        int p[2], ended = 0, spawned = 0;
        int64_t deadline;
        size_t got = 0;

        memset(&f, 0, sizeof f);
        memset(f.chunk, 'e', sizeof f.chunk - 1);
        f.chunk[sizeof f.chunk - 1] = '\n';
        snprintf(actor, sizeof actor, "%s", th_actor());
        snprintf(name, sizeof name, "%s", th_tree_name("evqueue"));
        profile_default(&prof, "default");
        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0); /* stderr nobody reads yet */
        o.tree_name = name;
        o.profiles = &prof;
        o.err_fd = p[1];
        o.on_event = flood_sink;
        o.event_ctx = &f;
        if (corral_sup_open(&s, &o, &err) < 0)
                ck_abort_msg("open: %s", cerr_str(&err, ebuf, sizeof ebuf));
        /* ten actors at once; their records flood the queue nobody reads */
        deadline = mono_ms() + th_ms(30000);
        for (; spawned < 10; spawned++)
                ck_assert_int_eq(corral_sup_spawn(s, &req, &id, &err), 0);
        /* they still end (timers and reaping go on), and the records that find the queue
         * full are counted as lost */
        while (ended < spawned && mono_ms() < deadline) {
                corral_sup_dispatch(s, 50, &err);
                ended = 0;
                for (uint32_t i = 1; i <= (uint32_t)spawned; i++) {
                        struct corral_actor_info info;

                        if (corral_sup_actor(s, i, &info) == 0)
                                ended += info.ended;
                }
        }
        ck_assert_int_eq(ended, spawned);
        ck_assert_int_gt(f.refused, 0);
        ck_assert_int_eq(f.lost_records, 0);
        /* past its data mark, the queue takes no spawn */
        ck_assert_int_lt(corral_sup_spawn(s, &req, &id, &err), 0);
        ck_assert_msg(err.errnum == EAGAIN, "spawn: %s", cerr_str(&err, ebuf, sizeof ebuf));
        /* the reader starts: the queue drains without a blocking write, and one record
         * says how many were lost */
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        while (f.lost_records == 0 && mono_ms() < deadline) {
                char buf[65536];
                ssize_t n;

                corral_sup_dispatch(s, 10, &err);
                while ((n = read(p[0], buf, sizeof buf)) > 0)
                        got += (size_t)n;
        }
        ck_assert_int_eq(f.lost_records, 1);
        ck_assert_int_eq(f.lost, f.refused);
        ck_assert_msg(got > 0, "the queued records never reached the reader");
        /* and spawns are taken again */
        ck_assert_int_eq(corral_sup_spawn(s, &req, &id, &err), 0);
        spawned++;
        ended = 0;
        while (ended < spawned && mono_ms() < deadline) {
                char buf[65536];

                corral_sup_dispatch(s, 10, &err);
                while (read(p[0], buf, sizeof buf) > 0)
                        ;
                ended = 0;
                for (uint32_t i = 1; i <= (uint32_t)spawned; i++) {
                        struct corral_actor_info info;

                        if (corral_sup_actor(s, i, &info) == 0)
                                ended += info.ended && info.node_removed;
                }
        }
        ck_assert_int_eq(ended, spawned);
        corral_sup_tree(s, &ti);
        ck_assert_int_eq(ti.in_flight, 0);
        corral_sup_close(s);
        profile_free(&prof);
        close(p[0]);
        close(p[1]);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- an ended actor's cgroups go when it ends, not with the tree ---- */

/* Its v1 group of controller c: the tree's v1 group (<v1 own>/corral/<tree node's name>)
 * and the actor's node below the tree's node. */
static void v1_group_of(int c, const char *tree_node, const char *leaf, char *out, size_t len)
{
        size_t tl = strlen(tree_node), ll = strlen(leaf);

        ck_assert_msg(strncmp(leaf, tree_node, tl) == 0 && ll > tl + 5, "leaf %s", leaf);
        snprintf(out, len, "%s/corral/%s%.*s", th_host.ctrl[c].v1.own_dir,
                 strrchr(tree_node, '/') + 1, (int)(ll - tl - 5), leaf + tl); /* no "/self" */
}

START_TEST(an_ended_actors_cgroups_go_with_it)
{
        struct profile prof;
        struct corral_sup *s;
        struct corral_tree_info ti;
        struct corral_actor_info info;
        struct cerr err = {0};
        char name[64], ebuf[CERR_MSG_MAX + 64], actor[PATH_MAX], tree_node[PATH_MAX];
        char groups[CG_NCTRL][PATH_MAX] = {{0}};
        char *argv[] = {actor, "sleep", "0.3", NULL};
        struct corral_spawn req = {.name = "v", .argv = argv};
        struct corral_sup_options o = {.nprofiles = 1, .out_fd = -1, .err_fd = -1};
        int64_t deadline;
        uint32_t id;
        char node[PATH_MAX];

        profile_default(&prof, "default");
        ck_assert_int_eq(profile_set_key(&prof, "TasksMax", "16", &err), 0);
        ck_assert_int_eq(profile_set_key(&prof, "MemoryMax", "256M", &err), 0);
        ck_assert_int_eq(profile_set_key(&prof, "CPUQuota", "50%", &err), 0);
        snprintf(actor, sizeof actor, "%s", th_actor());
        snprintf(name, sizeof name, "%s", th_tree_name("v1gone"));
        o.tree_name = name;
        o.profiles = &prof;
        if (corral_sup_open(&s, &o, &err) < 0)
                ck_abort_msg("open: %s", cerr_str(&err, ebuf, sizeof ebuf));
        corral_sup_tree(s, &ti);
        snprintf(tree_node, sizeof tree_node, "%s", ti.node);
        ck_assert_int_eq(corral_sup_spawn(s, &req, &id, &err), 0);
        deadline = mono_ms() + th_ms(10000);
        do {
                ck_assert_int_ge(corral_sup_dispatch(s, 20, &err), 0);
                ck_assert_int_eq(corral_sup_actor(s, id, &info), 0);
        } while (!info.t_started && !info.ended && mono_ms() < deadline);
        ck_assert_msg(info.t_started && info.leaf, "the actor did not start");
        snprintf(node, sizeof node, "%.*s", (int)(strlen(info.leaf) - 5), info.leaf);
        /* control: while it runs, it has its node, and a group in every v1 hierarchy its
         * limits use (a hybrid host; on pure v2 its limits live in the node) */
        ck_assert_msg(access(node, F_OK) == 0, "no node %s while it runs", node);
        for (int c = 0; c < CG_NCTRL; c++) {
                if ((c != CG_MEMORY && c != CG_PIDS && c != CG_CPU) ||
                    th_host.ctrl[c].src != CG_SRC_V1 || !th_host.ctrl[c].v1.own_dir[0])
                        continue;
                v1_group_of(c, tree_node, info.leaf, groups[c], sizeof groups[c]);
                ck_assert_msg(access(groups[c], F_OK) == 0, "no v1 %s group %s while it runs",
                              cg_ctrl_name(c), groups[c]);
        }
        do {
                ck_assert_int_ge(corral_sup_dispatch(s, 20, &err), 0);
                ck_assert_int_eq(corral_sup_actor(s, id, &info), 0);
        } while (!(info.ended && info.node_removed) && mono_ms() < deadline);
        ck_assert_msg(info.ended && info.node_removed, "the actor did not end");
        /* the tree lives on (a long-lived engine spawns for hours): its groups must not */
        ck_assert_msg(access(tree_node, F_OK) == 0, "the tree's node is gone already");
        ck_assert_msg(access(node, F_OK) < 0, "the ended actor's node %s is still there", node);
        for (int c = 0; c < CG_NCTRL; c++)
                ck_assert_msg(!groups[c][0] || access(groups[c], F_OK) < 0,
                              "the ended actor's v1 %s group %s is still there", cg_ctrl_name(c),
                              groups[c]);
        corral_sup_close(s);
        profile_free(&prof);
        th_assert_tree_gone(name);
}
END_TEST

/* One actor of s, run to its end; its info. While its program runs (it stays a while):
 * held[] gets its shim's network and IPC namespaces (the actor's), and the shim's fds are
 * checked: none of the zygote's spares or its handles on the host's namespaces. */
static void run_one(struct corral_sup *s, char **argv, const char *profile,
                    struct corral_actor_info *info, int held[2])
{
        struct corral_spawn req = {.name = "ns", .argv = argv, .profile = profile};
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64], path[64];
        int64_t deadline = mono_ms() + th_ms(10000);
        uint32_t id;

        if (corral_sup_spawn(s, &req, &id, &err) < 0)
                ck_abort_msg("spawn: %s", cerr_str(&err, ebuf, sizeof ebuf));
        do {
                ck_assert_int_ge(corral_sup_dispatch(s, 20, &err), 0);
                ck_assert_int_eq(corral_sup_actor(s, id, info), 0);
        } while (!info->t_started && !info->ended && mono_ms() < deadline);
        ck_assert_msg(info->t_started && info->pid > 0, "the actor did not start: %s",
                      info->spawn_error);
        for (int k = 0; k < 2; k++) {
                snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)info->pid, k ? "ipc" : "net");
                held[k] = open(path, O_RDONLY | O_CLOEXEC);
                ck_assert_msg(held[k] >= 0, "%s: %s", path, strerror(errno));
        }
        th_assert_shim_fds(info->pid);
        do {
                ck_assert_int_ge(corral_sup_dispatch(s, 20, &err), 0);
                ck_assert_int_eq(corral_sup_actor(s, id, info), 0);
        } while (!(info->ended && info->node_removed) && mono_ms() < deadline);
        ck_assert_msg(info->ended && info->node_removed, "the actor did not end");
        ck_assert_int_eq(info->exit_code, 0);
        ck_assert_int_eq(corral_sup_release(s, id), 0);
}

/* "net:[4026532447]" of a namespace fd */
static void ns_name(int fd, const char *kind, char *out, size_t len)
{
        struct stat st;

        ck_assert_int_eq(fstat(fd, &st), 0);
        snprintf(out, len, "%s:[%lu]", kind, (unsigned long)st.st_ino);
}

#define NS_ACTORS 5

/* The zygote makes a network and an IPC namespace ahead for the next actor that asks for
 * them (ns/spare_ns.h). Each actor must still get namespaces of its own, never the host's
 * nor another actor's, with lo up; its shim must hold no spare; and a profile with a user
 * namespace must not get one (its namespaces belong to its own user namespace). Every
 * actor's namespaces are held open to the end: a freed namespace's number is given out
 * again, and two numbers compared must name two namespaces alive at once. */
START_TEST(namespaces_made_ahead_are_fresh_and_used_once)
{
        static const char *const kinds[2] = {"net", "ipc"};
        struct profile prof[2];
        struct corral_sup *s;
        struct corral_actor_info info;
        struct cerr err = {0};
        char name[64], ebuf[CERR_MSG_MAX + 64], actor[PATH_MAX],
            outpath[] = "/tmp/corral-ns-XXXXXX";
        char *fresh[] = {actor, "try", "fresh-ns", "300", NULL};
        char text[4096], host[2][64], names[NS_ACTORS][2][64];
        struct corral_sup_options o = {.nprofiles = 2, .err_fd = -1};
        int fds_before = count_fds(), nseen = 0, out, held[NS_ACTORS][2];
        unsigned want = CORRAL_SPARE_NET | CORRAL_SPARE_IPC;
        FILE *f;

        for (int i = 0; i < 2; i++) {
                profile_default(&prof[i], i ? "users" : "default");
                ck_assert_int_eq(profile_set_key(&prof[i], "PrivateNetwork", "actor", &err), 0);
        }
        ck_assert_int_eq(profile_set_key(&prof[1], "PrivateUsers", "yes", &err), 0);
        for (int k = 0; k < 2; k++) {
                char path[64];
                int fd;

                snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[k]);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                ck_assert_int_ge(fd, 0);
                ns_name(fd, kinds[k], host[k], sizeof host[k]);
                close(fd);
        }
        out = mkstemp(outpath);
        ck_assert_int_ge(out, 0);
        unlink(outpath);
        snprintf(actor, sizeof actor, "%s", th_actor());
        snprintf(name, sizeof name, "%s", th_tree_name("spares"));
        o.tree_name = name;
        o.profiles = prof;
        o.out_fd = out;
        if (corral_sup_open(&s, &o, &err) < 0)
                ck_abort_msg("open: %s", cerr_str(&err, ebuf, sizeof ebuf));
        for (int i = 0; i < NS_ACTORS; i++) {
                /* the first asks before any was made: its clone makes its own; the next ones
                 * find them made (the zygote was idle in between); the last has a user
                 * namespace of its own: no spare */
                bool users = i == NS_ACTORS - 1;

                /* (run_one: its shim holds what any shim holds, no namespace: not the spare
                 * it was born in, not the next one, not the host's) */
                run_one(s, fresh, users ? "users" : "default", &info, held[i]);
                ck_assert_msg(info.spare_ns == (i == 0 || users ? 0 : want),
                              "actor %d: spare_ns %u", i, info.spare_ns);
                for (int k = 0; k < 2; k++)
                        ns_name(held[i][k], kinds[k], names[i][k], sizeof names[i][k]);
        }
        corral_sup_close(s);
        for (int i = 0; i < 2; i++)
                profile_free(&prof[i]);
        th_assert_tree_gone(name);

        /* each its own (alive at once, held here), none the host's; and each actor saw the
         * one held for it; lo up in each */
        for (int i = 0; i < NS_ACTORS; i++) {
                for (int k = 0; k < 2; k++) {
                        ck_assert_msg(strcmp(names[i][k], host[k]) != 0, "actor %d: the host's %s",
                                      i, host[k]);
                        for (int j = 0; j < i; j++)
                                ck_assert_msg(strcmp(names[i][k], names[j][k]) != 0,
                                              "actors %d and %d share %s", j, i, names[i][k]);
                }
        }
        lseek(out, 0, SEEK_SET);
        f = fdopen(out, "r");
        ck_assert_ptr_nonnull(f);
        while (fgets(text, sizeof text, f)) {
                char seen[2][64], loop[16];

                ck_assert_msg(nseen < NS_ACTORS, "too many lines: %s", text);
                ck_assert_msg(
                    sscanf(text, "fresh-ns %63s %63s loopback %15s", seen[0], seen[1], loop) == 3,
                    "%s", text);
                ck_assert_msg(strcmp(loop, "ok") == 0, "lo: %s", text);
                for (int k = 0; k < 2; k++)
                        ck_assert_msg(strcmp(seen[k], names[nseen][k]) == 0,
                                      "actor %d saw %s, its shim is in %s", nseen, seen[k],
                                      names[nseen][k]);
                nseen++;
        }
        fclose(f);
        ck_assert_int_eq(nseen, NS_ACTORS);
        for (int i = 0; i < NS_ACTORS; i++)
                for (int k = 0; k < 2; k++)
                        close(held[i][k]);
        ck_assert_int_eq(count_fds(), fds_before);
}
END_TEST

static Suite *engine_suite(void)
{
        Suite *s = suite_create("spawner-engine-privileged");
        TCase *tc = tcase_create("engine");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, fifty_spawns_in_flight_each_started_and_ended_once);
        tcase_add_test(tc, zygote_on_demand_first_spawn_cloned_here_then_fifty);
        tcase_add_test(tc, full_event_queue_pauses_and_says_what_it_lost);
        tcase_add_test(tc, an_ended_actors_cgroups_go_with_it);
        tcase_add_test(tc, namespaces_made_ahead_are_fresh_and_used_once);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {engine_suite};

        return th_run("test_engine", TH_PRIVILEGED, suites, 1);
}
