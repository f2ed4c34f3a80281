/* Crash safety of a spawn (privileged): the supervisor of `corral run -- <program>` is killed
 * with SIGKILL at each of its own system calls in turn, and after each, one `corral gc`
 * leaves no node in any hierarchy and no record, a second `corral gc` has nothing to say,
 * and the same tree name runs again.
 *
 * The calls are enumerated from one traced run (strace without -f: the supervisor only, not
 * its zygote or shims) as (syscall, n-th invocation of it); each is then killed with
 * `strace -e inject=SYSCALL:signal=KILL:when=N`, whose counter is per syscall. A run that
 * does not reach that invocation (the loop's turns vary) simply ends normally. Once with the
 * default profile, once with a limit (TasksMax=, which on a hybrid host puts the actor in a
 * v1 group too). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/timeutil.h"
#include "harness.h"

#define MAX_POINTS 2048

struct point {
        char sys[32];
        int nth;
};

/* LeakSanitizer cannot run under ptrace (it stops with a fatal error and a report of its
 * own): in a sanitized build, the traced runs of corral go without it. A run killed with
 * SIGKILL never gets to a leak check anyway; every other test checks for leaks. */
static void no_leak_check_under_ptrace(void)
{
        const char *o = getenv("ASAN_OPTIONS");
        char buf[4096];

        if (!o)
                return;
        snprintf(buf, sizeof buf, "%s:detect_leaks=0", o);
        setenv("ASAN_OPTIONS", buf, 1);
}

/* Runs argv with stdout and stderr into out (NUL-terminated, truncated); returns the wait
 * status. */
static int run_capture(const char *const *argv, char *out, size_t len)
{
        int p[2], status = 0;
        size_t got = 0;
        ssize_t n;
        pid_t pid;

        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY);

                dup2(null, 0);
                dup2(p[1], 1);
                dup2(p[1], 2);
                if (strcmp(argv[0], "strace") == 0)
                        no_leak_check_under_ptrace();
                execvp(argv[0], (char *const *)argv);
                _exit(127);
        }
        close(p[1]);
        while ((n = read(p[0], out + got, len - 1 - got)) > 0 && got + (size_t)n < len - 1)
                got += (size_t)n;
        if (n > 0)
                got += (size_t)n;
        out[got] = '\0';
        {
                char sink[4096];

                while (read(p[0], sink, sizeof sink) > 0)
                        ;
        }
        close(p[0]);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        return status;
}

static bool have_strace(void)
{
        char out[256];
        const char *argv[] = {"strace", "-V", NULL};

        return run_capture(argv, out, sizeof out) == 0;
}

/* The supervisor's syscalls in one run, as (name, invocation number). */
static int enumerate(const char *name, const char *set, struct point *pts, char *actor)
{
        char trace[64], out[4096], line[4096];
        const char *argv[16];
        int n = 0, np = 0;
        FILE *f;

        snprintf(trace, sizeof trace, "/tmp/corral-ctest-crash-%d.trace", (int)getpid());
        argv[n++] = "strace";
        argv[n++] = "-qq";
        argv[n++] = "-o";
        argv[n++] = trace;
        argv[n++] = th_corral();
        argv[n++] = "run";
        argv[n++] = "--name";
        argv[n++] = name;
        if (set) {
                argv[n++] = "--set";
                argv[n++] = set;
        }
        argv[n++] = "--";
        argv[n++] = actor;
        argv[n++] = "exit";
        argv[n++] = "0";
        argv[n] = NULL;
        ck_assert_msg(run_capture(argv, out, sizeof out) == 0, "traced run failed:\n%s", out);
        f = fopen(trace, "re");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof line, f) && np < MAX_POINTS) {
                size_t k = strcspn(line, "(");
                int nth = 1;

                if (line[k] != '(' || k == 0 || k >= sizeof pts[0].sys)
                        continue; /* "+++ exited", "--- SIGCHLD" */
                for (int i = 0; i < np; i++)
                        nth += strncmp(pts[i].sys, line, k) == 0 && pts[i].sys[k] == '\0';
                snprintf(pts[np].sys, sizeof pts[np].sys, "%.*s", (int)k, line);
                pts[np++].nth = nth;
        }
        fclose(f);
        unlink(trace);
        ck_assert_int_gt(np, 100);
        return np;
}

