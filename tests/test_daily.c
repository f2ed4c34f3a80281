/* Privileged tests of corral run's flags and keys for daily use (the bwrap / systemd-run
 * vocabulary): each flag acts as the key it stands for, and each has its error path.
 * RuntimeMaxSec= (--timeout) starts the cascade on expiry, the end is reported `timed-out`,
 * and corral run exits 124 as timeout(1) does. Every test ends with the leak check. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../ns/timeutil.h"
#include "../policy/policy.h"
#include "../spawner/identity.h"
#include "harness.h"
#include "output_support.h"

static char name[64];
static char actor[PATH_MAX];
static char policy[PATH_MAX];

START_TEST(timeout_cancels_the_tree_and_exits_124)
{
        const char *sleep30[] = {"sleep", "30", NULL};
        const char *exit0[] = {"exit", "0", NULL};
        const char *t05[] = {"--timeout", "0.5s", NULL};
        const char *t30[] = {"--timeout", "30s", NULL};
        char reason[160];
        struct th_proc p;
        int64_t t0 = mono_ms();

        th_run_actor(&p, name, "timeout", t05, sleep30, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 124);
        ck_assert_msg(mono_ms() - t0 < th_ms(10000), "the timeout did not fire in time");
        th_event(&p, "exited", "reason", reason, sizeof reason);
        ck_assert_str_eq(reason, "timed-out (interrupted, signaled SIGINT)");
        ck_assert_int_eq(th_event_count(&p, "cascade", "why", "RuntimeMaxSec=500ms expired"), 1);
        th_assert_tree_gone(name);
        /* control: a program that ends in time keeps its own status */
        th_run_actor(&p, name, "intime", t30, exit0, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_int_eq(th_event_count(&p, "cascade", NULL, NULL), 0);
        th_assert_tree_gone(name);
}
END_TEST

