/* Privileged tests of how a tree ends when its programs do not cooperate (DESIGN §6): the kill
 * stage ends a program that ignores SIGINT and SIGTERM and whatever else was put in its node,
 * a process the kernel cannot kill in time is reported (stuck: corral exits 125, the nodes
 * stay for `corral gc`), and a supervisor killed with SIGKILL takes every actor with it within
 * a second. Every test ends with the leak check.
 *
 * The helper processes are the test's own children. Check ends a test at a failed assert with
 * no teardown, so CHECK() cleans up first (corral, the helper, the freezer group, the tree). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "output_support.h"
#include "../ns/timeutil.h"

static char name[64];
static char actor[PATH_MAX]; /* th_actor(), kept: the harness reuses its buffer */
static struct th_proc p = {.pidfd = -1};
static struct ot_prep pr = {.stdin_fd = -1}; /* corral's signals at their defaults */
static pid_t helper = -1, watchdog = -1;
static int watchdog_fd = -1;
static char group[PATH_MAX]; /* our v1 freezer group ("" when none) */

static int write_file(const char *dir, const char *file, const char *text)
{
        char path[PATH_MAX + 64];
        int fd, rc;

        snprintf(path, sizeof path, "%s/%s", dir, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        rc = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
        close(fd);
        return rc;
}

/* Thaws our freezer group, kills what is in it (our helper only) and removes it: bounded,
 * and nothing to do once it is gone. */
static void drop_group(void)
{
        char procs[PATH_MAX + 16];

        snprintf(procs, sizeof procs, "%s/cgroup.procs", group);
        for (int i = 0; group[0] && i < 500; i++) {
                FILE *f = fopen(procs, "re");
                int pid;

                while (f && fscanf(f, "%d", &pid) == 1)
                        kill(pid, SIGKILL);
                if (f)
                        fclose(f);
                write_file(group, "freezer.state", "THAWED");
                if (rmdir(group) == 0 || errno == ENOENT)
                        break;
                usleep(10000);
        }
}

/* waitpid for ms at most: the status, or -1 while it still runs. */
static int reap(pid_t pid, int ms)
{
        int64_t end = mono_ms() + th_ms(ms);
        int st = -1;
        pid_t w;

        while ((w = waitpid(pid, &st, WNOHANG)) == 0 && mono_ms() < end)
                usleep(10000);
        return w == pid ? st : -1;
}

/* Ends and removes everything the test started, before a failed check ends the test. */
static void cleanup(void)
{
        if (p.pidfd >= 0) {
                kill(p.pid, SIGKILL);
                waitpid(p.pid, NULL, 0);
                p.pidfd = -1;
        }
        if (helper > 0)
                kill(helper, SIGKILL);
        drop_group(); /* a frozen helper gets its SIGKILL once thawed */
        if (helper > 0 && reap(helper, 5000) == -1)
                fprintf(stderr, "test_teardown: helper %d did not die\n", (int)helper);
        helper = -1;
        if (watchdog > 0) {
                close(watchdog_fd);
                reap(watchdog, 5000);
                watchdog = -1;
        }
        th_clean_tree(name);
}

#define CHECK(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        int e_ = errno; /* for %m */                                               \
                        cleanup();                                                                 \
                        errno = e_;                                                                \
                        ck_abort_msg(__VA_ARGS__);                                                 \
                }                                                                                  \
        } while (0)

/* A child of the test, outside every actor's namespaces: it ignores SIGINT and SIGTERM and
 * lives 60 s at most (and no longer than the test). */
static pid_t start_helper(void)
{
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                signal(SIGINT, SIG_IGN);
                signal(SIGTERM, SIG_IGN);
                alarm(60);
                for (;;)
                        pause();
        }
        return pid;
}

/* Puts a process into a cgroup (v2 leaf or v1 group). */
static int move_to(const char *dir, pid_t pid)
{
        char text[32];

        snprintf(text, sizeof text, "%d\n", (int)pid);
        return write_file(dir, "cgroup.procs", text);
}

/* Reads corral's output for ms (waiting for a needle that never comes: JSON escapes \x01). */
static void pump(int ms)
{
        th_wait_for(&p, false, "\x01", ms);
}