/* Nothing of tree `name` in any hierarchy, and no record. */
static void assert_nothing_left(const char *name, const struct point *pt)
{
        char path[PATH_MAX];

        for (int h = -1; h < CG_NCTRL; h++) {
                const char *own = h < 0 ? th_deleg.own_dir : th_host.ctrl[h].v1.own_dir;

                if (h >= 0 && (th_host.ctrl[h].src != CG_SRC_V1 || !own[0]))
                        continue;
                ck_assert_msg(!th_tree_node(own, name, path, sizeof path)[0],
                              "killed at %s #%d: corral gc left %s", pt->sys, pt->nth, path);
        }
        snprintf(path, sizeof path, "%s/%s.json", th_registry(), name);
        ck_assert_msg(access(path, F_OK) < 0, "killed at %s #%d: corral gc left %s", pt->sys,
                      pt->nth, path);
}

static void crash_each_call(const char *set)
{
        static struct point pts[MAX_POINTS];
        char name[64], actor[PATH_MAX], corral[PATH_MAX], out[8192], inject[96], trace[48];
        int np, killed = 0, cleaned = 0;
        int64_t t0 = mono_ms();

        if (!have_strace()) {
                /* strace comes with `make deps`; without it this test proves nothing */
                ck_abort_msg("strace is not installed: the crash points cannot be enumerated "
                             "(make deps installs it)");
        }
        snprintf(actor, sizeof actor, "%s", th_actor());
        snprintf(corral, sizeof corral, "%s", th_corral());
        snprintf(name, sizeof name, "%s", th_tree_name(set ? "crash-limits" : "crash"));
        np = enumerate(name, set, pts, actor);
        for (int i = 0; i < np; i++) {
                const char *kill_run[20], *gc[] = {corral, "gc", NULL};
                const char *again[] = {corral, "run",  "--name", name, "--",
                                       actor,  "exit", "0",      NULL};
                int n = 0, st;

                snprintf(trace, sizeof trace, "trace=%s", pts[i].sys);
                snprintf(inject, sizeof inject, "inject=%s:signal=KILL:when=%d", pts[i].sys,
                         pts[i].nth);
                kill_run[n++] = "strace";
                kill_run[n++] = "-qq";
                kill_run[n++] = "-o";
                kill_run[n++] = "/dev/null";
                kill_run[n++] = "-e";
                kill_run[n++] = trace;
                kill_run[n++] = "-e";
                kill_run[n++] = inject;
                kill_run[n++] = corral;
                kill_run[n++] = "run";
                kill_run[n++] = "--name";
                kill_run[n++] = name;
                if (set) {
                        kill_run[n++] = "--set";
                        kill_run[n++] = set;
                }
                kill_run[n++] = "--";
                kill_run[n++] = actor;
                kill_run[n++] = "exit";
                kill_run[n++] = "0";
                kill_run[n] = NULL;
                st = run_capture(kill_run, out, sizeof out);
                if ((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
                    (WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGKILL))
                        killed++;
                /* one gc removes everything the dead supervisor left */
                st = run_capture(gc, out, sizeof out);
                ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                              "killed at %s #%d: corral gc exited %d:\n%s", pts[i].sys, pts[i].nth,
                              WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
                cleaned += strstr(out, "removed tree") != NULL;
                assert_nothing_left(name, &pts[i]);
                /* a second gc has nothing to do, and says nothing */
                st = run_capture(gc, out, sizeof out);
                ck_assert_msg(st == 0 && out[0] == '\0',
                              "killed at %s #%d: a second corral gc said:\n%s", pts[i].sys,
                              pts[i].nth, out);
                /* the name runs again */
                st = run_capture(again, out, sizeof out);
                ck_assert_msg(st == 0, "killed at %s #%d: the name does not run again:\n%s",
                              pts[i].sys, pts[i].nth, out);
                assert_nothing_left(name, &pts[i]);
        }
        fprintf(stderr,
                "crash points%s%s: %d calls, %d killed runs, gc removed a tree after %d, %lld "
                "ms\n",
                set ? " with " : "", set ? set : "", np, killed, cleaned,
                (long long)(mono_ms() - t0));
        /* the enumeration hit the supervisor: most calls killed it, and many left a tree */
        ck_assert_int_ge(killed, np * 3 / 4);
        ck_assert_int_gt(cleaned, 10);
}

START_TEST(sigkill_at_every_supervisor_call_default_profile)
{
        crash_each_call(NULL);
}
END_TEST

START_TEST(sigkill_at_every_supervisor_call_with_limits)
{
        crash_each_call("TasksMax=50");
}
END_TEST

static Suite *crash_suite(void)
{
        Suite *s = suite_create("crash-privileged");
        TCase *tc = tcase_create("crash");

        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, sigkill_at_every_supervisor_call_default_profile);
        tcase_add_test(tc, sigkill_at_every_supervisor_call_with_limits);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {crash_suite};

        return th_run("test_crash", TH_PRIVILEGED, suites, 1);
}
