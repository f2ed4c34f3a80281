/* Privileged tests of the graceful cancel cascade over actor trees (DESIGN §6): stage 1 asks
 * a cooperative runtime to cancel itself, and it cancels its own children, each a nested
 * cascade on the child's own timeouts inside the enclosing one; what does not cooperate is
 * escalated on its own schedule; HOLD defers escalation within a budget; OnChildFailure= lets
 * the supervisor act at once; nothing outlives the cascade. Every test ends with the leak
 * check. The seeds' runtime, measured on this VM, took 3.3 s (depth 1) and 14 s (depth 3)
 * for the nested-error shape, and left actors listening after its deadline. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../ns/timeutil.h"
#include "../policy/policy.h"
#include "../spawner/supervisor.h"
#include "harness.h"
#include "output_support.h"

static char name[64];
static char actor[PATH_MAX]; /* th_actor(), kept: the harness reuses its buffer */
static char policy[PATH_MAX];

static void write_policy(const char *text)
{
        ot_write_policy(policy, sizeof policy, "cancel", text);
}

/* Walk the JSON event lines of p; fn sees each line (NUL-terminated copy). */
static void each_event(const struct th_proc *p, void (*fn)(const char *line, void *), void *ctx)
{
        for (const char *l = p->errbuf; l && *l;) {
                const char *eol = strchr(l, '\n');
                size_t n = eol ? (size_t)(eol - l) : strlen(l);
                char line[4096];

                snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1),
                         l);
                fn(line, ctx);
                l = eol ? eol + 1 : NULL;
        }
}

/* The reason of actor `id`'s exited event ("" when none). */
static const char *reason_of(const struct th_proc *p, int id, char *out, size_t len)
{
        char pat[64];
        const char *l = p->errbuf;

        snprintf(pat, sizeof pat, "\"id\":%d,", id);
        out[0] = '\0';
        while ((l = strstr(l, "\"event\":\"exited\""))) {
                const char *bol = l;
                const char *eol = strchr(l, '\n');
                char line[4096];

                while (bol > p->errbuf && bol[-1] != '\n')
                        bol--;
                snprintf(line, sizeof line, "%.*s", (int)(eol ? (size_t)(eol - bol) : strlen(bol)),
                         bol);
                if (strstr(line, pat))
                        return ot_json_field(line, "reason", out, len);
                l += 16;
        }
        return out;
}

/* ---- the nested-error shape with cooperative spawners ---- */

struct shape {
        int exited, graceful, beyond_stage1;
        double first_failure, removed;
        char bad[256];
};

static void shape_visit(const char *line, void *ctx)
{
        struct shape *s = ctx;
        char ev[32], v[160];

        ot_json_field(line, "event", ev, sizeof ev);
        if (strcmp(ev, "exited") == 0) {
                s->exited++;
                ot_json_field(line, "reason", v, sizeof v);
                if (strncmp(v, "exited ", 7) == 0 || strncmp(v, "cancelled (", 11) == 0)
                        s->graceful++;
                else
                        snprintf(s->bad, sizeof s->bad, "%s", line);
                if (atoi(ot_json_field(line, "exit_code", v, sizeof v)) != 0 &&
                    s->first_failure < 0)
                        s->first_failure = atof(ot_json_field(line, "time", v, sizeof v));
        } else if (strcmp(ev, "cascade") == 0) {
                if (strcmp(ot_json_field(line, "stage", v, sizeof v), "cancel") != 0)
                        s->beyond_stage1++;
        } else if (strcmp(ev, "removed") == 0) {
                s->removed = atof(ot_json_field(line, "time", v, sizeof v));
        }
}

