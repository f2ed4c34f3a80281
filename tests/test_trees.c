/* Privileged tests of actor trees (DESIGN §6-§8, PROTOCOL.md): actors ask their supervisor for
 * children over their control channels (the test actor's tree.c modes, through corral.h),
 * each child is a sandboxed actor whose node nests inside its parent's, every end reaches
 * the parent as CHILD_EXITED, and the profile's tree limits hold. Every test ends with the
 * leak check. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness.h"
#include "output_support.h"

static char name[64];
static char actor[PATH_MAX]; /* th_actor(), kept: the harness reuses its buffer */
static char policy[PATH_MAX];

static void write_policy(const char *text)
{
        ot_write_policy(policy, sizeof policy, "trees", text);
}

/* Every started actor's node is inside its parent's node (read from the events; the nodes
 * themselves were seen by the kernel: the program ran in them). Returns the actors seen. */
static int assert_nested(const char *events)
{
        static char nodes[256][PATH_MAX];
        static int parents[256];
        int seen = 0;

        memset(parents, 0, sizeof parents);
        for (int i = 0; i < 256; i++)
                nodes[i][0] = '\0';
        for (const char *p = events; (p = strstr(p, "\"event\":\"started\""));) {
                const char *bol = p, *eol = strchr(p, '\n');
                char line[2048], id[16], parent[16];
                size_t len;

                while (bol > events && bol[-1] != '\n')
                        bol--;
                len = eol ? (size_t)(eol - bol) : strlen(bol);
                snprintf(line, sizeof line, "%.*s", (int)len, bol);
                ot_json_field(line, "id", id, sizeof id);
                ot_json_field(line, "parent", parent, sizeof parent);
                ck_assert_int_lt(atoi(id), 256);
                ot_json_field(line, "node", nodes[atoi(id)], sizeof nodes[0]);
                parents[atoi(id)] = atoi(parent);
                seen++;
                p += 10;
        }
        for (int i = 1; i < 256; i++) {
                char dir[PATH_MAX];
                char *self;

                if (!nodes[i][0] || !parents[i])
                        continue;
                ck_assert_msg(nodes[parents[i]][0], "actor %d: its parent %d never started", i,
                              parents[i]);
                snprintf(dir, sizeof dir, "%s", nodes[parents[i]]);
                self = strrchr(dir, '/'); /* the parent's node: its self/ leaf's parent */
                ck_assert_ptr_nonnull(self);
                *self = '\0';
                ck_assert_msg(strncmp(nodes[i], dir, strlen(dir)) == 0 &&
                                  nodes[i][strlen(dir)] == '/',
                              "actor %d's node %s is not inside its parent's %s", i, nodes[i], dir);
        }
        return seen;
}

static void nested_shape(int depth, int actors)
{
        char lvl[16];
        const char *prog[] = {"tree", lvl, NULL};
        struct th_proc p;
        int leaves = (actors + 2) / 2, spawners = actors - leaves;

        snprintf(lvl, sizeof lvl, "%d", depth);
        th_run_actor(&p, name, "shape", NULL, prog, NULL, NULL);
        /* a leaf's failure makes its spawner fail, and so on up: the root exits 1 */
        ck_assert_int_eq(th_corral_wait(&p, 60000), 1);
        ck_assert_int_eq(assert_nested(p.errbuf), actors + 1);
        ck_assert_int_eq(th_event_count(&p, "exited", NULL, NULL), actors + 1);
        /* every end reached its parent, with its reason and status: the leaves' exit 3 (one
         * of each pair before it ever said HELLO), the spawners' exit 1 */
        ck_assert_msg(ot_count_lines(p.outbuf, "child ", " exited 3", NULL) == leaves, "out:\n%s",
                      p.outbuf);
        ck_assert_msg(ot_count_lines(p.outbuf, "child ", " exited 1", NULL) == spawners, "out:\n%s",
                      p.outbuf);
        ck_assert_int_eq(ot_count_lines(p.outbuf, "spawned ", NULL, NULL), actors);
        ck_assert_int_eq(ot_count_lines(p.outbuf, "only ", " children ended", NULL), 0);
        th_assert_tree_gone(name);
}

