/* Privileged end-to-end tests of `corral run`'s events and signals: events a late reader still
 * gets, the signals corral passes on to the program (and the one its caller ignored, which it
 * does not), and quiet-by-default stderr (nothing for a clean run, a crash's exit line; -v for
 * the whole story, -q for nothing). test_output.c has the program's output; output_support.h
 * the helpers both use. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "output_support.h"

static char name[64];
static char actor[PATH_MAX]; /* th_actor(), kept: the harness reuses its buffer */

/* ---- 1. a late reader of the events loses none ---- */

START_TEST(events_reach_a_late_reader)
{
        const char *args[] = {"run", "--events", "json", "--name", name, "--", "/bin/true", NULL};
        struct ot_prep pr = {.stdin_fd = -1};
        struct th_proc p;

        for (int i = 0; i < 5; i++) {
                snprintf(name, sizeof name, "%s", th_tree_name("lateevents"));
                th_corral_start(&p, args, -1, ot_prep_child, &pr);
                ot_sleep_ms(2000); /* nobody reads its stderr meanwhile */
                ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
                ck_assert_msg(th_event_count(&p, "started", NULL, NULL) == 1 &&
                                  th_event_count(&p, "exited", NULL, NULL) == 1 &&
                                  th_event_count(&p, "removed", NULL, NULL) == 1,
                              "run %d: events:\n%s", i, p.errbuf);
                th_assert_tree_gone(name);
        }
}
END_TEST

/* ---- 2. signals passed on, and the ones the caller ignored ---- */

/* Prints "got SIGNAME" for each of the five, "ready" once set up; then waits (20 s at most).
 * SIGINT at its default: the cascade ends it quietly. */
static const char py_signals[] =
    "import signal, time\n"
    "def got(n, frame):\n"
    "    print('got ' + signal.Signals(n).name, flush=True)\n"
    "for s in ('SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGQUIT', 'SIGWINCH'):\n"
    "    signal.signal(getattr(signal, s), got)\n"
    "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
    "print('ready', flush=True)\n"
    "end = time.monotonic() + 20\n"
    "while time.monotonic() < end:\n"
    "    time.sleep(0.1)\n";

static void start_python(struct th_proc *p, struct ot_prep *pr, const char *what)
{
        const char *args[] = {"run", "--events",         "json", "--name",   name,
                              "--",  "/usr/bin/python3", "-c",   py_signals, NULL};

        snprintf(name, sizeof name, "%s", th_tree_name(what));
        th_corral_start(p, args, -1, ot_prep_child, pr);
        ck_assert_msg(th_wait_for(p, true, "ready\n", 15000), "no ready; stdout:\n%s\nstderr:\n%s",
                      p->outbuf, p->errbuf);
}

START_TEST(signals_passed_on_to_the_program)
{
        static const struct {
                int sig;
                const char *name;
        } sigs[] = {{SIGUSR1, "SIGUSR1"},
                    {SIGUSR2, "SIGUSR2"},
                    {SIGHUP, "SIGHUP"},
                    {SIGQUIT, "SIGQUIT"},
                    {SIGWINCH, "SIGWINCH"}};
        struct ot_prep pr = {.stdin_fd = -1};
        static struct th_proc p;
        char line[64], sig[64];

        start_python(&p, &pr, "passon");
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
                kill(p.pid, sigs[i].sig);
                snprintf(line, sizeof line, "got %s\n", sigs[i].name);
                ck_assert_msg(th_wait_for(&p, true, line, 5000),
                              "%s did not reach the program; stdout:\n%s\nevents:\n%s",
                              sigs[i].name, p.outbuf, p.errbuf);
                snprintf(sig, sizeof sig, "\"signal\":\"%s\"", sigs[i].name);
                ck_assert_msg(th_wait_for(&p, false, sig, 5000), "no signal event for %s:\n%s",
                              sigs[i].name, p.errbuf);
                ot_sleep_ms(100);
        }
        ck_assert_msg(th_event_count(&p, "cascade", NULL, NULL) == 0,
                      "a passed-on signal started the cascade:\n%s", p.errbuf);
        kill(p.pid, SIGTERM);
        ck_assert_int_eq(th_corral_wait(&p, 15000), 128 + SIGINT);
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
                snprintf(sig, sizeof sig, "\"signal\":\"%s\"", sigs[i].name);
                ck_assert_msg(ot_count_lines(p.errbuf, "\"event\":\"signal\"", sig,
                                             "\"action\":\"forwarded\"") == 1,
                              "want one forwarded event for %s:\n%s", sigs[i].name, p.errbuf);
                /* each arrived once */
                snprintf(line, sizeof line, "got %s", sigs[i].name);
                ck_assert_msg(ot_count_lines(p.outbuf, line, NULL, NULL) == 1, "stdout:\n%s",
                              p.outbuf);
        }
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "interrupt"), 1);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(signal_ignored_by_caller_not_passed_on)
{
        struct ot_prep pr = {.stdin_fd = -1, .ignore = SIGHUP}; /* trap '' HUP */
        static struct th_proc p;
        struct pollfd pf;

        start_python(&p, &pr, "hupignored");
        ck_assert_msg(th_wait_for(&p, false, "\"action\":\"ignored\"", 5000), "events:\n%s",
                      p.errbuf);
        kill(p.pid, SIGHUP);
        ck_assert_msg(!th_wait_for(&p, true, "got SIGHUP", 1000),
                      "an ignored SIGHUP reached the program");
        pf = (struct pollfd){.fd = p.pidfd, .events = POLLIN};
        ck_assert_msg(poll(&pf, 1, 0) == 0, "corral ended on an ignored SIGHUP:\n%s", p.errbuf);
        ck_assert_msg(th_event_count(&p, "cascade", NULL, NULL) == 0, "events:\n%s", p.errbuf);
        /* positive control: another signal still gets through */
        kill(p.pid, SIGUSR1);
        ck_assert_msg(th_wait_for(&p, true, "got SIGUSR1\n", 5000), "stdout:\n%s", p.outbuf);
        kill(p.pid, SIGTERM);
        ck_assert_int_eq(th_corral_wait(&p, 15000), 128 + SIGINT);
        ck_assert_msg(!strstr(p.outbuf, "got SIGHUP"), "stdout:\n%s", p.outbuf);
        ck_assert_msg(ot_count_lines(p.errbuf, "\"event\":\"signal\"", "\"signal\":\"SIGHUP\"",
                                     "\"action\":\"forwarded\"") == 0,
                      "events:\n%s", p.errbuf);
        ck_assert_msg(ot_count_lines(p.errbuf, "\"event\":\"signal\"", "\"signal\":\"SIGHUP\"",
                                     "\"action\":\"ignored\"") == 1,
                      "want one ignored event for SIGHUP:\n%s", p.errbuf);
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "interrupt"), 1);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- 3. quiet by default ---- */

