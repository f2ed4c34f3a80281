/* Unit tests of the cancel cascade's transition function (spawner/cascade.c): no process, no
 * cgroup, no clock. Each test plays a subtree's life as facts and events and checks the
 * actions and the schedule against DESIGN §6. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../spawner/cascade.h"
#include "../spawner/output.h"
#include "../spawner/registry.h"
#include "harness.h"

#define S 1000000LL /* one second in µs */

static const struct cascade_timeouts tmo = {
    .cancel = 5 * S, .interrupt = 3 * S, .terminate = 2 * S, .kill = 10 * S};

static const struct cascade_facts running = {.live = true, .settled = true, .populated = 1};
static const struct cascade_facts gone = {.live = false, .settled = true, .populated = 0};
static const struct cascade_facts lingering = {.live = false, .settled = true, .populated = 1};

static struct cascade_out step(struct cascade *c, enum cascade_ev ev, enum cascade_mode mode,
                               const char *why, struct cascade_facts f, int64_t now)
{
        struct cascade_in in = {.ev = ev, .mode = mode, .why = why, .f = f};
        struct cascade_out out;

        cascade_step(c, &in, now, &out);
        return out;
}

/* exactly one stage entered, the one given, with that reason */
static void assert_enter(const struct cascade_out *o, enum cstage s, const char *why)
{
        ck_assert_int_eq(o->n, 1);
        ck_assert_int_eq(o->a[0].act, CA_ENTER);
        ck_assert_str_eq(cstage_name(o->a[0].stage), cstage_name(s));
        ck_assert_str_eq(o->why, why);
}

START_TEST(cooperative_end_in_stage_one)
{
        struct cascade c;
        struct cascade_out o;

        cascade_init(&c, &tmo, true); /* the root said HELLO */
        o = step(&c, CE_REQUEST, CM_GRACEFUL, "SIGINT to corral (1)", running, 100);
        assert_enter(&o, CS_CANCEL, "SIGINT to corral (1)");
        ck_assert_int_eq(cascade_wakeup(&c), 100 + 5 * S);
        /* the runtime cancels itself: its actors end and the node empties before the
         * deadline; nothing is escalated, the nodes go */
        o = step(&c, CE_UPDATE, 0, NULL, running, S);
        ck_assert_int_eq(o.n, 0);
        o = step(&c, CE_UPDATE, 0, NULL, gone, 2 * S);
        ck_assert_int_eq(o.n, 1);
        ck_assert_int_eq(o.a[0].act, CA_REAP);
        ck_assert_int_eq(c.stage, CS_DONE);
        ck_assert_int_eq(cascade_wakeup(&c), 0);
        /* done is done: later events change nothing */
        o = step(&c, CE_REQUEST, CM_KILL, "late", running, 3 * S);
        ck_assert_int_eq(o.n, 0);
}
END_TEST

START_TEST(without_hello_stage_one_is_skipped)
{
        struct cascade c;
        struct cascade_out o;

        cascade_init(&c, &tmo, false);
        o = step(&c, CE_REQUEST, CM_GRACEFUL, "w", running, 0);
        assert_enter(&o, CS_INTERRUPT, "w");
        /* its actors gone but processes left (a daemon it started): no one to signal */
        o = step(&c, CE_UPDATE, 0, NULL, lingering, 1);
        assert_enter(&o, CS_KILL, "no actor left to signal; processes remain");
        /* and with no live actor at all, the kill */
        cascade_init(&c, &tmo, false);
        o = step(&c, CE_REQUEST, CM_GRACEFUL, "leftover", lingering, 0);
        assert_enter(&o, CS_KILL, "leftover");
        /* nothing to end: an empty subtree whose actors all ended is reaped at once */
        cascade_init(&c, &tmo, false);
        o = step(&c, CE_REQUEST, CM_GRACEFUL, "leftover", gone, 0);
        ck_assert_int_eq(o.n, 1);
        ck_assert_int_eq(o.a[0].act, CA_REAP);
}
END_TEST