/* Waits (reading corral's output) until corral exits: its status, or -1 after ms. */
static int wait_exit(int ms)
{
        struct pollfd pf = {.fd = p.pidfd, .events = POLLIN};

        for (int64_t end = mono_ms() + th_ms(ms); poll(&pf, 1, 0) == 0; pump(20)) {
                if (mono_ms() >= end)
                        return -1;
        }
        return th_corral_wait(&p, 1000);
}

/* `corral gc` names the tree a dead (or stuck) supervisor left, and removes all of it. (Every
 * corral that starts sweeps such trees once they are empty, with the same code: another
 * corral starting on this host between the thaw and our gc may have removed it first, which
 * is said, and the tree must be gone either way.) */
static void gc(void)
{
        const char *args[] = {"gc", NULL};
        int rc;

        th_corral_start(&p, args, -1, ot_prep_child, &pr);
        rc = th_corral_wait(&p, 20000);
        CHECK(rc == 0, "corral gc: %d\n%s%s", rc, p.outbuf, p.errbuf);
        if (!strstr(p.outbuf, name))
                fprintf(stderr,
                        "test_teardown: %s was removed before our gc ran (by another "
                        "corral's sweep of dead supervisors' trees)\n",
                        name);
        th_assert_tree_gone(name);
}

/* Starts `corral run` of the test actor and waits for its started event; leaf: its node. */
static void start(const char *what, const char *const *extra, const char *const *prog, char *leaf,
                  size_t len)
{
        th_run_actor(&p, name, what, extra, prog, ot_prep_child, &pr);
        CHECK(th_wait_for(&p, false, "\"event\":\"started\"", 15000), "no started event:\n%s",
              p.errbuf);
        th_event(&p, "started", "node", leaf, len);
        CHECK(leaf[0] == '/', "no node in the started event:\n%s", p.errbuf);
}

/* ---- 1. the kill stage ends what ignores every signal, whoever started it ---- */

/* A user whose program ignores SIGINT and SIGTERM still gets it ended on Ctrl-C, within the
 * stage timeouts, and with it a process that was put into its node from outside (not in its
 * PID namespace, so no signal through the shim reaches it): cgroup.kill does. */
START_TEST(stage4_kills_ignorer_and_a_process_moved_in_from_outside)
{
        const char *extra[] = {
            "--set", "TimeoutInterruptSec=0.5s", "--set", "TimeoutTerminateSec=0.5s",
            "--set", "TimeoutKillSec=5s",        NULL};
        const char *prog[] = {"ignore", "INT,TERM", "60", NULL};
        const char *stages[] = {"interrupt", "terminate", "kill"};
        char leaf[PATH_MAX];
        int rc, st;

        start("ignorer", extra, prog, leaf, sizeof leaf);
        CHECK(th_wait_for(&p, true, "ready\n", 15000), "the actor never got ready:\n%s", p.errbuf);
        helper = start_helper();
        CHECK(move_to(leaf, helper) == 0, "moving %d into %s: %m", (int)helper, leaf);
        kill(p.pid, SIGINT);
        rc = wait_exit(20000);
        CHECK(rc == 128 + SIGKILL, "corral: %d (want 137); events:\n%s", rc, p.errbuf);
        for (int i = 0; i < 3; i++)
                CHECK(th_event_count(&p, "cascade", "stage", stages[i]) == 1,
                      "want one %s stage; events:\n%s", stages[i], p.errbuf);
        CHECK(th_event_count(&p, "exited", "reason", "killed (signaled SIGKILL)") == 1,
              "events:\n%s", p.errbuf);
        st = reap(helper, 5000);
        CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
              "the helper: status %#x (want SIGKILL)", st);
        helper = -1;
        th_assert_tree_gone(name);
}
END_TEST

/* ---- 2. what even SIGKILL cannot end in time is reported, and left for gc ---- */

/* Our own group in the v1 freezer hierarchy, from /proc/self/cgroup and mountinfo ("" when the
 * host has none). */