/* A child's own RuntimeMaxSec= cancels its subtree only; its parent hears `timed-out`. */
START_TEST(child_runtime_max_reaches_its_parent)
{
        const char *prog[] = {"parent", "1", "now", "short", actor, "sleep", "30", NULL};
        const char *extra[] = {"-p", policy, "--profile", "root", NULL};
        struct th_proc p;

        snprintf(actor, sizeof actor, "%s", th_actor());
        ot_write_policy(policy, sizeof policy, "daily",
                        "[profile root]\nSpawnProfiles = short\n\n"
                        "[profile short]\nRuntimeMaxSec = 0.5s\n");
        th_run_actor(&p, name, "childmax", extra, prog, NULL, NULL);
        /* the root saw its child fail (it did not cancel it itself) */
        ck_assert_int_eq(th_corral_wait(&p, 20000), 1);
        ck_assert_msg(th_has_line(p.outbuf, "child 2 timed-out 130"), "out:\n%s\nevents:\n%s",
                      p.outbuf, p.errbuf);
        ck_assert_int_eq(th_event_count(&p, "exited", "reason", "exited 1"), 1);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

START_TEST(setenv_chdir_user_act_as_their_keys)
{
        const char *sh[] = {"/bin/sh", "-c", "echo \"A=[$A] pwd=$(pwd) id=$(id -un)\"", NULL};
        const char *flags[] = {"-e", "A=b \"c\" d", "-C", "/usr", "-u", "nobody", NULL};
        const char *args[16];
        struct th_proc p;
        size_t n = 0;

        snprintf(name, sizeof name, "%s", th_tree_name("flags"));
        for (const char *const *f = (const char *const[]){"run", "--name", name, "-q", NULL}; *f;
             f++)
                args[n++] = *f;
        for (size_t i = 0; flags[i]; i++)
                args[n++] = flags[i];
        args[n++] = "--";
        for (size_t i = 0; sh[i]; i++)
                args[n++] = sh[i];
        args[n] = NULL;
        th_corral_start(&p, args, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "A=[b \"c\" d] pwd=/usr id=nobody"), "out:\n%s\n%s",
                      p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

static void set_vars(void *ctx)
{
        (void)ctx;
        setenv("TK", "kept", 1);
        setenv("TG", "there", 1);
}

static char big_value[10001];

static void set_big(void *ctx)
{
        (void)ctx;
        setenv("TBIG", big_value, 1);
}

/* A variable of the caller's longer than any buffer of corral's own reaches the program whole
 * (it was cut at 4 KiB, silently). (-e has a limit of its own, and says so.) */
START_TEST(long_environment_variables_pass_whole)
{
        const char *args[] = {
            "run", "--name",  name, "-q",
            "--",  "/bin/sh", "-c", "echo \"length ${#TBIG} ends ${TBIG#${TBIG%?}}\"",
            NULL};
        struct th_proc p;

        memset(big_value, 'v', sizeof big_value - 1);
        big_value[sizeof big_value - 2] = 'z'; /* the last byte shows the end arrived */
        snprintf(name, sizeof name, "%s", th_tree_name("bigenv"));
        th_corral_start(&p, args, -1, set_big, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "length 10000 ends z"), "%s\n%s", p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

/* --unsetenv removes one variable of corral's environment; --clearenv passes none of them
 * (corral's own and -e ones still come); PassEnvironment= names the ones that pass. (The
 * CORRAL_ prefix is corral's own: these test variables use another.) */
START_TEST(unsetenv_clearenv_and_pass_environment)
{
        const char *show[] = {"/bin/sh", "-c", "echo \"K=${TK-unset} G=${TG-unset} X=${X-unset}\"",
                              NULL};
        static const struct {
                const char *flags[6];
                const char *want;
        } runs[] = {
            {{NULL}, "K=kept G=there X=unset"},
            {{"--unsetenv", "TG", NULL}, "K=kept G=unset X=unset"},
            {{"--clearenv", "-e", "X=set", NULL}, "K=unset G=unset X=set"},
            {{"--set", "PassEnvironment=TK", NULL}, "K=kept G=unset X=unset"},
        };

        for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
                const char *args[16] = {"run", "--name", name, "-q"};
                struct th_proc p;
                size_t n = 4;

                snprintf(name, sizeof name, "%s", th_tree_name("env"));
                for (size_t i = 0; runs[r].flags[i]; i++)
                        args[n++] = runs[r].flags[i];
                args[n++] = "--";
                for (size_t i = 0; show[i]; i++)
                        args[n++] = show[i];
                args[n] = NULL;
                th_corral_start(&p, args, -1, set_vars, NULL);
                ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
                ck_assert_msg(th_has_line(p.outbuf, runs[r].want), "run %zu: %s\n%s", r, p.outbuf,
                              p.errbuf);
                th_assert_tree_gone(name);
        }
}
END_TEST

/* Each flag's error path: corral run refuses before anything is spawned, naming the key. */
START_TEST(flag_errors_name_the_key)
{
        static const struct {
                const char *flag, *value, *says;
        } bad[] = {
            {"--timeout", "soon", "RuntimeMaxSec"},
            {"--timeout", "0", "RuntimeMaxSec"},
            {"-e", "NOVALUE", "expected NAME=VALUE"},
            {"-C", "relative/dir", "WorkingDirectory"},
            {"-u", "no-such-user-corral", "no-such-user-corral"},
            {"-C", "/corral-test-none", "chdir to /corral-test-none"},
            {"--tmpfs", "/corral-test-none", "TemporaryFileSystem=/corral-test-none"},
            {"--tmpfs", "/tmp:size=lots", "--tmpfs '/tmp:size=lots': TemporaryFileSystem"},
            {"--ro-bind", "relative", "--ro-bind 'relative': BindReadOnlyPaths"},
            {"--bind", "/etc:relative", "--bind '/etc:relative'"},
            {"--unsetenv", "1BAD", "UnsetEnvironment"},
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                const char *args[] = {"run",        "--name", name,        bad[i].flag,
                                      bad[i].value, "--",     "/bin/true", NULL};
                struct th_proc p;

                snprintf(name, sizeof name, "%s", th_tree_name("flagerr"));
                th_corral_start(&p, args, -1, NULL, NULL);
                ck_assert_int_eq(th_corral_wait(&p, 20000), 125);
                ck_assert_msg(strstr(p.errbuf, bad[i].says), "%s %s: %s", bad[i].flag, bad[i].value,
                              p.errbuf);
                th_assert_tree_gone(name);
        }
}
END_TEST

/* Runs `corral run --name NAME -q FLAGS... -- /bin/sh -c SCRIPT`; its status (output in p). */
static int run_sh(struct th_proc *p, const char *what, const char *const *flags, const char *script)
{
        const char *args[24] = {"run", "--name", name, "-q"};
        size_t n = 4;

        snprintf(name, sizeof name, "%s", th_tree_name(what));
        for (size_t i = 0; flags && flags[i] && n < 18; i++)
                args[n++] = flags[i];
        args[n++] = "--";
        args[n++] = "/bin/sh";
        args[n++] = "-c";
        args[n++] = script;
        args[n] = NULL;
        th_corral_start(p, args, -1, NULL, NULL);
        return th_corral_wait(p, 20000);
}

/* HOME is the program user's, not the caller's (root's HOME names files nobody cannot read);
 * and an execve refused for a program the caller can reach but its user cannot (a pyenv shim
 * in root's home) names the program and the user. */
/* The supervisor keeps the last /etc/passwd answer (identity.c: passwd_entry) and must read
 * the file again once it changes: in place with the same size, or replaced by another file
 * with the same size and times. In a child with a private mount namespace, over which files
 * are bound on /etc/passwd (the host's is never touched). */
static int passwd_home_is(const char *want)
{
        struct profile prof;
        struct identity id;
        struct cerr err = {0};
        int rc;

        profile_default(&prof, "a");
        if (profile_set_key(&prof, "User", "4242", &err) < 0 ||
            identity_plan(&prof, 40, &id, &err) < 0) {
                fprintf(stderr, "identity_plan: %s\n", err.msg);
                profile_free(&prof);
                return -1;
        }
        profile_free(&prof);
        rc = strcmp(id.home, want) == 0 && strcmp(id.user, "corraltest") == 0 ? 0 : -1;
        if (rc < 0)
                fprintf(stderr, "HOME %s as %s, wanted %s as corraltest\n", id.home, id.user, want);
        return rc;
}

static int write_passwd(const char *path, const char *home)
{
        char text[256];
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int n =
            snprintf(text, sizeof text,
                     "root:x:0:0:root:/root:/bin/sh\ncorraltest:x:4242:4242::%s:/bin/sh\n", home);

        if (fd < 0 || write(fd, text, (size_t)n) != n)
                return -1;
        return close(fd);
}

static int passwd_child(const char *dir)
{
        char one[PATH_MAX], two[PATH_MAX];
        struct stat st;

        snprintf(one, sizeof one, "%s/one", dir);
        snprintf(two, sizeof two, "%s/two", dir);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            write_passwd(one, "/home/first") < 0 ||
            mount(one, "/etc/passwd", NULL, MS_BIND, NULL) < 0)
                return 10;
        /* a file changed in the last two seconds is never kept: this one must be, so that
         * what follows tests the check of a kept answer */
        nanosleep(&(struct timespec){.tv_sec = 2, .tv_nsec = 200000000}, NULL);
        /* twice: read, then from what was kept */
        for (int i = 0; i < 2; i++) {
                if (passwd_home_is("/home/first") < 0)
                        return 11;
        }
        /* changed in place, the size kept */
        if (write_passwd(one, "/home/secnd") < 0 || passwd_home_is("/home/secnd") < 0)
                return 12;
        /* another file, the size and both times of the first one's */
        if (write_passwd(two, "/home/third") < 0 || stat(one, &st) < 0 ||
            utimensat(AT_FDCWD, two, (struct timespec[]){st.st_atim, st.st_mtim}, 0) < 0 ||
            mount(two, "/etc/passwd", NULL, MS_BIND, NULL) < 0)
                return 13;
        if (passwd_home_is("/home/third") < 0)
                return 14;
        return 0;
}

START_TEST(passwd_answer_follows_the_file)
{
        char dir[] = "/tmp/corral-passwd-XXXXXX";
        char path[PATH_MAX];
        int status = -1;
        pid_t pid;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
                _exit(passwd_child(dir));
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        snprintf(path, sizeof path, "%s/one", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/two", dir);
        unlink(path);
        rmdir(dir);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "the child failed at step %d (status %#x)", WEXITSTATUS(status), status);
}
END_TEST

START_TEST(home_and_execve_failure_name_the_user)
{
        static const struct {
                const char *flags[3];
                const char *want;
        } runs[] = {
            {{NULL}, "HOME=/nonexistent"}, /* nobody's (on Debian), not root's */
            {{"-u", "root", NULL}, "HOME=/root"},
            {{"-e", "HOME=/srv", NULL}, "HOME=/srv"},
            {{"--unsetenv", "HOME", NULL}, "HOME="},
        };
        char dir[64], prog[96], want[160];
        const char *script[] = {"run", "--", prog, NULL};
        struct th_proc p;
        FILE *f;

        for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
                ck_assert_int_eq(run_sh(&p, "home", runs[r].flags, "echo \"HOME=$HOME\""), 0);
                ck_assert_msg(th_has_line(p.outbuf, runs[r].want) ||
                                  (r == 0 && th_has_line(p.outbuf, "HOME=/")),
                              "want %s: %s%s", runs[r].want, p.outbuf, p.errbuf);
                th_assert_tree_gone(name);
        }
        /* a script in a directory only root may search (under /run: the program's /tmp is its
         * own) */
        th_scratch("home", dir, sizeof dir);
        snprintf(prog, sizeof prog, "%s/prog", dir);
        ck_assert_int_eq(mkdir(dir, 0700), 0);
        f = fopen(prog, "we");
        ck_assert_ptr_nonnull(f);
        fputs("#!/bin/sh\nexit 0\n", f);
        fclose(f);
        chmod(prog, 0755);
        th_corral_start(&p, script, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 126);
        unlink(prog);
        rmdir(dir);
        snprintf(want, sizeof want, "spawn failed at execve of %s as nobody: Permission denied",
                 prog);
        ck_assert_msg(strstr(p.errbuf, want), "%s", p.errbuf);
}
END_TEST