START_TEST(escalation_at_each_deadline)
{
        struct cascade c;
        struct cascade_out o;
        int64_t t = 1000;

        cascade_init(&c, &tmo, true);
        assert_enter((o = step(&c, CE_REQUEST, CM_GRACEFUL, "go", running, t), &o), CS_CANCEL,
                     "go");
        /* early wake-ups change nothing */
        o = step(&c, CE_TIMER, 0, NULL, running, t + 5 * S - 1);
        ck_assert_int_eq(o.n, 0);
        t += 5 * S;
        ck_assert_int_eq(cascade_wakeup(&c), t);
        o = step(&c, CE_TIMER, 0, NULL, running, t);
        assert_enter(&o, CS_INTERRUPT, "cancel timeout");
        t += 3 * S;
        ck_assert_int_eq(cascade_wakeup(&c), t);
        o = step(&c, CE_TIMER, 0, NULL, running, t);
        assert_enter(&o, CS_TERMINATE, "interrupt timeout");
        t += 2 * S;
        o = step(&c, CE_TIMER, 0, NULL, running, t);
        assert_enter(&o, CS_KILL, "terminate timeout");
        /* in the kill stage: cgroup.kill again while populated, at most every 50 ms */
        ck_assert_int_eq(cascade_wakeup(&c), t + CASCADE_KILL_RECHECK_US);
        o = step(&c, CE_TIMER, 0, NULL, lingering, t + CASCADE_KILL_RECHECK_US);
        ck_assert_int_eq(o.n, 1);
        ck_assert_int_eq(o.a[0].act, CA_KILL_AGAIN);
        /* the kill deadline with processes left: stuck, reported once, and nothing after */
        o = step(&c, CE_TIMER, 0, NULL, lingering, t + 10 * S);
        ck_assert_int_eq(o.n, 1);
        ck_assert_int_eq(o.a[0].act, CA_STUCK);
        ck_assert_int_eq(c.stage, CS_STUCK);
        ck_assert_int_eq(cascade_wakeup(&c), 0);
        o = step(&c, CE_UPDATE, 0, NULL, gone, t + 11 * S);
        ck_assert_int_eq(o.n, 0);
}
END_TEST

START_TEST(kill_deadline_with_an_unanswered_spawn)
{
        struct cascade c;
        struct cascade_out o;
        struct cascade_facts waiting = {.live = false, .settled = false, .populated = 0};

        cascade_init(&c, &tmo, false);
        o = step(&c, CE_REQUEST, CM_KILL, "kill", waiting, 0);
        assert_enter(&o, CS_KILL, "kill");
        /* empty, but the spawn's fate is unknown: no reap until the kill deadline */
        o = step(&c, CE_UPDATE, 0, NULL, waiting, S);
        ck_assert_int_eq(o.n, 0);
        o = step(&c, CE_TIMER, 0, NULL, waiting, 10 * S);
        ck_assert_int_eq(o.n, 2);
        ck_assert_int_eq(o.a[0].act, CA_GIVE_UP);
        ck_assert_int_eq(o.a[1].act, CA_REAP);
}
END_TEST

START_TEST(second_and_third_signals_skip_stages)
{
        struct cascade c;
        struct cascade_out o;

        cascade_init(&c, &tmo, true);
        o = step(&c, CE_REQUEST, CM_ESCALATE, "SIGINT to corral (1)", running, 0);
        assert_enter(&o, CS_CANCEL, "SIGINT to corral (1)");
        o = step(&c, CE_REQUEST, CM_ESCALATE, "SIGINT to corral (2)", running, 10);
        assert_enter(&o, CS_INTERRUPT, "SIGINT to corral (2)");
        /* the new stage runs on its own schedule from now */
        ck_assert_int_eq(cascade_wakeup(&c), 10 + 3 * S);
        o = step(&c, CE_REQUEST, CM_KILL, "SIGINT to corral (3)", running, 20);
        assert_enter(&o, CS_KILL, "SIGINT to corral (3)");
        /* more signals in the kill stage: nothing further to skip */
        o = step(&c, CE_REQUEST, CM_KILL, "SIGINT to corral (4)", running, 30);
        ck_assert_int_eq(o.n, 0);
        o = step(&c, CE_REQUEST, CM_ESCALATE, "SIGTERM to corral (5)", running, 40);
        ck_assert_int_eq(o.n, 0);
}
END_TEST