START_TEST(nested_failures_reach_parents_depth_1)
{
        nested_shape(1, 14);
}
END_TEST

START_TEST(nested_failures_reach_parents_depth_3)
{
        nested_shape(3, 62);
}
END_TEST

START_TEST(child_exiting_before_hello_is_reported_at_once)
{
        const char *prog[] = {"spawn", "-", "1", actor, "exit", "3", NULL};
        struct th_proc p;
        const char *spawned, *exited;

        snprintf(actor, sizeof actor, "%s", th_actor());
        th_run_actor(&p, name, "nohello", NULL, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        spawned = strstr(p.outbuf, "spawned c0 2\n");
        exited = strstr(p.outbuf, "child 2 exited 3\n");
        ck_assert_msg(spawned && exited && spawned < exited, "out:\n%s", p.outbuf);
        th_assert_tree_gone(name);
}
END_TEST

/* A parent cancels its children (CANCEL_CHILD): a cascade on each child's node, each end
 * reported to the parent. (A runtime doing so when it is itself cancelled: test_cancel.) */
START_TEST(cancel_child_ends_each_childs_subtree)
{
        const char *prog[] = {"coop", "now", NULL};
        struct th_proc p;

        th_run_actor(&p, name, "coop", NULL, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "cancelled 2"), "out:\n%s", p.outbuf);
        ck_assert_int_eq(th_event_count(&p, "cascade", "why", "CANCEL_CHILD from its parent"), 2);
        ck_assert_int_eq(th_event_count(&p, "exited", "reason", "interrupted (signaled SIGINT)"),
                         2);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(control_channel_cannot_be_passed_to_a_child)
{
        const char *prog[] = {"pass-ctl", NULL};
        struct th_proc p;

        th_run_actor(&p, name, "passctl", NULL, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(
            ot_count_lines(p.outbuf, "error EPERM", "control channel cannot be passed", NULL) == 1,
            "out:\n%s", p.outbuf);
        ck_assert_int_eq(th_event_count(&p, "started", NULL, NULL), 1); /* the root alone */
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(control_channel_is_fd_3_after_passed_fds_and_taken)
{
        const char *prog[] = {"ctl-fd", NULL};
        struct th_proc p;
        char want[128];

        th_run_actor(&p, name, "ctlfd", NULL, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "CORRAL_CTL_FD=3"), "out:\n%s", p.outbuf);
        ck_assert(th_has_line(p.outbuf, "CORRAL_ACTOR_ID=1"));
        snprintf(want, sizeof want, "CORRAL_TREE=%s", name);
        ck_assert(th_has_line(p.outbuf, want));
        /* the client took it: CLOEXEC, and the variable gone for what the actor execs */
        ck_assert_msg(th_has_line(p.outbuf, "opened fd 3, CORRAL_CTL_FD gone"), "out:\n%s",
                      p.outbuf);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(max_children_and_spawn_profiles_refused_with_the_key)
{
        const char *four[] = {"spawn", "-", "4", actor, "sleep", "0.5", NULL};
        const char *other[] = {"spawn", "other", "1", actor, "exit", "0", NULL};
        const char *extra[] = {"-p", policy, "--profile", "parent", NULL};
        struct th_proc p;

        snprintf(actor, sizeof actor, "%s", th_actor());
        write_policy("[profile parent]\nMaxChildren = 3\n\n[profile other]\n");
        th_run_actor(&p, name, "maxchildren", extra, four, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(ot_count_lines(p.outbuf, "spawned c", NULL, NULL) == 3, "out:\n%s", p.outbuf);
        ck_assert_msg(ot_count_lines(p.outbuf, "error EMLINK", "MaxChildren=3", NULL) == 1,
                      "out:\n%s", p.outbuf);
        th_assert_tree_gone(name);
        /* an empty SpawnProfiles= means the parent's own profile only */
        th_run_actor(&p, name, "spawnprofiles", extra, other, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(ot_count_lines(p.outbuf, "error EPERM", "not in SpawnProfiles=", NULL) == 1,
                      "out:\n%s", p.outbuf);
        ck_assert_int_eq(ot_count_lines(p.outbuf, "spawned c", NULL, NULL), 0);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

/* Never looser than the parent (policy/nesting.h): a parent with MemoryMax=64M, an empty
 * bounding set, PrivateNetwork=actor and ProtectSystem=strict asks for six profiles, each
 * looser in one key: every SPAWN is refused (EPERM) naming the key and both values, and nothing
 * starts; run warned of each at the start, as `policy check` does. The same requests from
 * parents that have those rights spawn and run (the control), with no warning: one with more
 * memory, CAP_NET_RAW, the host's network, ProtectSystem=full and a longer TimeoutKillSec;
 * one with PrivateUsers=yes, whose CAP_NET_RAW (its user namespace's) a child in the host's
 * user namespace does not get. */
START_TEST(spawn_never_looser_than_the_parent)
{
        static const struct {
                const char *profile, *key, *child, *parent;
        } looser[] = {
            {"mem", "MemoryMax", "MemoryMax=128M", "MemoryMax=64M"},
            {"cap", "CapabilityBoundingSet", "CapabilityBoundingSet=CAP_NET_RAW",
             "CapabilityBoundingSet= (empty)"},
            {"net", "PrivateNetwork", "PrivateNetwork=no", "PrivateNetwork=actor"},
            {"fs", "ProtectSystem", "ProtectSystem=full", "ProtectSystem=strict"},
            {"users", "PrivateUsers", "PrivateUsers=yes", "(it has no)"},
            {"kill", "TimeoutKillSec", "TimeoutKillSec=30s", "TimeoutKillSec=10s"},
        };
        const char *prog[] = {"spawn-each", "mem,cap,net,fs,users,kill", actor, "exit", "0", NULL};
        const char *prog_rights[] = {"spawn-each", "mem,cap,net,fs,kill", actor, "exit", "0", NULL};
        const char *prog_userns[] = {"spawn-each", "users,cap", actor, "exit", "0", NULL};
        const char *strict[] = {"-p", policy, "--profile", "strict", NULL};
        const char *rights[] = {"-p", policy, "--profile", "rights", NULL};
        const char *userns[] = {"-p", policy, "--profile", "userns", NULL};
        struct th_proc p;

        snprintf(actor, sizeof actor, "%s", th_actor());
        /* each child as strict as "strict" but in its one key */
        write_policy("[profile strict]\nMemoryMax = 64M\nPrivateNetwork = actor\n"
                     "ProtectSystem = strict\nSpawnProfiles = mem cap net fs users kill\n\n"
                     "[profile rights]\nMemoryMax = 256M\nCapabilityBoundingSet = CAP_NET_RAW\n"
                     "PrivateNetwork = no\nProtectSystem = full\nTimeoutKillSec = 30s\n"
                     "SpawnProfiles = mem cap net fs kill\n\n"
                     "[profile userns]\nMemoryMax = 64M\nPrivateNetwork = actor\n"
                     "ProtectSystem = strict\nPrivateUsers = yes\n"
                     "CapabilityBoundingSet = CAP_NET_RAW\nSpawnProfiles = users cap\n\n"
                     "[profile mem]\nMemoryMax = 128M\nPrivateNetwork = actor\n"
                     "ProtectSystem = strict\n\n"
                     "[profile cap]\nCapabilityBoundingSet = CAP_NET_RAW\n"
                     "PrivateNetwork = actor\nProtectSystem = strict\n\n"
                     "[profile net]\nPrivateNetwork = no\nProtectSystem = strict\n\n"
                     "[profile fs]\nPrivateNetwork = actor\nProtectSystem = full\n\n"
                     "[profile users]\nPrivateUsers = yes\nPrivateNetwork = actor\n"
                     "ProtectSystem = strict\n\n"
                     "[profile kill]\nTimeoutKillSec = 30s\nPrivateNetwork = actor\n"
                     "ProtectSystem = strict\n");
        th_run_actor(&p, name, "looser", strict, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        for (size_t i = 0; i < sizeof looser / sizeof looser[0]; i++) {
                char who[96], warn[160];

                snprintf(who, sizeof who, "profile '%s' is looser than its parent's %s",
                         looser[i].profile, "profile 'strict': ");
                ck_assert_msg(
                    ot_count_lines(p.outbuf, "error EPERM SPAWN: ", who, looser[i].child) == 1 &&
                        ot_count_lines(p.outbuf, who, looser[i].parent, NULL) == 1,
                    "%s: out:\n%s", looser[i].key, p.outbuf);
                snprintf(warn, sizeof warn,
                         "SpawnProfiles=%s: every SPAWN of it is refused: ", looser[i].profile);
                ck_assert_msg(ot_count_lines(p.errbuf, "\"warning\"", warn, looser[i].child) == 1,
                              "%s: no warning at the start:\n%s", looser[i].key, p.errbuf);
        }
        ck_assert_msg(th_has_line(p.outbuf, "sent 6 spawned 0 errors 6 ended 0"), "out:\n%s",
                      p.outbuf);
        ck_assert_int_eq(th_event_count(&p, "started", NULL, NULL), 1); /* the parent alone */
        th_assert_tree_gone(name);
        /* the control: parents with those rights */
        th_run_actor(&p, name, "rights", rights, prog_rights, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "sent 5 spawned 5 errors 0 ended 5"), "out:\n%s\n%s",
                      p.outbuf, p.errbuf);
        ck_assert_int_eq(ot_count_lines(p.outbuf, "child ", " exited 0", NULL), 5);
        ck_assert_int_eq(th_event_count(&p, "started", NULL, NULL), 6);
        ck_assert_int_eq(ot_count_lines(p.errbuf, "\"warning\"", "SpawnProfiles=", NULL), 0);
        th_assert_tree_gone(name);
        th_run_actor(&p, name, "userns", userns, prog_userns, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "sent 2 spawned 1 errors 1 ended 1") &&
                          th_has_line(p.outbuf, "spawned users 2") &&
                          th_has_line(p.outbuf, "child 2 exited 0"),
                      "out:\n%s\n%s", p.outbuf, p.errbuf);
        ck_assert_msg(ot_count_lines(p.outbuf, "error EPERM SPAWN: profile 'cap'",
                                     "CapabilityBoundingSet=CAP_NET_RAW",
                                     "own user namespace's (PrivateUsers=yes)") == 1,
                      "out:\n%s", p.outbuf);
        ck_assert_int_eq(ot_count_lines(p.errbuf, "\"warning\"", "SpawnProfiles=", NULL), 1);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

START_TEST(parent_memory_limit_bounds_its_children)
{
        /* (each child holds its 48 MiB for 2 s: both are alive at once, whatever the spawn
         * pace of a slow build) */
        const char *prog[] = {"spawn", "child", "2", actor, "hog", "48", "2", NULL};
        const char *extra[] = {"-p", policy, "--profile", "parent", NULL};
        struct th_proc p;

        snprintf(actor, sizeof actor, "%s", th_actor());
        /* the children have no limit of their own: only the parent's node bounds them */
        write_policy("[profile parent]\nMemoryMax = 64M\nSpawnProfiles = child\n\n"
                     "[profile child]\n");
        th_run_actor(&p, name, "nestedoom", extra, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        ck_assert_msg(ot_count_lines(p.outbuf, "child ", " oom-killed 137", NULL) >= 1,
                      "out:\n%s\n%s", p.outbuf, p.errbuf);
        /* control: a child alone fits */
        ck_assert_int_eq(ot_count_lines(p.outbuf, "child ", NULL, NULL), 2);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

static int count_fds(pid_t pid)
{
        char path[64];
        struct dirent *de;
        DIR *d;
        int n = 0;

        snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
        d = opendir(path);
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

/* How many datagrams a unix socket's receive queue takes before the sender waits */
static int dgram_qlen(void)
{
        FILE *f = fopen("/proc/sys/net/unix/max_dgram_qlen", "re");
        int n = 10; /* the kernel's default */

        if (f) {
                if (fscanf(f, "%d", &n) != 1)
                        n = 10;
                fclose(f);
        }
        return n;
}

START_TEST(hostile_actor_loses_its_channel_and_nothing_else)
{
        const char *prog[] = {"hostile", "10000", "1000", NULL};
        struct th_proc p;
        int before, after, errors = 0, fds = 0, qlen = dgram_qlen();
        const char *line;

        th_run_actor(&p, name, "hostile", NULL, prog, NULL, NULL);
        ck_assert_msg(th_wait_for(&p, true, "welcomed\n", 10000), "out:\n%s", p.outbuf);
        before = count_fds(p.pid);
        ck_assert_msg(th_wait_for(&p, true, "hostile fds", 30000), "out:\n%s", p.outbuf);
        after = count_fds(p.pid);
        /* 1,000 unannounced fds were closed at once; only the channel's own end went */
        ck_assert_msg(after == before - 1, "the supervisor held %d fds, then %d", before, after);
        line = strstr(p.outbuf, "hostile fds");
        ck_assert_int_eq(sscanf(line, "hostile fds %d sent %*d errors %d", &fds, &errors), 2);
        ck_assert_int_eq(fds, 1000);
        /* an ERROR for each of 250 STATs of a child it does not have (one at a time), then
         * for the strikes: when the supervisor handles a burst of them before the actor reads
         * (one CPU), the actor's queue takes net.unix.max_dgram_qlen of them and the rest wait
         * in the supervisor's queue, which goes with the channel at the 16th */
        ck_assert_int_ge(errors, 250 + (qlen < 15 ? qlen : 15));
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_int_eq(th_event_count(&p, "channel-closed", NULL, NULL), 1);
        ck_assert_ptr_nonnull(strstr(p.errbuf, "16 malformed messages"));
        th_assert_tree_gone(name);
}
END_TEST

/* While a hostile actor floods its channel, its sibling's STATs are still answered at once. */
START_TEST(sibling_stat_answered_while_a_hostile_actor_floods)
{
        const char *prog[] = {"siblings", NULL};
        struct th_proc p;
        long long p99 = -1, max = -1;
        int n = 0;
        const char *line;

        th_run_actor(&p, name, "siblings", NULL, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 60000), 0);
        line = strstr(p.outbuf, "stat p99 ");
        ck_assert_msg(line, "out:\n%s", p.outbuf);
        ck_assert_int_eq(sscanf(line, "stat p99 %lld us max %lld us over %d", &p99, &max, &n), 3);
        ck_assert_msg(strstr(p.outbuf, "hostile fds 1000"), "out:\n%s", p.outbuf);
        ck_assert_int_eq(th_event_count(&p, "channel-closed", NULL, NULL), 1);
        ck_assert_int_gt(n, 100);
        /* p99 within 10 ms (times CORRAL_TEST_SLOWDOWN, but never past 100 ms) */
        ck_assert_msg(p99 <= (th_ms(10) < 100 ? th_ms(10) : 100) * 1000LL,
                      "STAT p99 %lld us (max %lld us) over %d", p99, max, n);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(twenty_five_failing_children_each_reported_once_after_spawned)
{
        const char *prog[] = {"spawn", "-", "25", actor, "exit", "3", NULL};
        struct th_proc p;

        snprintf(actor, sizeof actor, "%s", th_actor());
        th_run_actor(&p, name, "25fail", NULL, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        ck_assert_msg(ot_count_lines(p.outbuf, "spawned c", NULL, NULL) == 25, "out:\n%s",
                      p.outbuf);
        ck_assert_msg(ot_count_lines(p.outbuf, "child ", " exited 3", NULL) == 25, "out:\n%s",
                      p.outbuf);
        for (int id = 2; id <= 26; id++) {
                char sp[32], ex[32];
                const char *a, *b;

                snprintf(sp, sizeof sp, " %d\n", id);
                snprintf(ex, sizeof ex, "child %d exited 3\n", id);
                a = strstr(p.outbuf, "spawned c");
                while (a && !(strstr(a, sp) && strstr(a, sp) < strchr(a, '\n') + 1))
                        a = strstr(a + 1, "spawned c");
                b = strstr(p.outbuf, ex);
                ck_assert_msg(a && b && a < b, "actor %d: its SPAWNED does not come first:\n%s", id,
                              p.outbuf);
                ck_assert_ptr_null(strstr(b + 1, ex)); /* once */
        }
        th_assert_tree_gone(name);
}
END_TEST

static void nofile(void *ctx)
{
        const rlim_t *hard = ctx;
        struct rlimit rl = {1024, *hard};

        setrlimit(RLIMIT_NOFILE, &rl);
}

/* The supervisor raises its soft RLIMIT_NOFILE to the hard one; 600 actors (32 spawns
 * unanswered at a time) fit under 4096 and all end; under 1024 the first SPAWN that would
 * not fit is refused with EMFILE, and the tree still ends cleanly. */
struct spawn_tally {
        int sent, spawned, errors, ended;
};

/* `spawn-hold quiet 600 ACTOR sleep 120` under RLIMIT_NOFILE 1024:hard; what its last line
 * says. */
static void run_600(const char *what, rlim_t hard, struct spawn_tally *t, char *out, size_t len)
{
        /* all 600 alive at once, however slow the spawns (the VM tier), then cancelled */
        const char *prog[] = {"spawn-hold", "quiet", "600", actor, "sleep", "120", NULL};
        const char *extra[] = {"-p", policy, "--profile", "big", NULL};
        struct th_proc p;
        const char *line;

        th_run_actor(&p, name, what, extra, prog, nofile, &hard);
        ck_assert_int_eq(th_corral_wait(&p, 120000), 0);
        line = strstr(p.outbuf, "sent ");
        ck_assert_msg(line, "out:\n%s", p.outbuf);
        ck_assert_int_eq(sscanf(line, "sent %d spawned %d errors %d ended %d", &t->sent,
                                &t->spawned, &t->errors, &t->ended),
                         4);
        snprintf(out, len, "%s", p.outbuf);
        th_assert_tree_gone(name);
}

START_TEST(six_hundred_actors_and_emfile_when_they_cannot_fit)
{
        static char out[65536];
        struct spawn_tally t;

        snprintf(actor, sizeof actor, "%s", th_actor());
        /* (children without `log` pipes: 4 fds each in the supervisor, 5 once cancelled) */
        write_policy("[profile big]\nMaxChildren = 1000\nMaxActors = 1000\n"
                     "SpawnProfiles = quiet\n\n[profile quiet]\nStdout = null\nStderr = null\n");
        run_600("600", 4096, &t, out, sizeof out);
        ck_assert_msg(t.sent == 600 && t.spawned == 600 && t.errors == 0 && t.ended == 600,
                      "sent %d spawned %d errors %d ended %d", t.sent, t.spawned, t.errors,
                      t.ended);
        run_600("emfile", 1024, &t, out, sizeof out);
        /* (the spawner stops at the first ERROR; requests already sent may fail too) */
        ck_assert_msg(t.errors >= 1 && t.spawned > 50 && t.spawned + t.errors == t.sent &&
                          t.ended == t.spawned,
                      "sent %d spawned %d errors %d ended %d", t.sent, t.spawned, t.errors,
                      t.ended);
        ck_assert_msg(ot_count_lines(out, "error EMFILE", "open-file limit", NULL) == t.errors,
                      "every refusal names EMFILE:\n%s", out);
        unlink(policy);
}
END_TEST

static Suite *trees_suite(void)
{
        Suite *s = suite_create("corral-trees-privileged");
        TCase *tc = tcase_create("trees");

        tcase_set_timeout(tc, 180);
        tcase_add_test(tc, nested_failures_reach_parents_depth_1);
        tcase_add_test(tc, nested_failures_reach_parents_depth_3);
        tcase_add_test(tc, child_exiting_before_hello_is_reported_at_once);
        tcase_add_test(tc, control_channel_is_fd_3_after_passed_fds_and_taken);
        tcase_add_test(tc, control_channel_cannot_be_passed_to_a_child);
        tcase_add_test(tc, cancel_child_ends_each_childs_subtree);
        tcase_add_test(tc, max_children_and_spawn_profiles_refused_with_the_key);
        tcase_add_test(tc, spawn_never_looser_than_the_parent);
        tcase_add_test(tc, parent_memory_limit_bounds_its_children);
        tcase_add_test(tc, hostile_actor_loses_its_channel_and_nothing_else);
        tcase_add_test(tc, sibling_stat_answered_while_a_hostile_actor_floods);
        tcase_add_test(tc, twenty_five_failing_children_each_reported_once_after_spawned);
        tcase_add_test(tc, six_hundred_actors_and_emfile_when_they_cannot_fit);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {trees_suite};

        return th_run("test_trees", TH_PRIVILEGED, suites, 1);
}