/* Small input mistakes get a clear refusal (exit 125) before anything is spawned. */
START_TEST(input_mistakes_are_refused_clearly)
{
        static const struct {
                const char *args[8];
                const char *says;
        } bad[] = {
            {{"run", "--", "", NULL}, "corral: run: the program's name is empty"},
            {{"run", "--bogus", "--", "/bin/true", NULL}, "corral: run: unrecognized option"},
            {{"run", "--set", "MemoryMax=0", "--", "/bin/true", NULL}, "MemoryMax: '0'"},
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                struct th_proc p;

                th_corral_start(&p, bad[i].args, -1, NULL, NULL);
                ck_assert_int_eq(th_corral_wait(&p, 20000), 125);
                ck_assert_msg(strstr(p.errbuf, bad[i].says), "%s: %s", bad[i].says, p.errbuf);
        }
}
END_TEST

/* Lines in buf (a last one without its newline counts too). */
static int count_lines(const char *buf)
{
        int n = 0;

        for (const char *c = buf; *c; c++)
                n += *c == '\n' || !c[1];
        return n;
}

/* Every command's option or usage error is short: one line saying what was wrong, starting
 * "corral: " as all of corral's messages do, and one usage line pointing at --help; not the
 * whole help, which only --help prints (on stdout, exit 0). The usage status is each
 * command's own: 125 for run, 2 for the others. */
