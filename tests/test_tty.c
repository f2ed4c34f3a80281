/* Privileged tests of corral run's terminal (tools/run_tty.c, the shim's pty) and of job
 * control, driven through real terminals: tmux (a server of our own, `-L`, killed after each
 * test) types into a shell that runs corral, and reads the screen back; script(1) gives the
 * output comparison a pty of the same kind. What a user relies on: the program gets a
 * terminal of its own (its own devpts, job control, Ctrl-C and Ctrl-Z for its foreground job,
 * the window size following), the caller's terminal is exactly as it was afterwards (also
 * when corral is SIGTERMed), Ctrl-] three times ends the tree; without -t, Ctrl-Z freezes the
 * whole tree and fg thaws it. Every wait has a deadline. */
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/timeutil.h"
#include "harness.h"

static char sock[64], dir[64], name[64];
static pid_t runner; /* the test program's own pid (the tests run in its children) */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
        char cmd[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        return system(cmd);
}

/* tmux send-keys: literal text (-l), then Enter unless keys is a key name ("C-c") */
static void type(const char *text)
{
        char quoted[2048];
        size_t n = 0;

        for (const char *c = text; *c && n + 5 < sizeof quoted; c++) {
                if (*c == '\'') {
                        memcpy(quoted + n, "'\\''", 4);
                        n += 4;
                } else {
                        quoted[n++] = *c;
                }
        }
        quoted[n] = '\0';
        ck_assert_int_eq(sh("tmux -L %s send-keys -t t -l '%s' && tmux -L %s send-keys -t t Enter",
                            sock, quoted, sock),
                         0);
}

static void key(const char *k)
{
        ck_assert_int_eq(sh("tmux -L %s send-keys -t t %s", sock, k), 0);
}

static void screen(char *out, size_t len)
{
        char cmd[128];
        FILE *f;
        size_t n;

        snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -J -S -200 -t t", sock);
        f = popen(cmd, "r");
        ck_assert_ptr_nonnull(f);
        n = fread(out, 1, len - 1, f);
        out[n] = '\0';
        pclose(f);
}

/* The screen has `needle` (at least `count` times) within ms. */
static bool wait_screen(const char *needle, int count, int ms)
{
        static char buf[65536];
        int64_t until = mono_ms() + th_ms(ms);

        do {
                int seen = 0;

                screen(buf, sizeof buf);
                for (const char *p = buf; (p = strstr(p, needle)); p++)
                        seen++;
                if (seen >= count)
                        return true;
                usleep(50000);
        } while (mono_ms() < until);
        fprintf(stderr, "test_tty: waited for '%s' (x%d); the screen:\n%s\n", needle, count, buf);
        return false;
}

static void stop_tmux(void);

static void start_tmux(const char *what)
{
        snprintf(sock, sizeof sock, "corral-test-%d", (int)runner);
        th_scratch(what, dir, sizeof dir);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        snprintf(name, sizeof name, "%s", th_tree_name(what));
        /* One server name per test program: what a failed test left is ended by the next
         * test's start and by the suite's teardown (the test's own process ends without
         * cleaning up after a failed assertion); the shell ends within 150 s whatever happens
         * (SIGKILL: an interactive bash ignores SIGTERM). Either way the terminal hangs up,
         * and corral's SIGHUP ends what runs in it. */
        stop_tmux();
        ck_assert_int_eq(sh("cd / && tmux -L %s -f /dev/null new-session -d -s t -x 100 -y 30 "
                            "'env PS1=outer$\\  timeout -s KILL 150 bash --norc --noprofile'",
                            sock),
                         0);
        ck_assert(wait_screen("outer$", 1, 5000));
}

static void stop_tmux(void)
{
        if (sock[0])
                sh("tmux -L %s kill-server 2>/dev/null; rm -f /tmp/tmux-%d/%s", sock, (int)getuid(),
                   sock);
}

/* A process named corral among the first descendants of pid (depth levels down), or 0. */
static pid_t find_corral(pid_t pid, int depth)
{
        char path[96], comm[64];
        FILE *f;
        int child;
        pid_t found = 0;

        snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
        f = fopen(path, "re");
        if (f && fgets(comm, sizeof comm, f) && strncmp(comm, "corral", 6) == 0) {
                fclose(f);
                return pid;
        }
        if (f)
                fclose(f);
        if (depth == 0)
                return 0;
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
        f = fopen(path, "re");
        while (f && !found && fscanf(f, "%d", &child) == 1)
                found = find_corral(child, depth - 1);
        if (f)
                fclose(f);
        return found;
}