START_TEST(quiet_by_default)
{
        const char *quiet[] = {"run", "--name", name, "--", "/bin/true", NULL};
        const char *verbose[] = {"run", "-v", "--name", name, "--", "/bin/true", NULL};
        const char *crash_q[] = {"run", "-q", "--name", name, "--", actor, "crash", NULL};
        const char *crash[] = {"run", "--name", name, "--", actor, "crash", NULL};
        struct ot_prep pr = {.stdin_fd = -1};
        static struct th_proc p;
        char want[160];

        snprintf(actor, sizeof actor, "%s", th_actor());
        snprintf(name, sizeof name, "%s", th_tree_name("quiet"));
        th_corral_start(&p, quiet, -1, ot_prep_child, &pr);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
        ck_assert_msg(p.errlen == 0, "stderr: '%s'", p.errbuf);
        th_assert_tree_gone(name);

        snprintf(name, sizeof name, "%s", th_tree_name("verbose"));
        th_corral_start(&p, verbose, -1, ot_prep_child, &pr);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
        snprintf(want, sizeof want, "corral: %s/%s: started ", name, name);
        ck_assert_msg(th_line_starting(p.errbuf, want), "stderr:\n%s", p.errbuf);
        snprintf(want, sizeof want, "corral: %s/%s: exited ", name, name);
        ck_assert_msg(th_line_starting(p.errbuf, want), "stderr:\n%s", p.errbuf);
        snprintf(want, sizeof want, "corral: %s: removed ", name);
        ck_assert_msg(th_line_starting(p.errbuf, want), "stderr:\n%s", p.errbuf);
        th_assert_tree_gone(name);

        snprintf(name, sizeof name, "%s", th_tree_name("crashq"));
        th_corral_start(&p, crash_q, -1, ot_prep_child, &pr);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 128 + SIGSEGV);
        ck_assert_msg(p.errlen == 0, "stderr: '%s'", p.errbuf);
        th_assert_tree_gone(name);

        snprintf(name, sizeof name, "%s", th_tree_name("crash"));
        th_corral_start(&p, crash, -1, ot_prep_child, &pr);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 128 + SIGSEGV);
        snprintf(want, sizeof want, "corral: %s/%s: exited ", name, name);
        ck_assert_msg(th_line_starting(p.errbuf, want) &&
                          ot_count_lines(p.errbuf, want, "SIGSEGV", NULL) == 1,
                      "stderr:\n%s", p.errbuf);
        /* a problem only: not the whole story */
        snprintf(want, sizeof want, "corral: %s/%s: started ", name, name);
        ck_assert_msg(!th_line_starting(p.errbuf, want), "stderr:\n%s", p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

static Suite *signals_suite(void)
{
        Suite *s = suite_create("corral-signals-privileged");
        TCase *tc = tcase_create("signals");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, events_reach_a_late_reader);
        tcase_add_test(tc, signals_passed_on_to_the_program);
        tcase_add_test(tc, signal_ignored_by_caller_not_passed_on);
        tcase_add_test(tc, quiet_by_default);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {signals_suite};

        return th_run("test_signals", TH_PRIVILEGED, suites, 1);
}