START_TEST(option_errors_are_short_and_help_is_whole)
{
        static const struct {
                const char *args[5]; /* a call with an option or usage error */
                int code;            /* the command's usage status */
                const char *usage;   /* the start of its one usage line */
        } bad[] = {
            {{"--bogus"}, 2, "usage: corral COMMAND"},
            {{"bogus"}, 2, "usage: corral COMMAND"},
            {{NULL}, 2, "usage: corral COMMAND"},
            {{"run", "--bogus", "--", "/bin/true"}, 125, "usage: corral run "},
            {{"run", "-p"}, 125, "usage: corral run "},
            {{"run"}, 125, "usage: corral run "},
            {{"policy", "check", "--bogus", "x.ini"}, 2, "usage: corral policy check "},
            {{"policy", "check"}, 2, "usage: corral policy check "},
            {{"policy", "default", "--bogus"}, 2, "usage: corral policy default"},
            {{"policy", "default", "extra"}, 2, "usage: corral policy default"},
            {{"policy", "bogus"}, 2, "usage: corral policy "},
            {{"policy"}, 2, "usage: corral policy "},
            {{"check", "--bogus"}, 2, "usage: corral check"},
            {{"check", "extra"}, 2, "usage: corral check"},
            {{"gc", "--bogus"}, 2, "usage: corral gc"},
            {{"gc", "--wait"}, 2, "usage: corral gc"},
            {{"gc", "extra"}, 2, "usage: corral gc"},
        };
        /* control: --help prints the whole help, whose lines the errors above must not hold */
        static const struct {
                const char *args[4];
                const char *whole; /* the start of a line only the whole help has */
        } help[] = {
            {{"--help"}, "commands:"},
            {{"help"}, "commands:"},
            {{"run", "--help"}, "exit status:"},
            {{"run", "-h"}, "options:"},
            {{"policy", "--help"}, "exit status:"},
            {{"policy", "check", "--help"}, "exit status:"},
            {{"policy", "default", "-h"}, "exit status:"},
            {{"check", "--help"}, "exit status:"},
            {{"gc", "--help"}, "exit status:"},
        };
        struct th_proc p;

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                const char *call = bad[i].args[0] ? bad[i].args[0] : "(nothing)";
                const char *line;

                th_corral_start(&p, bad[i].args, -1, NULL, NULL);
                ck_assert_msg(th_corral_wait(&p, 20000) == bad[i].code, "%s %s: exit status", call,
                              bad[i].args[1] ? bad[i].args[1] : "");
                ck_assert_msg(strncmp(p.errbuf, "corral: ", 8) == 0 && count_lines(p.errbuf) <= 3,
                              "%s: not one error line and a usage line:\n%s", call, p.errbuf);
                line = th_line_starting(p.errbuf, bad[i].usage);
                ck_assert_msg(line && strstr(line, "--help"), "%s: no '%s... --help' line:\n%s",
                              call, bad[i].usage, p.errbuf);
                ck_assert_msg(!th_line_starting(p.errbuf, "exit status:") &&
                                  !th_line_starting(p.errbuf, "commands:") &&
                                  !th_line_starting(p.errbuf, "options:"),
                              "%s: the whole help on an error:\n%s", call, p.errbuf);
                ck_assert_msg(p.outlen == 0, "%s: wrote to stdout:\n%s", call, p.outbuf);
        }
        for (size_t i = 0; i < sizeof help / sizeof help[0]; i++) {
                th_corral_start(&p, help[i].args, -1, NULL, NULL);
                ck_assert_msg(th_corral_wait(&p, 20000) == 0, "%s --help: exit status",
                              help[i].args[0]);
                ck_assert_msg(th_line_starting(p.outbuf, help[i].whole) &&
                                  th_line_starting(p.outbuf, "usage: corral ") && p.errlen == 0,
                              "%s %s: not the whole help on stdout:\n%s\nstderr:\n%s",
                              help[i].args[0], help[i].args[1] ? help[i].args[1] : "", p.outbuf,
                              p.errbuf);
        }
}
END_TEST

static int policy_pipe = -1;

static void pipe_at_3(void *ctx)
{
        (void)ctx;
        if (dup2(policy_pipe, 3) < 0)
                _exit(120);
        fcntl(3, F_SETFD, 0);
}

/* -p of a pipe (`-p <(...)`) works; a directory, a device and a FIFO nobody writes are
 * refused at once (the FIFO used to hang corral before it printed a word). */
START_TEST(policy_from_a_pipe_and_refusals)
{
        const char *text = "[profile a]\nMemoryMax = 64M\n";
        const char *viapipe[] = {"run",       "-q", "--name",    name, "-p",
                                 "/dev/fd/3", "--", "/bin/true", NULL};
        char fifo[64];
        const char *bad[] = {"/tmp", "/dev/null", fifo};
        struct th_proc p;
        int fds[2];

        snprintf(name, sizeof name, "%s", th_tree_name("pipepolicy"));
        ck_assert_int_eq(pipe(fds), 0);
        ck_assert_int_eq(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
        close(fds[1]);
        policy_pipe = fds[0];
        th_corral_start(&p, viapipe, -1, pipe_at_3, NULL);
        close(fds[0]);
        ck_assert_msg(th_corral_wait(&p, 20000) == 0, "%s", p.errbuf);
        th_assert_tree_gone(name);
        snprintf(fifo, sizeof fifo, "/tmp/corral-test-fifo-%d", (int)getpid());
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                const char *args[] = {"run", "-p", bad[i], "--", "/bin/true", NULL};
                int64_t t0 = mono_ms();

                th_corral_start(&p, args, -1, NULL, NULL);
                ck_assert_int_eq(th_corral_wait(&p, 20000), 125);
                ck_assert_msg(mono_ms() - t0 < th_ms(3000), "-p %s took %lld ms", bad[i],
                              (long long)(mono_ms() - t0));
                ck_assert_msg(strstr(p.errbuf, bad[i]), "%s", p.errbuf);
        }
        unlink(fifo);
}
END_TEST