/* corral, below the pane's shell (timeout, bash, corral): its pid (0 when none within ms) */
static pid_t corral_in_pane(int ms)
{
        char buf[128];
        int64_t until = mono_ms() + th_ms(ms);
        FILE *f;
        int pane = 0;

        snprintf(buf, sizeof buf, "tmux -L %s list-panes -t t -F '#{pane_pid}'", sock);
        f = popen(buf, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fscanf(f, "%d", &pane), 1);
        pclose(f);
        do {
                pid_t c = find_corral(pane, 3);

                if (c)
                        return c;
                usleep(20000);
        } while (mono_ms() < until);
        return 0;
}

/* pid has exited (and been reaped by its shell) within ms. */
static bool gone(pid_t pid, int ms)
{
        int64_t until = mono_ms() + th_ms(ms);
        char path[64], st[256];

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        do {
                FILE *f = fopen(path, "re");
                bool zombie = f && fgets(st, sizeof st, f) && strstr(st, ") Z ");

                if (f)
                        fclose(f);
                if (!f || zombie)
                        return true;
                usleep(20000);
        } while (mono_ms() < until);
        return false;
}

static long count_lines(const char *path)
{
        FILE *f = fopen(path, "re");
        long n = 0;
        int ch;

        ck_assert_ptr_nonnull(f);
        while ((ch = fgetc(f)) != EOF)
                n += ch == '\n';
        fclose(f);
        return n;
}

static void assert_same_file(const char *a, const char *b)
{
        if (sh("cmp -s %s %s", a, b) != 0) {
                sh("cmp -l %s %s | head -5 >&2; od -c %s | head -3 >&2; od -c %s | head -3 >&2", a,
                   b, a, b);
                ck_abort_msg("%s and %s differ", a, b);
        }
}

/* A shell under -t: a prompt, job control (sleep &, jobs, fg, Ctrl-C ends only the sleep;
 * Ctrl-Z stops its foreground job, not corral), its own devpts, the window size following a
 * resize, `exit 3` is corral's status, and the caller's terminal modes are as before. */
START_TEST(pty_session_job_control_size_and_modes)
{
        char cmd[1024];

        start_tmux("ttysession");
        snprintf(cmd, sizeof cmd,
                 "stty -g > %s/before; %s run --name %s -t -u root -e 'PS1=inner$ ' -- bash "
                 "--norc --noprofile; echo rc=$?; stty -g > %s/after",
                 dir, th_corral(), name, dir);
        type(cmd);
        ck_assert(wait_screen("inner$", 1, 10000));
        type("sleep 100 &");
        ck_assert(wait_screen("[1] ", 1, 5000));
        type("jobs");
        ck_assert(wait_screen("Running", 1, 5000));
        type("fg");
        ck_assert(wait_screen("sleep 100\n", 1, 5000));
        key("C-c");
        type("echo after-$((40+2)); jobs; echo jobs-done");
        ck_assert(wait_screen("jobs-done\n", 1, 5000));
        ck_assert(wait_screen("after-42", 1, 100));
        /* Ctrl-Z: the program's foreground job stops, corral does not */
        type("sleep 50");
        usleep(300000);
        key("C-z");
        ck_assert(wait_screen("Stopped", 1, 5000));
        type("kill %1; wait; echo killed-$((1+1))");
        ck_assert(wait_screen("killed-2", 1, 5000));
        type("echo pts:$(ls /dev/pts | tr '\\n' ' '):");
        ck_assert(wait_screen("pts:0 ptmx :", 1, 5000));
        ck_assert_int_eq(sh("tmux -L %s resize-window -t t -x 120 -y 40", sock), 0);
        usleep(300000);
        type("stty size");
        ck_assert(wait_screen("40 120", 1, 5000));
        type("exit 3");
        ck_assert(wait_screen("rc=3", 1, 10000));
        ck_assert(wait_screen("outer$", 2, 5000));
        {
                char a[96], b[96];

                snprintf(a, sizeof a, "%s/before", dir);
                snprintf(b, sizeof b, "%s/after", dir);
                assert_same_file(a, b);
        }
        stop_tmux();
        th_assert_tree_gone(name);
}
END_TEST