static void nested_cooperative(int depth, int actors)
{
        char lvl[16];
        const char *prog[] = {"tree", lvl, "coop", NULL};
        struct th_proc p;
        struct shape s = {.first_failure = -1, .removed = -1};

        snprintf(lvl, sizeof lvl, "%d", depth);
        th_run_actor(&p, name, "coop-shape", NULL, prog, NULL, NULL);
        /* the failures reach the root, which fails with them */
        ck_assert_int_eq(th_corral_wait(&p, 60000), 1);
        ck_assert_msg(ot_count_lines(p.outbuf, "child ", " 1", NULL) >= 1, "out:\n%s", p.outbuf);
        each_event(&p, shape_visit, &s);
        /* every actor ended by itself or in stage 1: nothing had to be signalled (a spawner
         * cancelled before it asked for its children has its requests refused: ECANCELED) */
        ck_assert_int_eq(s.exited, th_event_count(&p, "started", NULL, NULL));
        ck_assert_msg(s.exited + ot_count_lines(p.outbuf, "error ECANCELED", NULL, NULL) ==
                          actors + 1,
                      "out:\n%s", p.outbuf);
        ck_assert_msg(s.graceful == s.exited, "not graceful: %s", s.bad);
        ck_assert_msg(s.beyond_stage1 == 0, "a cascade went past stage 1:\n%s", p.errbuf);
        ck_assert(s.first_failure >= 0 && s.removed >= s.first_failure);
        printf("nested-error shape, depth %d, %d actors: first failure to the last node removed "
               "%.3f s (the seeds' runtime: %s)\n",
               depth, actors + 1, s.removed - s.first_failure, depth == 1 ? "3.3 s" : "14 s");
        th_assert_tree_gone(name);
}

START_TEST(nested_errors_cooperative_depth_1)
{
        nested_cooperative(1, 14);
}
END_TEST

START_TEST(nested_errors_cooperative_depth_3)
{
        nested_cooperative(3, 62);
}
END_TEST

/* root -> A -> B; B says HELLO and then sleeps without reading its channel. Cancelling the
 * tree: the root and A cancel their children themselves; B's own cascade escalates it on its
 * own short timeouts, inside A's cancel timeout, so A ends gracefully. */
START_TEST(stubborn_grandchild_escalated_inside_its_parents_cancel)
{
        const char *prog[] = {"parent", "1", "ready", "a",        actor, "parent", "1",
                              "ready",  "b", actor,   "stubborn", "60",  NULL};
        const char *extra[] = {"-p", policy, "--profile", "root", NULL};
        struct th_proc p;
        char r[160];
        int64_t t0, took;

        snprintf(actor, sizeof actor, "%s", th_actor());
        write_policy("[profile root]\nSpawnProfiles = a\nTimeoutCancelSec = 20s\n\n"
                     "[profile a]\nSpawnProfiles = b\nTimeoutCancelSec = 8s\n\n"
                     "[profile b]\nTimeoutCancelSec = 1s\nTimeoutInterruptSec = 1s\n"
                     "TimeoutTerminateSec = 1s\nTimeoutKillSec = 2s\n");
        th_run_actor(&p, name, "stubborn", extra, prog, NULL, NULL);
        /* A saw B's HELLO: the whole chain talks to corral */
        ck_assert_msg(th_wait_for(&p, true, "[c0] ready 3", 20000), "out:\n%s\nevents:\n%s",
                      p.outbuf, p.errbuf);
        t0 = mono_ms();
        kill(p.pid, SIGINT);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        took = mono_ms() - t0;
        reason_of(&p, 3, r, sizeof r);
        ck_assert_msg(strncmp(r, "interrupted", 11) == 0 || strncmp(r, "terminated", 10) == 0 ||
                          strncmp(r, "killed", 6) == 0,
                      "B: %s", r);
        ck_assert_str_eq(reason_of(&p, 2, r, sizeof r), "cancelled (exited 0)");
        ck_assert_str_eq(reason_of(&p, 1, r, sizeof r), "cancelled (exited 0)");
        /* B's escalation was its own: A's and the tree's cascades stayed in stage 1 */
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "interrupt"), 1);
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "terminate"), 0);
        /* within B's summed timeouts (and far inside A's 8 s) */
        ck_assert_msg(took < th_ms(5000), "took %lld ms", (long long)took);
        printf("stubborn grandchild: tree cancelled in %lld ms\n", (long long)took);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

/* ---- spawns in flight when their subtree is cancelled (through the engine's API) ---- */

#define NIDS 16