START_TEST(nested_cascade_capped_and_escalated_with_outer)
{
        struct cascade outer, inner;
        const struct cascade_timeouts slow = {
            .cancel = 60 * S, .interrupt = 60 * S, .terminate = 60 * S, .kill = 60 * S};
        struct cascade_in in = {0};
        struct cascade_out o;

        /* the tree is cancelled; its cooperative root cancels a child whose own timeouts are
         * long: the child's cascade may not outlast the tree's current deadline */
        cascade_init(&outer, &tmo, true);
        o = step(&outer, CE_REQUEST, CM_GRACEFUL, "SIGTERM to corral (1)", running, 0);
        assert_enter(&o, CS_CANCEL, "SIGTERM to corral (1)");
        cascade_init(&inner, &slow, true);
        in = (struct cascade_in){.ev = CE_REQUEST,
                                 .mode = CM_GRACEFUL,
                                 .why = "cancelled by its parent",
                                 .cap_us = outer.deadline_us,
                                 .f = running};
        cascade_step(&inner, &in, S, &o);
        assert_enter(&o, CS_CANCEL, "cancelled by its parent");
        /* capped: not 61 s; and at the cap the outer moves it, so no timer of its own (two
         * escalations at one moment would skip a stage) */
        ck_assert_int_eq(inner.deadline_us, 5 * S);
        ck_assert_int_eq(cascade_wakeup(&inner), 0);
        o = step(&inner, CE_TIMER, 0, NULL, running, 5 * S);
        ck_assert_int_eq(o.n, 0);
        ck_assert_int_eq(inner.stage, CS_CANCEL);
        /* the outer escalates at its deadline; the inner goes with it, silently */
        o = step(&outer, CE_TIMER, 0, NULL, running, 5 * S);
        assert_enter(&o, CS_INTERRUPT, "cancel timeout");
        in = (struct cascade_in){
            .ev = CE_OUTER, .outer_stage = outer.stage, .cap_us = outer.deadline_us, .f = running};
        cascade_step(&inner, &in, 5 * S, &o);
        ck_assert_int_eq(o.n, 0);
        ck_assert_int_eq(inner.stage, CS_INTERRUPT);
        ck_assert_int_eq(inner.deadline_us, 8 * S);
        /* and to the kill with it */
        o = step(&outer, CE_REQUEST, CM_KILL, "SIGTERM to corral (3)", running, 6 * S);
        assert_enter(&o, CS_KILL, "SIGTERM to corral (3)");
        in.outer_stage = outer.stage;
        in.cap_us = outer.deadline_us;
        cascade_step(&inner, &in, 6 * S, &o);
        ck_assert_int_eq(inner.stage, CS_KILL);
        /* a cascade started below one that is past stage 1 starts at its stage (said once;
         * its actors had that stage's action from the outer already) */
        {
                struct cascade late;

                cascade_init(&late, &slow, true);
                in = (struct cascade_in){.ev = CE_REQUEST,
                                         .mode = CM_GRACEFUL,
                                         .why = "its parent exited",
                                         .cap_us = outer.deadline_us,
                                         .outer_stage = outer.stage,
                                         .f = running};
                cascade_step(&late, &in, 6 * S, &o);
                assert_enter(&o, CS_KILL, "its parent exited");
        }
        /* an outer behind the inner does not pull it back */
        cascade_init(&outer, &tmo, false);
        step(&outer, CE_REQUEST, CM_GRACEFUL, "x", running, 7 * S);
        in.outer_stage = outer.stage;
        cascade_step(&inner, &in, 7 * S, &o);
        ck_assert_int_eq(inner.stage, CS_KILL);
}
END_TEST