/* SIGTERM to corral mid-session: the cascade ends the program, and the caller's terminal
 * modes are as before. Ctrl-] three times: the cascade, said in the events. */
START_TEST(sigterm_and_escape_restore_the_terminal)
{
        char cmd[1024], a[96], b[96], events[96];
        pid_t c;

        start_tmux("ttyterm");
        snprintf(cmd, sizeof cmd,
                 "stty -g > %s/before; %s run --name %s -t -- sleep 100; echo rc=$?; stty -g > "
                 "%s/after",
                 dir, th_corral(), name, dir);
        type(cmd);
        c = corral_in_pane(5000);
        ck_assert_int_gt(c, 0);
        usleep(500000); /* (raw by now: the program started) */
        ck_assert_int_eq(kill(c, SIGTERM), 0);
        ck_assert(wait_screen("rc=130", 1, 15000)); /* sleep ends at the interrupt stage */
        snprintf(a, sizeof a, "%s/before", dir);
        snprintf(b, sizeof b, "%s/after", dir);
        ck_assert(wait_screen("outer$", 2, 5000));
        assert_same_file(a, b);
        th_assert_tree_gone(name);

        snprintf(events, sizeof events, "%s/events", dir);
        snprintf(cmd, sizeof cmd,
                 "%s run --name %s -v -t -- sh -c 'trap \"\" INT; sleep 100' 2> %s; echo "
                 "rc2=$?; stty -g > %s/after2",
                 th_corral(), name, events, dir);
        type(cmd);
        ck_assert_int_gt(corral_in_pane(5000), 0);
        usleep(500000);
        key("C-]");
        key("C-]");
        key("C-]");
        ck_assert(wait_screen("rc2=1", 1, 20000)); /* (143: its program ignores SIGINT) */
        ck_assert_msg(sh("grep -q 'why=\"Ctrl-\\] three times\"' %s", events) == 0,
                      "no cascade for the escape in %s", events);
        snprintf(b, sizeof b, "%s/after2", dir);
        ck_assert(wait_screen("outer$", 3, 5000));
        assert_same_file(a, b);
        stop_tmux();
        th_assert_tree_gone(name);
}
END_TEST

/* Without -t: Ctrl-Z in the caller's shell freezes the whole tree (cgroup.events: frozen 1, no
 * output meanwhile) and stops corral; fg thaws it and it goes on; a cascade afterwards still
 * completes within its bound. */
START_TEST(ctrl_z_freezes_the_tree_and_fg_thaws_it)
{
        char cmd[1024], out[96], events[96], leaf[512] = "", buf[8192];
        long before, after, resumed;
        FILE *f;
        pid_t c;

        start_tmux("ttyjob");
        snprintf(out, sizeof out, "%s/out", dir);
        snprintf(events, sizeof events, "%s/events", dir);
        snprintf(cmd, sizeof cmd,
                 "%s run --name %s --events json -- sh -c 'while :; do date +%%s%%N; sleep 0.1; "
                 "done' > %s 2> %s",
                 th_corral(), name, out, events);
        type(cmd);
        c = corral_in_pane(5000);
        ck_assert_int_gt(c, 0);
        usleep(800000);
        key("C-z");
        ck_assert(wait_screen("Stopped", 1, 5000));
        /* the leaf of the root actor, from its started event */
        f = fopen(events, "re");
        ck_assert_ptr_nonnull(f);
        while (fgets(buf, sizeof buf, f)) {
                char *n = strstr(buf, "\"node\":\"");

                if (strstr(buf, "\"event\":\"started\"") && n) {
                        n += 8;
                        snprintf(leaf, sizeof leaf, "%.*s/cgroup.events", (int)strcspn(n, "\""), n);
                }
        }
        fclose(f);
        ck_assert_msg(leaf[0], "no started event");
        ck_assert_msg(sh("grep -qx 'frozen 1' %s", leaf) == 0, "%s: not frozen", leaf);
        before = count_lines(out);
        usleep(1000000);
        after = count_lines(out);
        ck_assert_int_eq(before, after); /* nothing ran meanwhile */
        type("fg");
        usleep(1000000);
        resumed = count_lines(out);
        ck_assert_int_ne(resumed, after);
        ck_assert_msg(sh("grep -qx 'frozen 0' %s", leaf) == 0, "%s: still frozen", leaf);
        ck_assert_int_eq(kill(c, SIGTERM), 0);
        /* (bash runs nothing after a job that was stopped: corral's end is watched for) */
        ck_assert_msg(gone(c, 15000), "corral %d still runs", (int)c);
        if (sh("grep -q '\"event\":\"frozen\"' %s && grep -q '\"event\":\"thawed\"' %s && "
               "grep -q '\"event\":\"removed\"' %s",
               events, events, events) != 0) {
                sh("cat %s >&2", events);
                ck_abort_msg("no frozen, thawed and removed events (above)");
        }
        stop_tmux();
        th_assert_tree_gone(name);
}
END_TEST