static void freezer_own_dir(char *out, size_t len)
{
        char line[2 * PATH_MAX], own[PATH_MAX] = "";
        FILE *f = fopen("/proc/self/cgroup", "re");

        out[0] = '\0';
        while (f && fgets(line, sizeof line, f)) {
                char *ctrls = strchr(line, ':'), *path = ctrls ? strchr(ctrls + 1, ':') : NULL;

                if (!path)
                        continue;
                *path++ = '\0';
                path[strcspn(path, "\n")] = '\0';
                if (cg_opts_has(ctrls + 1, "freezer"))
                        snprintf(own, sizeof own, "%s", path);
        }
        if (f)
                fclose(f);
        f = own[0] ? fopen("/proc/self/mountinfo", "re") : NULL;
        while (f && fgets(line, sizeof line, f)) {
                struct mountinfo_entry e;
                size_t rl;

                if (mountinfo_parse_line(line, &e) < 0 || strcmp(e.fstype, "cgroup") != 0 ||
                    !cg_opts_has(e.super_opts, "freezer"))
                        continue;
                rl = strcmp(e.root, "/") == 0 ? 0 : strlen(e.root);
                if (strncmp(own, e.root, rl) != 0 || (own[rl] != '/' && own[rl] != '\0'))
                        continue; /* a mount of another sub-tree */
                snprintf(out, len, "%s%s", e.mount, strcmp(own + rl, "/") == 0 ? "" : own + rl);
                break;
        }
        if (f)
                fclose(f);
}

/* Our freezer group and its watchdog: false (after saying what was not run, or failing with
 * CORRAL_REQUIRE_PRIVILEGED=1) when the host has no v1 freezer. */
static bool freezer_ready(const char *test)
{
        char fz[PATH_MAX];
        int fds[2];

        freezer_own_dir(fz, sizeof fz);
        if (!fz[0]) {
                const char *req = getenv("CORRAL_REQUIRE_PRIVILEGED");

                ck_assert_msg(!(req && strcmp(req, "1") == 0),
                              "no v1 freezer hierarchy (CORRAL_REQUIRE_PRIVILEGED=1)");
                fprintf(stderr,
                        "\n*** test_teardown: %s NOT RUN: the host has no cgroup v1 freezer "
                        "hierarchy (it freezes a process so that SIGKILL cannot end it).\n\n",
                        test);
                return false;
        }
        snprintf(group, sizeof group, "%s/corral-test-freeze-%d", fz, (int)getpid());
        ck_assert_msg(mkdir(group, 0755) == 0, "mkdir %s: %m", group);
        /* a watchdog in a session of its own: when the test ends abruptly (Check's timeout
         * kills our process group; a frozen helper would stay frozen), the pipe closes and it
         * thaws, kills and removes the group */
        CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe: %m");
        watchdog = fork();
        CHECK(watchdog >= 0, "fork: %m");
        if (watchdog == 0) {
                char c;

                close(fds[1]);
                setsid();
                while (read(fds[0], &c, 1) < 0 && errno == EINTR)
                        ;
                drop_group();
                _exit(0);
        }
        close(fds[0]);
        watchdog_fd = fds[1];
        return true;
}

/* A helper in the actor's leaf and in our freezer group, frozen: SIGKILL cannot end it. */
static void frozen_helper_in(const char *leaf)
{
        char state[32] = "";

        helper = start_helper();
        CHECK(move_to(leaf, helper) == 0, "moving %d into %s: %m", (int)helper, leaf);
        CHECK(move_to(group, helper) == 0, "moving %d into %s: %m", (int)helper, group);
        CHECK(write_file(group, "freezer.state", "FROZEN") == 0, "freezing: %m");
        for (int i = 0; i < 500 && strcmp(state, "FROZEN") != 0; i++) {
                char path[PATH_MAX + 16];
                FILE *f;

                usleep(10000);
                snprintf(path, sizeof path, "%s/freezer.state", group);
                f = fopen(path, "re");
                if (f && fgets(state, sizeof state, f))
                        state[strcspn(state, "\n")] = '\0';
                if (f)
                        fclose(f);
        }
        CHECK(strcmp(state, "FROZEN") == 0, "the helper is %s, not FROZEN", state);
}

/* Thawed, the helper dies of the SIGKILL it has pending: then gc removes the rest. */
static void thaw_and_gc(void)
{
        int st;

        CHECK(write_file(group, "freezer.state", "THAWED") == 0, "thawing: %m");
        st = reap(helper, 5000);
        CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
              "the helper: status %#x (want SIGKILL)", st);
        helper = -1;
        drop_group();
        CHECK(access(group, F_OK) < 0, "%s: cannot remove it", group);
        close(watchdog_fd);
        st = reap(watchdog, 5000);
        watchdog = -1;
        CHECK(st != -1, "the watchdog did not end");
        gc();
}