/* IOWeight= on whatever this host's I/O scheduler offers: `policy check` and `run` agree (a
 * warning in both, or none), and run never refuses for it (it exited 125 on a missing
 * blkio.weight where BFQ schedules the disks). Where it applies through v1, the group holds
 * the mapped weight (CFQ's blkio.weight: 500 for IOWeight=100; BFQ's blkio.bfq.weight: 100). */
START_TEST(io_weight_check_and_run_agree)
{
        const char *check[] = {"policy", "check", "--json", policy, NULL};
        const char *run[] = {"run",  "--name", name,         "--events", "json", "-p",
                             policy, "--",     "/bin/sleep", "1",        NULL};
        struct th_proc p;
        bool check_warns, run_warns;
        char dir[PATH_MAX];

        ot_write_policy(policy, sizeof policy, "ioweight", "[profile a]\nIOWeight = 100\n");
        th_corral_start(&p, check, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        check_warns = strstr(p.outbuf, "IOWeight:") != NULL;
        snprintf(name, sizeof name, "%s", th_tree_name("ioweight"));
        th_corral_start(&p, run, -1, NULL, NULL);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 10000));
        if (th_host.ctrl[CG_IO].src == CG_SRC_V1 && !check_warns) {
                char cfq[PATH_MAX + 64], bfq[PATH_MAX + 64], v[32] = "";
                FILE *f;

                th_tree_node(th_host.ctrl[CG_IO].v1.own_dir, name, dir, sizeof dir);
                snprintf(cfq, sizeof cfq, "%s/%s-1/blkio.weight", dir, name);
                snprintf(bfq, sizeof bfq, "%s/%s-1/blkio.bfq.weight", dir, name);
                f = fopen(access(cfq, F_OK) == 0 ? cfq : bfq, "re");
                ck_assert_msg(f, "no weight file in %s", dir);
                ck_assert_ptr_nonnull(fgets(v, sizeof v, f));
                fclose(f);
                ck_assert_int_eq(atoi(v), access(cfq, F_OK) == 0 ? 500 : 100);
        }
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        run_warns = strstr(p.errbuf, "IOWeight:") != NULL;
        ck_assert_msg(check_warns == run_warns, "policy check %s, run %s:\n%s",
                      check_warns ? "warns" : "does not warn", run_warns ? "warns" : "does not",
                      p.errbuf);
        th_assert_tree_gone(name);
        unlink(policy);
}
END_TEST

/* `policy check --changed` prints only what differs from the defaults; in JSON a set of words
 * is an array of words (it was one string, and an empty list [""]). */
START_TEST(policy_check_changed_and_json_words)
{
        char design[PATH_MAX];
        const char *changed[] = {
            "policy", "check", "--changed",
            th_repo("tests/data/policy/good/design.ini", design, sizeof design), NULL};
        const char *json[] = {"policy", "check", "--json", design, NULL};
        struct th_proc p;

        th_corral_start(&p, changed, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(th_has_line(p.outbuf, "MemoryMax = 256M") &&
                          !th_line_starting(p.outbuf, "Hostname =") &&
                          !th_line_starting(p.outbuf, "PrivateTmp ="),
                      "%s", p.outbuf);
        th_corral_start(&p, json, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 20000), 0);
        ck_assert_msg(strstr(p.outbuf, "\"Namespaces\":[\"ipc\",\"uts\",\"cgroup\"]") &&
                          strstr(p.outbuf, "\"ReadWritePaths\":[]") &&
                          strstr(p.outbuf, "\"MemoryMax\":\"256M\""),
                      "%s", p.outbuf);
}
END_TEST

/* --bind / --ro-bind (BindPaths=, BindReadOnlyPaths=): the host's directory appears at the
 * destination, writable or read-only as asked; a missing source is an error unless written
 * with `-`; a missing destination is refused (corral never creates a host path); a symlink
 * an actor's user planted is refused by the safe-path rule. */