/* Output through -t is what the same command gives under script(1) without corral, on the
 * same kind of pty (a pty rewrites newlines: like is compared with like). */
/* sh -c CMD with a stdin that stays open and silent: script(1) turns the end of its stdin
 * into an end-of-file character for its pty, which a program that reads no input echoes at
 * a moment of its own (and, under -t, through corral's raw terminal). Returns its status. */
static int sh_open_stdin(const char *cmd)
{
        int p[2], status = -1;
        pid_t pid;

        ck_assert_int_eq(pipe(p), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                dup2(p[0], 0);
                close(p[0]);
                close(p[1]);
                execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
                _exit(127);
        }
        close(p[0]);
        waitpid(pid, &status, 0);
        close(p[1]);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(output_matches_script)
{
        char a[96], b[96], prog[96], cmd[512];
        FILE *f;

        th_scratch("ttyscript", dir, sizeof dir);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        snprintf(prog, sizeof prog, "%s/prog", dir);
        f = fopen(prog, "we");
        ck_assert_ptr_nonnull(f);
        fputs("printf 'a\\nb\\tc\\n'; seq 1 2000 | tr -d '\\n'; echo; printf 'no newline'\n", f);
        fclose(f);
        snprintf(a, sizeof a, "%s/with", dir);
        snprintf(b, sizeof b, "%s/without", dir);
        snprintf(cmd, sizeof cmd,
                 "cd / && script -qfec '%s run -q -u root -t -- /bin/sh %s' /dev/null > %s",
                 th_corral(), prog, a);
        ck_assert_int_eq(sh_open_stdin(cmd), 0);
        snprintf(cmd, sizeof cmd, "cd / && script -qfec '/bin/sh %s' /dev/null > %s", prog, b);
        ck_assert_int_eq(sh_open_stdin(cmd), 0);
        ck_assert_msg(sh("grep -q 19992000 %s", a) == 0, "not the output in %s", a);
        assert_same_file(a, b);
}
END_TEST

static char script_in[96];

static void stdin_from(void *ctx)
{
        FILE *f = fopen(ctx, "re");

        if (!f || dup2(fileno(f), 0) < 0)
                _exit(99);
}

/* No terminal on the caller's side: the program still gets a pty of its own devpts (the
 * host's ptys out of sight); stdin is relayed, its end the pty's end of file. */
START_TEST(without_a_terminal_the_program_still_gets_one)
{
        const char *args[] = {"run", "--name", name, "-q", "-t", "--", "/bin/sh", NULL};
        struct th_proc p;
        FILE *f;

        th_scratch("ttynone", dir, sizeof dir);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        snprintf(script_in, sizeof script_in, "%s/in", dir);
        f = fopen(script_in, "we");
        ck_assert_ptr_nonnull(f);
        fputs("tty; ls /dev/pts | tr '\\n' ' '; echo :pts; test -t 0 && echo stdin-tty; exit 4\n",
              f);
        fclose(f);
        snprintf(name, sizeof name, "%s", th_tree_name("ttynone"));
        th_corral_start(&p, args, -1, stdin_from, script_in);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 4);
        ck_assert_msg(strstr(p.outbuf, "/dev/pts/0") && strstr(p.outbuf, "0 ptmx :pts") &&
                          strstr(p.outbuf, "stdin-tty"),
                      "%s%s", p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
        /* the control: without -t, no terminal */
        args[4] = "-q";
        th_corral_start(&p, args, -1, stdin_from, script_in);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 4);
        ck_assert_msg(strstr(p.outbuf, "not a tty") && !strstr(p.outbuf, "stdin-tty"), "%s%s",
                      p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

/* The "time" of the first event line holding `needle` (-1 when none). */
static double event_time(const char *buf, const char *needle)
{
        for (const char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *end = strchr(l, '\n');
                const char *hit = strstr(l, needle);
                const char *t = strstr(l, "\"time\":");

                if (hit && t && (!end || (hit < end && t < end)))
                        return strtod(t + 7, NULL);
        }
        return -1;
}

/* A cascade's deadline does not run while the user holds the tree frozen: the interrupt
 * stage (2 s) of a program that ignores SIGINT, frozen 3 s after it began, escalates only
 * after the thaw, by what was left of it. */
START_TEST(cascade_deadlines_wait_while_frozen)
{
        const char *args[] = {"run",
                              "--name",
                              name,
                              "--events",
                              "json",
                              "--set",
                              "TimeoutInterruptSec=2s",
                              "--",
                              "/bin/sh",
                              "-c",
                              "trap '' INT; echo ready; sleep 100",
                              NULL};
        double interrupt, frozen, thawed, terminate;
        struct th_proc p;

        snprintf(name, sizeof name, "%s", th_tree_name("ttyfrozen"));
        th_corral_start(&p, args, -1, NULL, NULL);
        ck_assert(th_wait_for(&p, true, "ready", 5000)); /* (its trap is set) */
        ck_assert_int_eq(kill(p.pid, SIGINT), 0);
        ck_assert(th_wait_for(&p, false, "\"interrupt\"", 5000));
        ck_assert_int_eq(kill(p.pid, SIGTSTP), 0);
        ck_assert(th_wait_for(&p, false, "\"frozen\"", 5000));
        usleep(3000000);
        ck_assert_int_eq(kill(p.pid, SIGCONT), 0);
        ck_assert_msg(th_corral_wait(&p, 20000) == 143, "%s", p.errbuf);
        interrupt = event_time(p.errbuf, "\"stage\":\"interrupt\"");
        frozen = event_time(p.errbuf, "\"event\":\"frozen\"");
        thawed = event_time(p.errbuf, "\"event\":\"thawed\"");
        terminate = event_time(p.errbuf, "\"stage\":\"terminate\"");
        ck_assert_msg(interrupt >= 0 && frozen > interrupt && thawed > frozen + 2.5 &&
                          terminate > thawed,
                      "%s", p.errbuf);
        /* what was left of the 2 s when it froze, give or take the scheduler */
        ck_assert_msg(terminate - thawed > 2.0 - (frozen - interrupt) - 0.3, "%s", p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

static Suite *tty_suite(void)
{
        Suite *s = suite_create("corral-tty-privileged");
        TCase *tc = tcase_create("tty");

        tcase_set_timeout(tc, 120);
        tcase_add_unchecked_fixture(tc, NULL, stop_tmux);
        tcase_add_test(tc, without_a_terminal_the_program_still_gets_one);
        tcase_add_test(tc, output_matches_script);
        tcase_add_test(tc, pty_session_job_control_size_and_modes);
        tcase_add_test(tc, sigterm_and_escape_restore_the_terminal);
        tcase_add_test(tc, ctrl_z_freezes_the_tree_and_fg_thaws_it);
        tcase_add_test(tc, cascade_deadlines_wait_while_frozen);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {tty_suite};

        runner = getpid();
        snprintf(sock, sizeof sock, "corral-test-%d", (int)runner); /* (the teardown's) */
        if (system("command -v tmux >/dev/null && command -v script >/dev/null") != 0) {
                fprintf(stderr, "test_tty: NOT RUN: tmux and script(1) are needed (make deps "
                                "installs them)\n");
                return getenv("CORRAL_REQUIRE_PRIVILEGED") ? 1 : 77;
        }
        return th_run("test_tty", TH_PRIVILEGED, suites, 1);
}