/* A frozen process (cgroup v1 freezer) that the kill cannot end: after TimeoutKillSec, the
 * user is told which process is stuck, where, and corral exits 125, keeping the nodes; once
 * the process is gone, `corral gc` removes what is left. */
START_TEST(stuck_when_a_frozen_process_survives_the_kill)
{
        const char *extra[] = {
            "--set", "TimeoutInterruptSec=0.3s", "--set", "TimeoutTerminateSec=0.3s",
            "--set", "TimeoutKillSec=1s",        NULL};
        const char *prog[] = {"sleep", "60", NULL};
        char leaf[PATH_MAX], pids[4096] = ",", want[32];
        struct stat sb;
        int rc;

        if (!freezer_ready("stuck_when_a_frozen_process_survives_the_kill"))
                return;
        start("stuck", extra, prog, leaf, sizeof leaf);
        frozen_helper_in(leaf);
        kill(p.pid, SIGINT);
        rc = wait_exit(20000);
        CHECK(rc == 125, "corral: %d (want 125); events:\n%s", rc, p.errbuf);
        CHECK(th_event_count(&p, "stuck", NULL, NULL) == 1, "events:\n%s", p.errbuf);
        th_event(&p, "stuck", "pids", pids + 1, sizeof pids - 1); /* "pid:wchan,..." */
        snprintf(want, sizeof want, ",%d:", (int)helper);
        CHECK(strstr(pids, want), "the stuck event does not name %d; events:\n%s", (int)helper,
              p.errbuf);
        *strrchr(leaf, '/') = '\0'; /* the actor's node */
        CHECK(stat(leaf, &sb) == 0, "%s is gone after a stuck teardown", leaf);
        thaw_and_gc();
}
END_TEST

/* A child's cascade that is stuck (its parent cancelled it; nothing enclosing it runs) is told
 * to the parent as CHILD_EXITED with reason `stuck`, rather than never: a cooperative parent
 * waiting for it is not kept waiting. */
START_TEST(stuck_child_is_told_to_its_parent)
{
        const char *extra[] = {
            "--set", "TimeoutCancelSec=0.3s",    "--set", "TimeoutInterruptSec=0.3s",
            "--set", "TimeoutTerminateSec=0.3s", "--set", "TimeoutKillSec=1s",
            NULL};
        const char *prog[] = {"parent", "1", "ready", "-", actor, "stubborn", "60", NULL};
        char leaf[PATH_MAX], shim[32];
        const char *l;
        int rc;

        snprintf(actor, sizeof actor, "%s", th_actor());
        if (!freezer_ready("stuck_child_is_told_to_its_parent"))
                return;
        start("stuckchild", extra, prog, leaf, sizeof leaf);
        th_event(&p, "started", "pid", shim, sizeof shim); /* the root's shim */
        CHECK(th_wait_for(&p, true, "ready 2\n", 15000), "the child never said HELLO:\n%s",
              p.errbuf);
        l = strstr(p.errbuf, "\"id\":2,");
        CHECK(l && strstr(l, "\"node\":\""), "no started event of the child:\n%s", p.errbuf);
        l = strstr(l, "\"node\":\"") + 8;
        snprintf(leaf, sizeof leaf, "%.*s", (int)strcspn(l, "\""), l);
        frozen_helper_in(leaf);
        /* the root program itself is interrupted (not corral): it cancels its child */
        kill(th_program_pid(atoi(shim)), SIGINT);
        rc = wait_exit(20000);
        CHECK(rc == 125, "corral: %d (want 125); events:\n%s", rc, p.errbuf);
        CHECK(th_has_line(p.outbuf, "child 2 stuck 130"), "out:\n%s\nevents:\n%s", p.outbuf,
              p.errbuf);
        /* the child's, and then the tree's once the root ended */
        CHECK(th_event_count(&p, "stuck", NULL, NULL) == 2, "events:\n%s", p.errbuf);
        thaw_and_gc();
}
END_TEST

/* ---- 3. a killed supervisor takes its whole tree with it ---- */