START_TEST(second_request_merges)
{
        struct cascade c;
        struct cascade_in in = {0};
        struct cascade_out o;

        cascade_init(&c, &tmo, false);
        o = step(&c, CE_REQUEST, CM_GRACEFUL, "first", running, 0);
        assert_enter(&o, CS_INTERRUPT, "first");
        ck_assert_int_eq(cascade_wakeup(&c), 3 * S);
        /* a second graceful request: no event, no new schedule */
        o = step(&c, CE_REQUEST, CM_GRACEFUL, "second", running, S);
        ck_assert_int_eq(o.n, 0);
        ck_assert_int_eq(cascade_wakeup(&c), 3 * S);
        /* one that comes with an earlier deadline (its own outer's): the earlier one stays */
        in = (struct cascade_in){
            .ev = CE_REQUEST, .mode = CM_GRACEFUL, .why = "third", .cap_us = 2 * S, .f = running};
        cascade_step(&c, &in, S + 1, &o);
        ck_assert_int_eq(o.n, 0);
        ck_assert_int_eq(c.deadline_us, 2 * S);
        /* and a later one never pushes it back */
        in.cap_us = 9 * S;
        cascade_step(&c, &in, S + 2, &o);
        ck_assert_int_eq(c.deadline_us, 2 * S);
        /* at the cap, the outer escalates and moves it; here it is already there, and its own
         * deadline (3 s) comes before the outer's new one */
        in = (struct cascade_in){
            .ev = CE_OUTER, .outer_stage = CS_INTERRUPT, .cap_us = 5 * S, .f = running};
        cascade_step(&c, &in, 2 * S, &o);
        ck_assert_int_eq(o.n, 0);
        ck_assert_int_eq(cascade_wakeup(&c), 3 * S);
        o = step(&c, CE_TIMER, 0, NULL, running, 3 * S);
        assert_enter(&o, CS_TERMINATE, "interrupt timeout");
}
END_TEST

/* HOLD defers escalation within one budget; the stage then goes on with the time it had
 * left; a second signal overrides it. */
START_TEST(hold_defers_escalation_within_its_budget)
{
        const struct cascade_timeouts t = {
            .cancel = 5 * S, .interrupt = 3 * S, .terminate = 3 * S, .kill = 10 * S, .hold = 4 * S};
        struct cascade_facts held = running;
        struct cascade c;
        struct cascade_out o;

        held.held = true;
        cascade_init(&c, &t, true);
        o = step(&c, CE_REQUEST, CM_GRACEFUL, "x", running, 0);
        assert_enter(&o, CS_CANCEL, "x");
        /* held at 1 s: 4 s left in the stage, the timer marks the budget's end */
        o = step(&c, CE_UPDATE, 0, NULL, held, 1 * S);
        ck_assert_int_eq(o.n, 1);
        ck_assert_int_eq(o.a[0].act, CA_HOLD);
        ck_assert_int_eq(cascade_wakeup(&c), 5 * S);
        o = step(&c, CE_TIMER, 0, NULL, held, 5 * S - 1);
        ck_assert_int_eq(c.stage, CS_CANCEL);
        /* released at 2 s: 1 s of the budget used, the stage's 4 s go on from there */
        o = step(&c, CE_UPDATE, 0, NULL, running, 2 * S);
        ck_assert_int_eq(o.n, 1);
        ck_assert_int_eq(o.a[0].act, CA_HOLD_END);
        ck_assert_str_eq(o.hold_how, "released");
        ck_assert_int_eq(cascade_wakeup(&c), 6 * S);
        /* held again at 3 s: 3 s of budget left, then spent; the stage resumes (3 s left) */
        step(&c, CE_UPDATE, 0, NULL, held, 3 * S);
        ck_assert_int_eq(cascade_wakeup(&c), 6 * S);
        o = step(&c, CE_TIMER, 0, NULL, held, 6 * S);
        ck_assert_int_eq(o.a[0].act, CA_HOLD_END);
        ck_assert_str_eq(o.hold_how, "budget spent");
        ck_assert_int_eq(c.stage, CS_CANCEL);
        ck_assert_int_eq(cascade_wakeup(&c), 9 * S);
        /* still held, but the budget is gone: no second hold, it escalates on time */
        o = step(&c, CE_UPDATE, 0, NULL, held, 7 * S);
        ck_assert_int_eq(o.n, 0);
        o = step(&c, CE_TIMER, 0, NULL, held, 9 * S);
        assert_enter(&o, CS_INTERRUPT, "cancel timeout");
        /* a fresh cascade: a second signal overrides a hold at once */
        cascade_init(&c, &t, true);
        step(&c, CE_REQUEST, CM_GRACEFUL, "SIGINT to corral (1)", held, 0);
        ck_assert(c.holding);
        o = step(&c, CE_REQUEST, CM_ESCALATE, "SIGINT to corral (2)", held, S);
        ck_assert_int_eq(o.a[0].act, CA_HOLD_END);
        ck_assert_str_eq(o.hold_how, "overridden");
        ck_assert_int_eq(o.a[1].act, CA_ENTER);
        ck_assert_int_eq(c.stage, CS_INTERRUPT);
        ck_assert(!c.holding);
        ck_assert_int_eq(cascade_wakeup(&c), 4 * S);
}
END_TEST