struct tally {
        int started[NIDS], exited[NIDS], failed[NIDS], cascades[NIDS][CS_DONE + 1];
};

static void tally(struct corral_sup *s, const struct corral_event *e, void *ctx)
{
        struct tally *t = ctx;

        (void)s;
        if (e->actor_id >= NIDS)
                return;
        if (e->type == CORRAL_EV_STARTED)
                t->started[e->actor_id]++;
        else if (e->type == CORRAL_EV_EXITED)
                t->exited[e->actor_id]++;
        else if (e->type == CORRAL_EV_SPAWN_FAILED)
                t->failed[e->actor_id]++;
        else if (e->type == CORRAL_EV_CASCADE && !e->u.cascade.hold)
                t->cascades[e->actor_id][e->u.cascade.stage]++;
}

START_TEST(spawns_in_flight_end_with_their_cancelled_subtree)
{
        static struct tally t;
        struct profile prof;
        struct corral_sup *s;
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];
        char *argv[] = {actor, "sleep", "30", NULL};
        struct corral_sup_options o = {.nprofiles = 1, .out_fd = -1, .err_fd = -1};
        struct corral_actor_info info = {0};
        uint32_t parent, kids[3], late;
        int64_t deadline;
        bool all_gone = false;

        snprintf(actor, sizeof actor, "%s", th_actor());
        snprintf(name, sizeof name, "%s", th_tree_name("inflight"));
        profile_default(&prof, "default");
        prof.timeout_interrupt = 1000000;
        prof.timeout_terminate = 1000000;
        o.tree_name = name;
        o.profiles = &prof;
        o.on_event = tally;
        o.event_ctx = &t;
        memset(&t, 0, sizeof t);
        if (corral_sup_open(&s, &o, &err) < 0)
                ck_abort_msg("open: %s", cerr_str(&err, ebuf, sizeof ebuf));
        {
                struct corral_spawn req = {.name = "p", .argv = argv};

                ck_assert_int_eq(corral_sup_spawn(s, &req, &parent, &err), 0);
        }
        deadline = mono_ms() + th_ms(10000);
        while (mono_ms() < deadline && corral_sup_actor(s, parent, &info) == 0 &&
               info.state == CORRAL_ACTOR_STARTING)
                ck_assert_int_ge(corral_sup_dispatch(s, 100, &err), 0);
        ck_assert_int_eq(info.state, CORRAL_ACTOR_RUNNING);
        /* three children asked for, no reply handled yet: then the parent's subtree goes */
        for (int i = 0; i < 3; i++) {
                struct corral_spawn req = {.parent = parent, .name = "k", .argv = argv};

                ck_assert_int_eq(corral_sup_spawn(s, &req, &kids[i], &err), 0);
        }
        ck_assert_int_eq(corral_sup_cancel(s, parent, CM_GRACEFUL, "test"), 0);
        {
                struct corral_spawn req = {.parent = parent, .name = "late", .argv = argv};

                ck_assert_int_lt(corral_sup_spawn(s, &req, &late, &err), 0);
                ck_assert_int_eq(err.errnum, ECANCELED);
        }
        deadline = mono_ms() + th_ms(30000);
        while (!all_gone && mono_ms() < deadline) {
                ck_assert_int_ge(corral_sup_dispatch(s, 100, &err), 0);
                ck_assert_int_eq(corral_sup_actor(s, parent, &info), 0);
                all_gone = info.ended && info.node_removed;
                for (int i = 0; i < 3; i++) {
                        ck_assert_int_eq(corral_sup_actor(s, kids[i], &info), 0);
                        all_gone &= info.ended && info.node_removed;
                }
        }
        ck_assert_msg(all_gone, "the subtree did not end");
        /* every event once: one start (the spawns landed) and one end each, one cascade */
        for (uint32_t id = parent; id <= kids[2]; id++) {
                ck_assert_msg(t.exited[id] == 1 && t.started[id] + t.failed[id] <= 1,
                              "actor %u: started %d, failed %d, exited %d", id, t.started[id],
                              t.failed[id], t.exited[id]);
                for (int st = 0; st <= CS_DONE; st++)
                        ck_assert_int_le(t.cascades[id][st], 1);
        }
        ck_assert_int_eq(t.cascades[parent][CS_INTERRUPT], 1);
        corral_sup_close(s);
        profile_free(&prof);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- HOLD ---- */