/* Appends the pids in every cgroup.procs at or below dir; returns how many there are now. */
static int collect(const char *dir, pid_t *pids, int n, int max)
{
        char path[PATH_MAX];
        struct dirent *de;
        FILE *f;
        DIR *d;
        int pid;

        snprintf(path, sizeof path, "%s/cgroup.procs", dir);
        f = fopen(path, "re");
        while (f && fscanf(f, "%d", &pid) == 1)
                if (n < max)
                        pids[n++] = pid;
        if (f)
                fclose(f);
        d = opendir(dir);
        while (d && (de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                n = collect(path, pids, n, max);
        }
        if (d)
                closedir(d);
        return n;
}

/* The first of pids still running, or 0: gone (ESRCH) or a zombie (its new parent has yet to
 * reap it). state: what /proc/PID/stat says of it. */
static pid_t alive(const pid_t *pids, int n, char *state)
{
        for (int i = 0; i < n; i++) {
                char path[64], buf[512] = "", *paren;
                FILE *f;

                snprintf(path, sizeof path, "/proc/%d/stat", (int)pids[i]);
                if ((kill(pids[i], 0) < 0 && errno == ESRCH) || !(f = fopen(path, "re")))
                        continue;
                if (!fgets(buf, sizeof buf, f))
                        buf[0] = '\0';
                fclose(f);
                paren = strrchr(buf, ')');
                *state = '?';
                if (paren && paren[1] == ' ')
                        *state = paren[2];
                if (*state != 'Z' && *state != 'X')
                        return pids[i];
        }
        return 0;
}

/* SIGKILL leaves the supervisor no time to cascade: every shim notices its parent's death and
 * takes its PID namespace down with it. A user who kills corral -9 is left with no process of
 * the tree (only nodes and the registry record, for `corral gc`). */
START_TEST(supervisor_sigkill_ends_every_actor_within_a_second)
{
        const char *prog[] = {"parent", "4", "now", "-",     actor, "parent", "4",
                              "now",    "-", actor, "sleep", "60",  NULL};
        static pid_t pids[1024], left[1024];
        char node[PATH_MAX];
        int64_t t0, took;
        int n, nleft;
        char state = '-';
        pid_t still;

        snprintf(actor, sizeof actor, "%s", th_actor());
        start("sigkill", NULL, prog, node, sizeof node);
        for (int64_t end = mono_ms() + th_ms(30000);
             th_event_count(&p, "started", NULL, NULL) < 21 && mono_ms() < end;)
                pump(20);
        CHECK(th_event_count(&p, "started", NULL, NULL) == 21, "want 21 actors; events:\n%s",
              p.errbuf);
        *strrchr(node, '/') = '\0'; /* the root actor's node: every actor's is below it */
        n = collect(node, pids, 0, 1024);
        CHECK(n >= 21, "only %d processes below %s", n, node);

        t0 = mono_ms();
        kill(p.pid, SIGKILL);
        waitpid(p.pid, NULL, 0);
        do {
                still = alive(pids, n, &state);
                nleft = collect(node, left, 0, 1024);
                took = mono_ms() - t0;
                if (!still && !nleft)
                        break;
                usleep(10000);
        } while (took <= th_ms(1000));
        close(p.pidfd);
        close(p.err);
        close(p.out);
        p.pidfd = -1;
        fprintf(stderr, "test_teardown: %d processes of 21 actors gone %lld ms after SIGKILL\n", n,
                (long long)took);
        CHECK(!still && !nleft,
              "%lld ms after SIGKILL: pid %d still in state %c, %d process(es) still below %s "
              "(the first: %d)",
              (long long)took, (int)still, still ? state : '-', nleft, node,
              nleft ? (int)left[0] : 0);
        gc();
}
END_TEST

static Suite *teardown_suite(void)
{
        Suite *s = suite_create("corral-teardown-privileged");
        TCase *tc = tcase_create("teardown");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, stage4_kills_ignorer_and_a_process_moved_in_from_outside);
        tcase_add_test(tc, stuck_when_a_frozen_process_survives_the_kill);
        tcase_add_test(tc, stuck_child_is_told_to_its_parent);
        tcase_add_test(tc, supervisor_sigkill_ends_every_actor_within_a_second);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {teardown_suite};

        return th_run("test_teardown", TH_PRIVILEGED, suites, 1);
}