START_TEST(bind_and_ro_bind)
{
        char dir[64], src[96], ro[PATH_MAX], rw[PATH_MAX], link[128], badlink[PATH_MAX];
        const char *robind[] = {"-u", "root", "--ro-bind", ro, NULL};
        const char *rwbind[] = {"-u", "root", "--bind", rw, NULL};
        struct th_proc p;
        FILE *f;

        th_scratch("bind", dir, sizeof dir);
        snprintf(src, sizeof src, "%s/src", dir);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        ck_assert_int_eq(mkdir(src, 0755), 0);
        snprintf(ro, sizeof ro, "%.60s/f", src);
        f = fopen(ro, "we");
        ck_assert_ptr_nonnull(f);
        fputs("hello\n", f);
        fclose(f);
        snprintf(ro, sizeof ro, "%s:/mnt", src);
        snprintf(rw, sizeof rw, "%s:/mnt", src);
        ck_assert_int_eq(run_sh(&p, "robind", robind, "cat /mnt/f; touch /mnt/g || echo refused"),
                         0);
        ck_assert_msg(th_has_line(p.outbuf, "hello") && th_has_line(p.outbuf, "refused"), "%s%s",
                      p.outbuf, p.errbuf);
        th_assert_tree_gone(name);
        ck_assert_int_eq(run_sh(&p, "rwbind", rwbind, "touch /mnt/g && echo wrote"), 0);
        ck_assert_msg(th_has_line(p.outbuf, "wrote"), "%s%s", p.outbuf, p.errbuf);
        snprintf(link, sizeof link, "%s/g", src);
        ck_assert_int_eq(access(link, F_OK), 0); /* the host's directory it was */
        th_assert_tree_gone(name);
        /* errors: a missing source (and `-` that ignores it), a missing destination, a
         * symlink owned by another user */
        snprintf(rw, sizeof rw, "%s/none:/mnt", dir);
        ck_assert_int_eq(run_sh(&p, "bindmissing", rwbind, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "BindPaths="), "%s", p.errbuf);
        snprintf(rw, sizeof rw, "-%s/none:/mnt", dir);
        ck_assert_int_eq(run_sh(&p, "bindoptional", rwbind, "true"), 0);
        th_assert_tree_gone(name);
        snprintf(rw, sizeof rw, "%s:/corral-no-such-dir", src);
        ck_assert_int_eq(run_sh(&p, "binddst", rwbind, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "must exist (corral never creates"), "%s", p.errbuf);
        snprintf(badlink, sizeof badlink, "%s/link", dir);
        ck_assert_int_eq(symlink("/etc", badlink), 0);
        ck_assert_int_eq(lchown(badlink, 65534, 65534), 0);
        snprintf(rw, sizeof rw, "%s:/mnt", badlink);
        ck_assert_int_eq(run_sh(&p, "bindlink", rwbind, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "refused"), "%s", p.errbuf);
        snprintf(rw, sizeof rw, "relative:/mnt");
        ck_assert_int_eq(run_sh(&p, "bindbad", rwbind, "true"), 125);
        ck_assert_msg(strstr(p.errbuf, "BindPaths"), "%s", p.errbuf);
        unlink(badlink);
        unlink(link);
        snprintf(link, sizeof link, "%s/f", src);
        unlink(link);
        rmdir(src);
        rmdir(dir);
}
END_TEST

/* ---- `policy check` and `run` agree: what run refuses, check refuses, in the same words ---- */

/* The first line of buf that reports an error: "corral: ..." but not a note or a warning
 * (run's events are JSON lines here). "" when there is none. */
static const char *first_error(const char *buf, char *out, size_t len)
{
        out[0] = '\0';
        for (const char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                size_t n = strcspn(l, "\n");

                if (strncmp(l, "corral: ", 8) != 0 || strncmp(l, "corral: note: ", 14) == 0 ||
                    strncmp(l, "corral: warning: ", 17) == 0)
                        continue;
                snprintf(out, len, "%.*s", (int)n, l);
                break;
        }
        return out;
}

/* `corral run --events json -p FILE [--profile P] -- /bin/true` in r, bounded: its status. */
static int run_true(struct th_proc *r, const char *file, const char *profile)
{
        const char *args[] = {"run", "--name", name,        "--events", "json", "-p",
                              file,  "--",     "/bin/true", NULL,       NULL,   NULL};

        snprintf(name, sizeof name, "%s", th_tree_name("agree"));
        if (profile) {
                args[7] = "--profile";
                args[8] = profile;
                args[9] = "--";
                args[10] = "/bin/true";
        }
        th_corral_start(r, args, -1, NULL, NULL);
        return th_corral_wait(r, 20000);
}

/* Check's warnings for profile P ("corral: warning: FILE: [profile P] KEY: ...") are the
 * warning events run emits for P as its root's profile, and no more. */
static void assert_same_warnings(const char *file, const char *prof, const struct th_proc *c,
                                 const struct th_proc *r)
{
        char prefix[PATH_MAX + 128];
        int n = 0;

        snprintf(prefix, sizeof prefix, "corral: warning: %s: [profile %s] ", file, prof);
        for (const char *l = strstr(c->errbuf, prefix); l; l = strstr(l + 1, prefix)) {
                char msg[256];

                snprintf(msg, sizeof msg, "%.*s", (int)strcspn(l + strlen(prefix), "\n"),
                         l + strlen(prefix));
                ck_assert_msg(th_event_count(r, "warning", "message", msg) == 1,
                              "%s [profile %s]: policy check warns '%s', run does not:\n%s", file,
                              prof, msg, r->errbuf);
                n++;
        }
        ck_assert_msg(th_event_count(r, "warning", "profile", prof) == n,
                      "%s [profile %s]: run warns more than policy check's %d:\n%s\ncheck:\n%s",
                      file, prof, n, r->errbuf, c->errbuf);
}

/* `corral policy check FILE`, then `corral run -p FILE -- /bin/true`: once per profile check
 * printed when it accepts the file, once without --profile when it refuses it (run judges the
 * whole file before it chooses a profile, as check does). They agree: check exits 0, each run
 * exits 0 and warns what check warned for its profile; or check exits 2, run 125, and the
 * first error line of both is the same. Returns check's status; its error line in err. */