/* The root holds when CANCEL comes (a debugger attached): its cancel timeout (1 s) passes,
 * the hold's budget (2 s) runs, and only then it is interrupted. */
START_TEST(hold_defers_escalation_no_longer_than_its_budget)
{
        const char *prog[] = {"hold", "30", NULL};
        const char *extra[] = {"--set", "TimeoutCancelSec=1s", "--set", "TimeoutHoldSec=2s", NULL};
        struct th_proc p;
        int64_t t0, took;

        th_run_actor(&p, name, "hold", extra, prog, NULL, NULL);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 10000));
        usleep(300000); /* its HELLO */
        t0 = mono_ms();
        kill(p.pid, SIGINT);
        ck_assert_msg(th_wait_for(&p, true, "held", 10000), "events:\n%s", p.errbuf);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 128 + SIGINT);
        took = mono_ms() - t0;
        /* the cascade, its hold, the hold's end */
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "cancel"), 3);
        ck_assert_int_eq(th_event_count(&p, "cascade", "hold", "held"), 1);
        ck_assert_int_eq(th_event_count(&p, "cascade", "hold", "budget spent"), 1);
        ck_assert_int_eq(th_event_count(&p, "exited", "reason", "interrupted (signaled SIGINT)"),
                         1);
        /* past its cancel timeout by the hold, and no longer than both */
        ck_assert_msg(took >= 2800 && took < th_ms(6000), "took %lld ms", (long long)took);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(second_sigint_overrides_a_hold)
{
        const char *prog[] = {"hold", "30", NULL};
        const char *extra[] = {"--set", "TimeoutCancelSec=10s", "--set", "TimeoutHoldSec=20s",
                               NULL};
        struct th_proc p;
        int64_t t1, took;

        th_run_actor(&p, name, "override", extra, prog, NULL, NULL);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 10000));
        usleep(300000);
        kill(p.pid, SIGINT);
        ck_assert_msg(th_wait_for(&p, true, "held", 10000), "events:\n%s", p.errbuf);
        ck_assert(th_wait_for(&p, false, "\"hold\":\"held\"", 5000));
        t1 = mono_ms();
        kill(p.pid, SIGINT);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 128 + SIGINT);
        took = mono_ms() - t1;
        ck_assert_int_eq(th_event_count(&p, "cascade", "hold", "overridden"), 1);
        ck_assert_int_eq(th_event_count(&p, "cascade", "why", "SIGINT to corral (2)"), 1);
        ck_assert_msg(took < th_ms(3000), "took %lld ms after the second SIGINT", (long long)took);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- OnChildFailure= ---- */