START_TEST(stage_names)
{
        ck_assert_str_eq(cstage_name(CS_INTERRUPT), "interrupt");
        ck_assert_str_eq(cstage_outcome(CS_TERMINATE), "terminated");
        ck_assert_str_eq(cstage_outcome(CS_KILL), "killed");
        ck_assert_str_eq(cstage_outcome(CS_IDLE), "exited");
}
END_TEST

/* ---- output queues (spawner/output.c), on a pipe of the test's own ---- */

static void pipe_nb(int p[2])
{
        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
}

static size_t drain_all(int fd)
{
        char buf[65536];
        size_t got = 0;
        ssize_t n;

        while ((n = read(fd, buf, sizeof buf)) > 0)
                got += (size_t)n;
        return got;
}

START_TEST(outq_writes_at_once_then_queues_within_its_limit)
{
        static char big[256 * 1024];
        struct outq q;
        int p[2];
        size_t pipe_cap, took;

        signal(SIGPIPE, SIG_IGN); /* as the supervisor does: a gone reader is EPIPE */
        pipe_nb(p);
        pipe_cap = (size_t)fcntl(p[1], F_GETPIPE_SZ);
        outq_open(&q, p[1]);
        /* a pipe is written through a non-blocking description of its own, never the
         * caller's: the caller's stays blocking */
        ck_assert_int_eq(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
        memset(big, 'x', sizeof big);
        /* nothing waits: the pipe takes what it can at once, the rest queues (limit 128K) */
        took = outq_push(&q, big, sizeof big, 128 * 1024, false);
        ck_assert_uint_eq(took, pipe_cap + 128 * 1024);
        ck_assert_uint_eq(outq_pending(&q), 128 * 1024);
        /* a whole record that does not fit is refused whole, and leaves no trace */
        ck_assert_uint_eq(outq_push(&q, "event\n", 6, 128 * 1024, true), 0);
        ck_assert_uint_eq(outq_pending(&q), 128 * 1024);
        /* under a larger limit it waits behind the rest, in order */
        ck_assert_uint_eq(outq_push(&q, "event\n", 6, 1024 * 1024, true), 6);
        /* the reader reads: flushing empties the queue, everything arrives in order */
        {
                size_t got = drain_all(p[0]);

                while (outq_flush(&q) > 0)
                        got += drain_all(p[0]);
                got += drain_all(p[0]);
                ck_assert_uint_eq(got, pipe_cap + 128 * 1024 + 6);
        }
        ck_assert_uint_eq(outq_pending(&q), 0);
        /* a reader gone: the stream closes and nothing more is taken */
        close(p[0]);
        ck_assert_uint_eq(outq_push(&q, "late\n", 5, 1024, true), 0);
        ck_assert_int_eq(q.s.kind, OUT_CLOSED);
        outq_close(&q);
        close(p[1]);
}
END_TEST

/* A record is never truncated (spawner/registry.c: registry_write): a shorter one is padded
 * to the longer one's length, and what a reader parses is the latest. */
START_TEST(registry_record_rewritten_shorter_is_padded_not_truncated)
{
        static struct registry_entry e, got;
        struct registry r;
        struct cerr err = {0};
        char dir[] = "/tmp/corral-test-registry.XXXXXX", buf[8192];
        struct stat st;
        ssize_t n;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_eq(registry_claim(dir, "t", &r, &err), 0);
        snprintf(e.tree, sizeof e.tree, "t");
        e.supervisor_pid = 42;
        e.nnodes = 2;
        snprintf(e.nodes[0], sizeof e.nodes[0], "/sys/fs/cgroup/corral/t.1");
        snprintf(e.nodes[1], sizeof e.nodes[1], "/sys/fs/cgroup/pids/corral/t.1");
        e.nbases = 1;
        snprintf(e.bases[0], sizeof e.bases[0], "/sys/fs/cgroup/pids/corral");
        ck_assert_int_eq(registry_write(&r, &e, &err), 0);
        ck_assert_int_eq(fstat(r.fd, &st), 0);
        e.nnodes = 1;
        e.nbases = 0;
        ck_assert_int_eq(registry_write(&r, &e, &err), 0);
        /* the same length as the longer record, and the shorter one parsed back */
        ck_assert_int_eq(lseek(r.fd, 0, SEEK_END), st.st_size);
        n = pread(r.fd, buf, sizeof buf - 1, 0);
        ck_assert_int_eq(n, st.st_size);
        buf[n] = '\0';
        ck_assert_int_eq(registry_parse(buf, &got), 0);
        ck_assert_str_eq(got.tree, "t");
        ck_assert_int_eq(got.supervisor_pid, 42);
        ck_assert_int_eq(got.nnodes, 1);
        ck_assert_str_eq(got.nodes[0], e.nodes[0]);
        ck_assert_int_eq(got.nbases, 0);
        ck_assert_int_eq(buf[n - 1], ' ');
        registry_release(&r);
        ck_assert_int_eq(rmdir(dir), 0); /* the record went with the release */
}
END_TEST

static Suite *registry_suite(void)
{
        Suite *s = suite_create("spawner-registry");
        TCase *tc = tcase_create("records");

        tcase_add_test(tc, registry_record_rewritten_shorter_is_padded_not_truncated);
        suite_add_tcase(s, tc);
        return s;
}

static Suite *output_suite(void)
{
        Suite *s = suite_create("spawner-output");
        TCase *tc = tcase_create("queues");

        tcase_add_test(tc, outq_writes_at_once_then_queues_within_its_limit);
        suite_add_tcase(s, tc);
        return s;
}

static Suite *cascade_suite(void)
{
        Suite *s = suite_create("spawner-cascade");
        TCase *tc = tcase_create("transitions");

        tcase_add_test(tc, cooperative_end_in_stage_one);
        tcase_add_test(tc, without_hello_stage_one_is_skipped);
        tcase_add_test(tc, escalation_at_each_deadline);
        tcase_add_test(tc, kill_deadline_with_an_unanswered_spawn);
        tcase_add_test(tc, second_and_third_signals_skip_stages);
        tcase_add_test(tc, nested_cascade_capped_and_escalated_with_outer);
        tcase_add_test(tc, second_request_merges);
        tcase_add_test(tc, hold_defers_escalation_within_its_budget);
        tcase_add_test(tc, stage_names);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {cascade_suite, output_suite, registry_suite};

        return th_run("test_spawner", TH_UNIT, suites, 3);
}