static int check_and_run_agree(const char *file, char *err, size_t len)
{
        const char *check[] = {"policy", "check", file, NULL};
        struct th_proc c, r;
        char got[1024];
        int rc, runs = 0;

        th_corral_start(&c, check, -1, NULL, NULL);
        rc = th_corral_wait(&c, 20000);
        ck_assert_msg(rc == 0 || rc == 2, "policy check %s: exit %d\n%s", file, rc, c.errbuf);
        first_error(c.errbuf, err, len);
        if (rc == 2) {
                ck_assert_msg(err[0], "policy check %s: exit 2 without an error:\n%s", file,
                              c.errbuf);
                ck_assert_int_eq(run_true(&r, file, NULL), 125);
                first_error(r.errbuf, got, sizeof got);
                ck_assert_msg(strcmp(err, got) == 0, "%s: policy check says\n  %s\nrun says\n  %s",
                              file, err, got);
                th_assert_tree_gone(name);
                return rc;
        }
        ck_assert_msg(!err[0], "policy check %s: exit 0 with '%s'", file, err);
        for (const char *l = c.outbuf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                char prof[PROFILE_NAME_MAX + 1];
                int st;

                if (strncmp(l, "[profile ", 9) != 0)
                        continue;
                snprintf(prof, sizeof prof, "%.*s", (int)strcspn(l + 9, "]"), l + 9);
                st = run_true(&r, file, prof);
                ck_assert_msg(st == 0,
                              "%s [profile %s]: policy check accepts it, run exits %d:\n%s", file,
                              prof, st, r.errbuf);
                assert_same_warnings(file, prof, &c, &r);
                th_assert_tree_gone(name);
                runs++;
        }
        ck_assert_msg(runs > 0, "policy check %s printed no profile:\n%s", file, c.outbuf);
        return rc;
}

/* Every file of tests/data/policy/ (read at test time): bad/ ones refused by both for what
 * their line says, good/ ones run by both, or refused by both for what this host lacks
 * (every-key.ini's User=app), never for their syntax. */
START_TEST(policy_check_and_run_agree_on_every_file)
{
        char dirs[2][PATH_MAX];
        int n[2] = {0, 0};

        th_repo("tests/data/policy/good", dirs[0], sizeof dirs[0]);
        th_repo("tests/data/policy/bad", dirs[1], sizeof dirs[1]);
        for (size_t d = 0; d < 2; d++) {
                struct dirent **e;
                int k = scandir(dirs[d], &e, NULL, alphasort);

                ck_assert_msg(k >= 0, "%s: %s (tests run from the repository root)", dirs[d],
                              strerror(errno));
                for (int i = 0; i < k; i++) {
                        size_t l = strlen(e[i]->d_name);
                        char file[PATH_MAX], err[1024], want[PATH_MAX + 32];
                        int rc;

                        if (l < 5 || strcmp(e[i]->d_name + l - 4, ".ini") != 0) {
                                free(e[i]);
                                continue;
                        }
                        snprintf(file, sizeof file, "%.3000s/%s", dirs[d], e[i]->d_name);
                        free(e[i]);
                        rc = check_and_run_agree(file, err, sizeof err);
                        /* bad/: "corral: FILE:LINE: ..."; a good file refused: "corral:
                         * FILE: [profile NAME] ..." (a host check) */
                        snprintf(want, sizeof want, "corral: %s%s", file, d ? ":" : ": [profile ");
                        ck_assert_msg(d == 0 || rc == 2, "%s: accepted", file);
                        ck_assert_msg(rc == 0 || strncmp(err, want, strlen(want)) == 0,
                                      "%s: refused with '%s', not '%s...'", file, err, want);
                        n[d]++;
                }
                free(e);
        }
        ck_assert_int_ge(n[0], 4);
        ck_assert_int_ge(n[1], 20);
}
END_TEST

/* What this host has or lacks, through both commands: a user, a group, a supplementary group
 * (one word of a list) it lacks refuse the file in both with one line naming file, profile,
 * key and name, whichever profile runs; a key it cannot apply is a warning in both or in
 * neither, and the run proceeds; names it has (and numbers) pass. The spawn resolves the names
 * again (the host may change between check and run) and says a failure in the same words. */