START_TEST(on_child_failure_cancel_siblings)
{
        const char *prog[] = {"parent", "3", "now", "-", actor, "fail-first", "30", NULL};
        const char *extra[] = {"-p", policy, NULL};
        struct th_proc p;
        int64_t t0 = mono_ms();

        snprintf(actor, sizeof actor, "%s", th_actor());
        write_policy("[profile default]\nOnChildFailure = cancel-siblings\n");
        th_run_actor(&p, name, "siblings", extra, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 1); /* the root saw a child fail */
        ck_assert_msg(th_event_count(&p, "cascade", "why",
                                     "sibling c0-2 failed (OnChildFailure=cancel-siblings)") == 2,
                      "events:\n%s", p.errbuf);
        ck_assert_int_eq(th_event_count(&p, "exited", "reason", "exited 3"), 1);
        ck_assert_int_eq(th_event_count(&p, "exited", "reason", "interrupted (signaled SIGINT)"),
                         2);
        ck_assert_msg(mono_ms() - t0 < th_ms(15000), "the siblings were not cancelled at once");
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

/* mid's child fails: mid is cancelled (cancel-parent), and that is no failure of mid's for
 * the root, whose own cancel-parent would otherwise cancel the root. */
START_TEST(on_child_failure_cancel_parent_stops_at_the_parent)
{
        const char *prog[] = {"parent", "1", "ready", "mid",        actor, "parent", "2",
                              "now",    "-", actor,   "fail-first", "30",  NULL};
        const char *extra[] = {"-p", policy, "--profile", "top", NULL};
        struct th_proc p;
        char r[160];

        snprintf(actor, sizeof actor, "%s", th_actor());
        write_policy("[profile top]\nSpawnProfiles = mid\nOnChildFailure = cancel-parent\n\n"
                     "[profile mid]\nOnChildFailure = cancel-parent\n");
        th_run_actor(&p, name, "cparent", extra, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 1);
        ck_assert_msg(th_event_count(&p, "cascade", "why",
                                     "child c0-3 failed (OnChildFailure=cancel-parent)") == 1,
                      "events:\n%s", p.errbuf);
        /* mid heard CANCEL, cancelled its other child, and ended in stage 1 */
        ck_assert_str_eq(reason_of(&p, 2, r, sizeof r), "cancelled (exited 1)");
        ck_assert_str_eq(reason_of(&p, 4, r, sizeof r), "interrupted (signaled SIGINT)");
        /* the root was not cancelled for it: it ended by itself */
        ck_assert_str_eq(reason_of(&p, 1, r, sizeof r), "exited 1");
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "cancel"), 1);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

/* ---- orphans that hold ports ---- */

static int free_port(void)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        close(fd);
        return ntohs(sa.sin_port);
}

/* 0 when the port took a bind (then closed again), else errno. */
static int try_bind(int port, bool do_listen)
{
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rc = 0;

        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || (do_listen && listen(fd, 1) < 0))
                rc = errno;
        close(fd);
        return rc;
}

static bool listening(int port)
{
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;

        close(fd);
        return ok;
}

START_TEST(daemonized_grandchild_releases_its_port)
{
        char port[16];
        const char *prog[] = {"parent", "1",   "now",       "-",  actor, "parent", "1", "now",
                              "-",      actor, "daemonize", "60", port,  "60",     NULL};
        struct th_proc p;
        int64_t deadline;

        snprintf(actor, sizeof actor, "%s", th_actor());
        snprintf(port, sizeof port, "%d", free_port());
        th_run_actor(&p, name, "daemonport", NULL, prog, NULL, NULL);
        deadline = mono_ms() + th_ms(15000);
        while (!listening(atoi(port)) && mono_ms() < deadline)
                usleep(20000);
        ck_assert_msg(listening(atoi(port)), "the grandchild never listened:\n%s", p.errbuf);
        ck_assert_int_eq(try_bind(atoi(port), false), EADDRINUSE); /* control */
        kill(p.pid, SIGINT);
        ck_assert_int_eq(th_corral_wait(&p, 30000), 0);
        /* at once: nothing holds it */
        ck_assert_int_eq(try_bind(atoi(port), true), 0);
        ck_assert(!listening(atoi(port)));
        th_assert_tree_gone(name);
}
END_TEST

static Suite *cancel_suite(void)
{
        Suite *s = suite_create("corral-cancel-privileged");
        TCase *tc = tcase_create("cancel");

        tcase_set_timeout(tc, 180);
        tcase_add_test(tc, nested_errors_cooperative_depth_1);
        tcase_add_test(tc, nested_errors_cooperative_depth_3);
        tcase_add_test(tc, stubborn_grandchild_escalated_inside_its_parents_cancel);
        tcase_add_test(tc, spawns_in_flight_end_with_their_cancelled_subtree);
        tcase_add_test(tc, hold_defers_escalation_no_longer_than_its_budget);
        tcase_add_test(tc, second_sigint_overrides_a_hold);
        tcase_add_test(tc, on_child_failure_cancel_siblings);
        tcase_add_test(tc, on_child_failure_cancel_parent_stops_at_the_parent);
        tcase_add_test(tc, daemonized_grandchild_releases_its_port);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {cancel_suite};

        return th_run("test_cancel", TH_PRIVILEGED, suites, 1);
}