START_TEST(policy_check_and_run_agree_on_host_checks)
{
        static const struct {
                const char *text, *says; /* says: NULL when both accept the file */
        } cases[] = {
            {"[profile a]\nUser = nosuchuser\n",
             "[profile a] User: 'nosuchuser': no such user on this host"},
            {"[profile a]\nGroup = nosuchgroup\n",
             "[profile a] Group: 'nosuchgroup': no such group on this host"},
            {"[profile a]\nSupplementaryGroups = nosuchgroup\n",
             "[profile a] SupplementaryGroups: 'nosuchgroup': no such group on this host"},
            {"[profile a]\nSupplementaryGroups = root nosuchgroup\n",
             "[profile a] SupplementaryGroups: 'nosuchgroup': no such group on this host"},
            {"[profile a]\nUser = nobody\n\n[profile b]\nUser = nosuchuser\n",
             "[profile b] User: 'nosuchuser': no such user on this host"},
            {"[profile a]\nIOWeight = 100\n", NULL},
            {"[profile a]\nMemoryHigh = 64M\n", NULL}, /* a warning where memory is v1 */
            {"[profile a]\nUser = nobody\nGroup = root\nSupplementaryGroups = root 4242\n", NULL},
            /* the path keys, resolved on the host as the spawn resolves them */
            {"[profile a]\nReadWritePaths = /corral-test-none\n",
             "[profile a] ReadWritePaths=/corral-test-none: No such file or directory"},
            {"[profile a]\nReadWritePaths = -/corral-test-none\n", NULL},
            {"[profile a]\nBindReadOnlyPaths = /etc:/corral-test-none\n",
             "[profile a] BindReadOnlyPaths=/etc:/corral-test-none: the destination "
             "/corral-test-none must exist (corral never creates a path on the host): No such "
             "file or directory"},
            {"[profile a]\nTemporaryFileSystem = /corral-test-none:ro\n",
             "[profile a] TemporaryFileSystem=/corral-test-none: No such file or directory"},
            {"[profile a]\nInaccessiblePaths = /usr/share\nBindPaths = /etc:/usr/share/doc\n",
             "[profile a] BindPaths=/etc:/usr/share/doc: /usr/share/doc lies inside "
             "InaccessiblePaths=/usr/share, which hides everything in it (nothing can be "
             "mounted there): Permission denied"},
            {"[profile a]\nProtectHome = tmpfs\nBindReadOnlyPaths = /etc:/root/etc\n", NULL},
            /* what every actor has hidden: no key mounts into it (README "Confinement") */
            {"[profile a]\nBindReadOnlyPaths = /etc:/run/user/corral-test\n",
             "[profile a] BindReadOnlyPaths=/etc:/run/user/corral-test: /run/user/corral-test "
             "lies inside corral's mask of /run/user, which hides everything in it (corral's "
             "sockets, session buses and systemd --user there would be a way out of the "
             "sandbox): Permission denied"},
            /* ProtectHome= on /run/user is moot there, and no error */
            {"[profile a]\nProtectHome = tmpfs\n", NULL},
        };
        const char *bad_user[] = {"run",        "--name", name,        "-u",
                                  "nosuchuser", "--",     "/bin/true", NULL};
        struct cerr checked = {0}, planned = {0};
        char err[1024], want[PATH_MAX + 256];
        struct identity id;
        struct profile prof;
        struct th_proc r;

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                ot_write_policy(policy, sizeof policy, "agree", cases[i].text);
                if (!cases[i].says) {
                        ck_assert_int_eq(check_and_run_agree(policy, err, sizeof err), 0);
                        continue;
                }
                ck_assert_int_eq(check_and_run_agree(policy, err, sizeof err), 2);
                snprintf(want, sizeof want, "corral: %s: %s", policy, cases[i].says);
                ck_assert_str_eq(err, want);
        }
        /* the profile that runs is not the one that names the missing user: refused all the
         * same, as check refuses the file */
        ot_write_policy(policy, sizeof policy, "agree", cases[4].text);
        ck_assert_int_eq(run_true(&r, policy, "a"), 125);
        snprintf(want, sizeof want, "corral: %s: %s", policy, cases[4].says);
        ck_assert_str_eq(first_error(r.errbuf, err, sizeof err), want);
        th_assert_tree_gone(name);
        unlink(policy);
        /* the spawn's own resolution (a --user no file names): the same words, and no
         * strerror after them */
        snprintf(name, sizeof name, "%s", th_tree_name("agree"));
        th_corral_start(&r, bad_user, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&r, 20000), 125);
        snprintf(want, sizeof want,
                 "corral: spawning %s: User: 'nosuchuser': no such user on this host", name);
        ck_assert_str_eq(first_error(r.errbuf, err, sizeof err), want);
        th_assert_tree_gone(name);
        profile_default(&prof, "a");
        ck_assert_int_eq(profile_set_key(&prof, "Group", "nosuchgroup", &checked), 0);
        ck_assert_int_lt(identity_check(&prof, &checked), 0);
        ck_assert_int_lt(identity_plan(&prof, 40, &id, &planned), 0);
        ck_assert_str_eq(checked.msg, "Group: 'nosuchgroup': no such group on this host");
        ck_assert_str_eq(planned.msg, checked.msg);
        ck_assert_int_eq(planned.stage, CERR_HOST_CHECK);
        ck_assert_str_eq(cerr_str(&planned, err, sizeof err), planned.msg);
        profile_free(&prof);
}
END_TEST

static Suite *daily_suite(void)
{
        Suite *s = suite_create("corral-daily-privileged");
        TCase *tc = tcase_create("daily");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, timeout_cancels_the_tree_and_exits_124);
        tcase_add_test(tc, child_runtime_max_reaches_its_parent);
        tcase_add_test(tc, setenv_chdir_user_act_as_their_keys);
        tcase_add_test(tc, unsetenv_clearenv_and_pass_environment);
        tcase_add_test(tc, long_environment_variables_pass_whole);
        tcase_add_test(tc, flag_errors_name_the_key);
        tcase_add_test(tc, input_mistakes_are_refused_clearly);
        tcase_add_test(tc, home_and_execve_failure_name_the_user);
        tcase_add_test(tc, passwd_answer_follows_the_file);
        tcase_add_test(tc, policy_from_a_pipe_and_refusals);
        tcase_add_test(tc, io_weight_check_and_run_agree);
        tcase_add_test(tc, policy_check_changed_and_json_words);
        tcase_add_test(tc, bind_and_ro_bind);
        suite_add_tcase(s, tc);
        tc = tcase_create("usage");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, option_errors_are_short_and_help_is_whole);
        suite_add_tcase(s, tc);
        /* its own case: CK_RUN_CASE=agree runs it alone */
        tc = tcase_create("agree");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, policy_check_and_run_agree_on_every_file);
        tcase_add_test(tc, policy_check_and_run_agree_on_host_checks);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {daily_suite};

        return th_run("test_daily", TH_PRIVILEGED, suites, 1);
}
