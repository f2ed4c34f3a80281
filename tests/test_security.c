/* Privileged tests of what an attack on `corral run` found (a hostile actor, a careless
 * operator): signals through the zygote's process group, symlinks planted for root to follow,
 * the caller's session keyring, a low fd limit, a stopped shim. Each "must fail" has its
 * positive control in the same run, and every tree ends with the leak check. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/syscalls.h"
#include "../ns/timeutil.h"
#include "../spawner/supervisor.h"
#include "harness.h"

#define NOBODY 65534

static pid_t started_pid(struct th_proc *p)
{
        char buf[32];

        ck_assert_msg(th_wait_for(p, false, "\"event\":\"started\"", 5000),
                      "no started event; events:\n%s", p->errbuf);
        return (pid_t)atoi(th_event(p, "started", "pid", buf, sizeof buf));
}

/* Field 5 (which 5: the process group; 6: the session) of /proc/PID/stat, counted after the
 * command's closing parenthesis. */
static pid_t stat_field(pid_t pid, int which)
{
        char path[64], buf[1024];
        int pgid = -1;
        FILE *f;
        char *p;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        ck_assert_msg(f, "%s: %s", path, strerror(errno));
        p = fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
        fclose(f);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(which == 5 ? sscanf(p + 2, "%*c %*d %d", &pgid)
                                    : sscanf(p + 2, "%*c %*d %*d %d", &pgid),
                         1);
        return (pid_t)pgid;
}

static pid_t pgid_of(pid_t pid)
{
        return stat_field(pid, 5);
}

static pid_t sid_of(pid_t pid)
{
        return stat_field(pid, 6);
}

/* The zygote: the supervisor's child that is not its shim. */
static pid_t zygote_of(pid_t corral, pid_t shim)
{
        char path[96];
        int child, zygote = -1;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)corral, (int)corral);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while (fscanf(f, "%d", &child) == 1) {
                if (child != shim)
                        zygote = child;
        }
        fclose(f);
        ck_assert_int_gt(zygote, 0);
        return zygote;
}

static bool alive(int pidfd)
{
        struct pollfd pf = {.fd = pidfd, .events = POLLIN};

        return poll(&pf, 1, 0) == 0;
}

static void start_sh(struct th_proc *p, char *name, const char *what, const char *const *sets,
                     const char *script)
{
        const char *prog[] = {"/bin/sh", "-c", script, NULL};

        th_run_prog(p, name, what, sets, prog);
}

/* 1. Each actor is a process group of its own: `kill 0` from inside reaches its own actor,
 * never the zygote, corral, or an actor of another tree. (With the zygote forked at start, as
 * the API does by default; one-shot trees without one below.) */
START_TEST(kill_zero_reaches_only_the_actors_own_group)
{
        const char *root[] = {"User=root", NULL};
        const char *sleep30[] = {"sleep", "30", NULL};
        struct th_proc a, b, c;
        char na[64], nb[64], nc[64];
        pid_t a_shim, b_shim, a_zyg, b_zyg;
        int a_zfd, b_sfd, b_pfd;

        setenv("CORRAL_TEST_EAGER_ZYGOTE", "1", 1); /* (this test's own process) */

        /* a bystander: the root actor of another tree */
        th_run_actor(&b, nb, "bystander", NULL, sleep30, NULL, NULL);
        b_shim = started_pid(&b);
        b_zyg = zygote_of(b.pid, b_shim);
        b_sfd = sys_pidfd_open(b_shim, 0);
        b_pfd = sys_pidfd_open(th_program_pid(b_shim), 0);
        ck_assert(b_sfd >= 0 && b_pfd >= 0);

        /* a root actor that survives its own SIGUSR1 to its group, and lives on */
        start_sh(&a, na, "usr1", root, "trap '' USR1; kill -USR1 0; echo sent; exec sleep 30");
        a_shim = started_pid(&a);
        ck_assert_msg(th_wait_for(&a, true, "sent\n", 5000), "no 'sent'; out:\n%s\nevents:\n%s",
                      a.outbuf, a.errbuf);
        a_zyg = zygote_of(a.pid, a_shim);
        a_zfd = sys_pidfd_open(a_zyg, 0);
        ck_assert_int_ge(a_zfd, 0);

        /* from the host: the shim leads a group of its own, which its program shares, apart
         * from its zygote's and from the other tree's actor */
        ck_assert_int_eq(pgid_of(a_shim), a_shim);
        ck_assert_int_eq(pgid_of(th_program_pid(a_shim)), a_shim);
        ck_assert_int_eq(pgid_of(b_shim), b_shim);
        ck_assert_int_ne(pgid_of(a_shim), pgid_of(a_zyg));
        ck_assert_int_ne(pgid_of(b_shim), pgid_of(b_zyg));
        ck_assert_int_ne(pgid_of(a_shim), pgid_of(b_shim));

        /* SIGUSR1 to its group left the zygote, corral and the bystander alone */
        ck_assert_msg(alive(a_zfd), "the zygote died of the actor's kill -USR1 0");
        ck_assert(alive(a.pidfd));
        ck_assert(alive(b_sfd) && alive(b_pfd) && alive(b.pidfd));
        ck_assert_int_eq(th_event_count(&a, "error", NULL, NULL), 0);

        /* SIGKILL to its group: the program dies (the shim, pid 1 there, cannot), nothing
         * else does */
        start_sh(&c, nc, "kill9", root, "kill -KILL 0; sleep 30");
        ck_assert_int_eq(th_corral_wait(&c, 10000), 128 + SIGKILL);
        ck_assert_msg(th_event_count(&c, "error", NULL, NULL) == 0, "events:\n%s", c.errbuf);
        ck_assert_msg(strstr(c.errbuf, "\"reason\":\"signaled SIGKILL\""), "%s", c.errbuf);
        th_assert_tree_gone(nc);
        ck_assert(alive(a_zfd) && alive(a.pidfd));
        ck_assert(alive(b_sfd) && alive(b_pfd) && alive(b.pidfd));

        /* control: SIGUSR1 does kill a zygote it reaches, and corral says so, so the absence
         * of that event above means something */
        ck_assert_int_eq(sys_pidfd_send_signal(a_zfd, SIGUSR1, NULL, 0), 0);
        th_assert_dead(a_zfd, 2000, "the zygote after SIGUSR1 from the host");
        ck_assert_msg(th_wait_for(&a, false, "died of SIGUSR1", 5000), "events:\n%s", a.errbuf);

        kill(a.pid, SIGTERM);
        kill(b.pid, SIGTERM);
        th_corral_wait(&a, 10000);
        th_corral_wait(&b, 10000);
        close(a_zfd);
        close(b_sfd);
        close(b_pfd);
        th_assert_tree_gone(na);
        th_assert_tree_gone(nb);
}
END_TEST

/* 1b. A one-shot tree has no zygote: corral cloned the shim itself, which took a session of
 * its own (no controlling terminal) and leads its group; the program shares both. Its
 * `kill 0` reaches neither corral nor another tree's actor. */
START_TEST(kill_zero_one_shot_shim_leads_its_session)
{
        const char *root[] = {"User=root", NULL};
        const char *sleep30[] = {"sleep", "30", NULL};
        struct th_proc a, b, c;
        char na[64], nb[64], nc[64];
        pid_t a_shim, b_shim, prog;
        int b_sfd;

        th_run_actor(&b, nb, "bystander1", NULL, sleep30, NULL, NULL);
        b_shim = started_pid(&b);
        b_sfd = sys_pidfd_open(b_shim, 0);
        ck_assert_int_ge(b_sfd, 0);
        start_sh(&a, na, "usr1d", root, "trap '' USR1; kill -USR1 0; echo sent; exec sleep 30");
        a_shim = started_pid(&a);
        ck_assert_msg(th_wait_for(&a, true, "sent\n", 5000), "no 'sent'; out:\n%s\nevents:\n%s",
                      a.outbuf, a.errbuf);
        prog = th_program_pid(a_shim);
        ck_assert_int_eq(sid_of(a_shim), a_shim);
        ck_assert_int_eq(pgid_of(a_shim), a_shim);
        ck_assert_int_eq(sid_of(prog), a_shim);
        ck_assert_int_eq(pgid_of(prog), a_shim);
        ck_assert_int_ne(sid_of(a.pid), a_shim);
        ck_assert_int_ne(sid_of(b_shim), a_shim);
        ck_assert(alive(a.pidfd) && alive(b.pidfd) && alive(b_sfd));
        ck_assert_int_eq(th_event_count(&a, "error", NULL, NULL), 0);
        start_sh(&c, nc, "kill9d", root, "kill -KILL 0; sleep 30");
        ck_assert_int_eq(th_corral_wait(&c, 10000), 128 + SIGKILL);
        ck_assert_msg(th_event_count(&c, "error", NULL, NULL) == 0, "events:\n%s", c.errbuf);
        th_assert_tree_gone(nc);
        ck_assert(alive(a.pidfd) && alive(b.pidfd) && alive(b_sfd));
        kill(a.pid, SIGTERM);
        kill(b.pid, SIGTERM);
        th_corral_wait(&a, 10000);
        th_corral_wait(&b, 10000);
        close(b_sfd);
        th_assert_tree_gone(na);
        th_assert_tree_gone(nb);
}
END_TEST

/* ---- 2. symlinks planted for root to follow ---- */

static char scratch[PATH_MAX];

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void scratch_remove(const char *dir)
{
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
        ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

static const char *read_text(const char *path, char *buf, size_t len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

        buf[n > 0 ? n : 0] = '\0';
        if (fd >= 0)
                close(fd);
        return buf;
}

/* A symlink owned by `uid`, as if that user had made it. */
static void plant(const char *target, const char *link, uid_t uid)
{
        unlink(link);
        ck_assert_int_eq(symlink(target, link), 0);
        ck_assert_int_eq(lchown(link, uid, uid), 0);
}

/* corral run [--set S]... -- PROG ARGS; returns its exit status, events in *p */
static int run_with(struct th_proc *p, char *name, const char *what, const char *const *sets,
                    const char *const *prog)
{
        int n;

        th_run_prog(p, name, what, sets, prog);
        n = th_corral_wait(p, 20000);
        th_assert_tree_gone(name);
        return n;
}

START_TEST(planted_symlinks_are_refused_and_stdio_opens_as_the_program)
{
        char app[PATH_MAX], victim[PATH_MAX], secret[PATH_MAX], link[PATH_MAX], own[PATH_MAX];
        char rundir[PATH_MAX], via[PATH_MAX], sets[4][PATH_MAX + 64], buf[256], etcfile[64];
        const char *s2[3] = {NULL, NULL, NULL}, *s3[4] = {NULL, NULL, NULL, NULL};
        const char *echo[] = {"/bin/echo", "X", NULL};
        const char *cat[] = {"/bin/cat", NULL};
        struct th_proc p;
        char name[64];
        struct stat st;
        int code;

        snprintf(scratch, sizeof scratch, "/var/tmp/corral-ctest-%d", (int)getpid());
        scratch_remove(scratch);
        ck_assert_int_eq(mkdir(scratch, 0755), 0);
        /* a directory the program's user owns: what it plants there, corral must not follow */
        snprintf(app, sizeof app, "%s/app", scratch);
        ck_assert_int_eq(mkdir(app, 0755), 0);
        ck_assert_int_eq(chown(app, NOBODY, NOBODY), 0);
        snprintf(victim, sizeof victim, "%s/victim", scratch);
        write_file(victim, "victim\n", 0644);
        snprintf(secret, sizeof secret, "%s/secret", scratch);
        write_file(secret, "secret\n", 0600);

        /* Stdout=file: through a symlink nobody planted, for a User=root program (which
         * could write the victim itself: only the symlink rule stops it) */
        snprintf(link, sizeof link, "%s/out.log", app);
        plant(victim, link, NOBODY);
        snprintf(sets[0], sizeof sets[0], "Stdout=file:%s", link);
        s3[0] = "User=root";
        s3[1] = sets[0];
        code = run_with(&p, name, "plant-out", s3, echo);
        ck_assert_int_eq(code, 125);
        ck_assert_msg(strstr(p.errbuf, link) && strstr(p.errbuf, "refused"), "%s", p.errbuf);
        ck_assert_str_eq(read_text(victim, buf, sizeof buf), "victim\n");
        ck_assert_int_eq(th_event_count(&p, "started", NULL, NULL), 0);

        /* Stdin=file: through a planted symlink to a root-only file */
        snprintf(link, sizeof link, "%s/in", app);
        plant(secret, link, NOBODY);
        snprintf(sets[0], sizeof sets[0], "Stdin=file:%s", link);
        code = run_with(&p, name, "plant-in", s3, cat);
        ck_assert_int_eq(code, 125);
        ck_assert_msg(strstr(p.errbuf, link) && strstr(p.errbuf, "refused"), "%s", p.errbuf);
        ck_assert_ptr_null(strstr(p.outbuf, "secret"));

        /* no symlink at all: the root-only file as a nobody program's stdin is what it could
         * not open itself */
        snprintf(sets[0], sizeof sets[0], "Stdin=file:%s", secret);
        s2[0] = sets[0];
        code = run_with(&p, name, "as-program", s2, cat);
        ck_assert_int_eq(code, 125);
        ck_assert_msg(strstr(p.errbuf, secret) && strstr(p.errbuf, "Permission denied"), "%s",
                      p.errbuf);
        ck_assert_ptr_null(strstr(p.outbuf, "secret"));
        /* control: its owner (User=root) reads it */
        s3[1] = sets[0];
        code = run_with(&p, name, "as-root", s3, cat);
        ck_assert_int_eq(code, 0);
        ck_assert_msg(th_has_line(p.outbuf, "secret"), "out:\n%s\nevents:\n%s", p.outbuf, p.errbuf);

        /* control: a file in the program's own directory, by a plain path, is written, and
         * created as the program's user */
        snprintf(own, sizeof own, "%s/own.log", app);
        snprintf(sets[0], sizeof sets[0], "Stdout=file:%s", own);
        s2[0] = sets[0];
        code = run_with(&p, name, "own-file", s2, echo);
        ck_assert_int_eq(code, 0);
        ck_assert_str_eq(read_text(own, buf, sizeof buf), "X\n");
        ck_assert_int_eq(stat(own, &st), 0);
        ck_assert_int_eq(st.st_uid, NOBODY);

        /* control: through a symlink root made in a directory only root can write, as
         * /var/run -> /run is */
        snprintf(rundir, sizeof rundir, "/run/corral-ctest-%d", (int)getpid());
        scratch_remove(rundir);
        ck_assert_int_eq(mkdir(rundir, 0755), 0);
        ck_assert_int_eq(chown(rundir, NOBODY, NOBODY), 0);
        snprintf(via, sizeof via, "%s/run-link", scratch);
        plant(rundir, via, 0);
        snprintf(sets[0], sizeof sets[0], "Stdout=file:%s/out.log", via);
        code = run_with(&p, name, "via-root-link", s2, echo);
        ck_assert_int_eq(code, 0);
        snprintf(link, sizeof link, "%s/out.log", rundir);
        ck_assert_str_eq(read_text(link, buf, sizeof buf), "X\n");
        /* and a trusted symlink as the last component, to a file nobody owns */
        snprintf(link, sizeof link, "%s/last-link", scratch);
        snprintf(sets[1], sizeof sets[1], "%s/last.log", rundir);
        write_file(sets[1], "", 0644);
        ck_assert_int_eq(chown(sets[1], NOBODY, NOBODY), 0);
        plant(sets[1], link, 0);
        snprintf(sets[0], sizeof sets[0], "Stdout=file:%s", link);
        ck_assert_int_eq(run_with(&p, name, "last-link", s2, echo), 0);
        ck_assert_str_eq(read_text(sets[1], buf, sizeof buf), "X\n");
        if (lstat("/var/run", &st) == 0 && S_ISLNK(st.st_mode)) {
                snprintf(sets[0], sizeof sets[0], "Stdout=file:/var/run/corral-ctest-%d/var.log",
                         (int)getpid());
                ck_assert_int_eq(run_with(&p, name, "var-run", s2, echo), 0);
                snprintf(link, sizeof link, "%s/var.log", rundir);
                ck_assert_str_eq(read_text(link, buf, sizeof buf), "X\n");
        }

        /* ReadWritePaths= swapped for a symlink to /etc, with ProtectSystem=full and
         * User=root: refused before anything runs, /etc untouched */
        snprintf(etcfile, sizeof etcfile, "/etc/corral-ctest-%d", (int)getpid());
        snprintf(link, sizeof link, "%s/rw", app);
        plant("/etc", link, NOBODY);
        snprintf(sets[0], sizeof sets[0], "ReadWritePaths=%s", link);
        snprintf(sets[1], sizeof sets[1], "touch %s", etcfile);
        {
                const char *rw[] = {"User=root", "ProtectSystem=full", sets[0], NULL};
                char actor[PATH_MAX];
                const char *touch[] = {actor, "try", "touch", etcfile, NULL};

                snprintf(actor, sizeof actor, "%s", th_actor()); /* (a rotating buffer) */

                code = run_with(&p, name, "rw-plant", rw, touch);
                ck_assert_int_eq(code, 125);
                ck_assert_msg(strstr(p.errbuf, link) && strstr(p.errbuf, "refused"), "%s",
                              p.errbuf);
                ck_assert_msg(access(etcfile, F_OK) < 0, "%s was written", etcfile);
                unlink(etcfile);
        }
        /* control: ReadWritePaths= of a real directory does make it writable below
         * ProtectSystem=strict, and through the root-owned link too */
        {
                char target[PATH_MAX], actor[PATH_MAX];
                const char *rw[] = {"ProtectSystem=strict", sets[0], NULL};
                const char *touch[] = {actor, "try", "touch", target, NULL};

                snprintf(actor, sizeof actor, "%s", th_actor()); /* (a rotating buffer) */

                /* (the link lives under /var/tmp, which PrivateTmp= hides: the mount lands
                 * on the directory it resolved to) */
                snprintf(sets[0], sizeof sets[0], "ReadWritePaths=%s", via);
                snprintf(target, sizeof target, "%s/made", rundir);
                code = run_with(&p, name, "rw-real", rw, touch);
                ck_assert_int_eq(code, 0);
                ck_assert_msg(strstr(p.outbuf, "touch ok"), "out:\n%s\nevents:\n%s", p.outbuf,
                              p.errbuf);
                snprintf(link, sizeof link, "%s/made", rundir);
                ck_assert_int_eq(access(link, F_OK), 0);
                /* and without it, the same write is refused: the key is what made it work */
                rw[1] = NULL;
                code = run_with(&p, name, "rw-none", rw, touch);
                ck_assert_int_eq(code, 0);
                ck_assert_msg(strstr(p.outbuf, "touch errno EROFS"), "out:\n%s", p.outbuf);
        }
        scratch_remove(rundir);
        scratch_remove(scratch);
}
END_TEST

/* ---- 3. the caller's session keyring ---- */

static long keyring_id(int which)
{
        return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, which, 0);
}

static long actor_keyring(const char *out)
{
        const char *p = strstr(out, "session-keyring ");

        return p ? atol(p + 16) : 0;
}

START_TEST(actor_has_a_fresh_session_keyring)
{
        const char *nokey[] = {"try", "keyring", "corral-ctest-none", NULL};
        /* (the default deny list refuses the keyring calls outright: off here, to show what
         * the session keyring itself keeps apart) */
        const char *nofilter[] = {"--set", "SystemCallFilter=", NULL};
        const char *inherit[] = {"--set", "SystemCallFilter=", "--set", "KeyringMode=inherit",
                                 NULL};
        char desc[64], payload[48], want[96];
        const char *prog[] = {"try", "keyring", desc, NULL};
        struct th_proc p;
        char name[64];
        long caller, key;

        snprintf(desc, sizeof desc, "corral-ctest-%d", (int)getpid());
        snprintf(payload, sizeof payload, "secret-%d", (int)getpid());
        snprintf(want, sizeof want, "keyring ok %s\n", payload);
        /* a caller without a session keyring of its own (it falls back to its user session
         * keyring), when this process is one: the actor still starts, in a fresh one */
        if (keyring_id(KEY_SPEC_SESSION_KEYRING) == keyring_id(KEY_SPEC_USER_SESSION_KEYRING)) {
                th_run_actor(&p, name, "nokeyring", nofilter, nokey, NULL, NULL);
                ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
                ck_assert_msg(actor_keyring(p.outbuf) > 0 &&
                                  actor_keyring(p.outbuf) !=
                                      keyring_id(KEY_SPEC_USER_SESSION_KEYRING),
                              "out:\n%s", p.outbuf);
                th_assert_tree_gone(name);
        } else {
                fprintf(stderr, "actor_has_a_fresh_session_keyring: this test process has a "
                                "session keyring of its own: the no-keyring case was not run\n");
        }

        /* a PAM-style login: a session keyring of the caller's own, with a key in it */
        caller = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, desc);
        ck_assert_int_gt(caller, 0);
        key =
            syscall(SYS_add_key, "user", desc, payload, strlen(payload), KEY_SPEC_SESSION_KEYRING);
        ck_assert_int_gt(key, 0);

        /* the actor cannot find it, let alone read it: its session keyring is another */
        th_run_actor(&p, name, "keyring", nofilter, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
        ck_assert_msg(strstr(p.outbuf, "keyring errno ENOKEY"), "out:\n%s", p.outbuf);
        ck_assert_ptr_null(strstr(p.outbuf, "keyring ok"));
        ck_assert_int_ne(actor_keyring(p.outbuf), caller);
        th_assert_tree_gone(name);

        /* control: with KeyringMode=inherit, the same actor finds and reads it */
        th_run_actor(&p, name, "keyring-shared", inherit, prog, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
        ck_assert_msg(strstr(p.outbuf, want), "out:\n%s", p.outbuf);
        ck_assert_int_eq(actor_keyring(p.outbuf), caller);
        th_assert_tree_gone(name);
        syscall(SYS_keyctl, KEYCTL_INVALIDATE, key);
}
END_TEST

/* ---- 4. the fd limit ---- */

static void nofile(void *ctx)
{
        rlim_t n = *(const rlim_t *)ctx;
        struct rlimit rl = {n, n};

        setrlimit(RLIMIT_NOFILE, &rl);
}

START_TEST(works_at_the_stated_fd_minimum_and_says_emfile_below)
{
        static rlim_t at_min = CORRAL_MIN_NOFILE, at_101 = 101, below = CORRAL_MIN_NOFILE - 1;
        const char *prog[] = {"exit", "0", NULL};
        struct th_proc p;
        char name[64];
        int lines = 0;

        th_run_actor(&p, name, "nofile-min", NULL, prog, nofile, &at_min);
        ck_assert_msg(th_corral_wait(&p, 10000) == 0, "at %d fds:\n%s", CORRAL_MIN_NOFILE,
                      p.errbuf);
        th_assert_tree_gone(name);
        /* the zygote used to need fds past 100: a hard limit of 101 broke every run */
        th_run_actor(&p, name, "nofile-101", NULL, prog, nofile, &at_101);
        ck_assert_msg(th_corral_wait(&p, 10000) == 0, "at 101 fds:\n%s", p.errbuf);
        th_assert_tree_gone(name);

        th_run_actor(&p, name, "nofile-low", NULL, prog, nofile, &below);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 125);
        for (const char *c = p.errbuf; *c; c++)
                lines += *c == '\n';
        ck_assert_msg(lines == 1 && strstr(p.errbuf, "Too many open files") &&
                          strstr(p.errbuf, "at least 64"),
                      "wanted one line naming EMFILE:\n%s", p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

/* ---- 5. a stopped shim ---- */

/* SIGSTOP of the shim from the host, then the program exits: nobody can reap it or report,
 * and the supervisor used to wait for that report without bound. The stop starts the
 * cascade; its deadlines bound the rest. */
START_TEST(stopped_shim_is_bounded_by_the_cascade)
{
        const char *sets[] = {"--set", "TimeoutInterruptSec=1s", "--set", "TimeoutTerminateSec=1s",
                              "--set", "TimeoutKillSec=2s",      NULL};
        const char *prog[] = {"sleep", "0.3", NULL};
        struct th_proc p;
        char name[64], why[128];
        pid_t shim;
        int64_t t0, took;
        int code;

        th_run_actor(&p, name, "stopped", sets, prog, NULL, NULL);
        shim = started_pid(&p);
        ck_assert_int_eq(kill(shim, SIGSTOP), 0);
        t0 = mono_ms();
        code = th_corral_wait(&p, 15000);
        took = mono_ms() - t0;
        ck_assert_msg(strstr(th_event(&p, "cascade", "why", why, sizeof why), "was stopped"),
                      "events:\n%s", p.errbuf);
        /* interrupt 1 s, terminate 1 s, kill 2 s: the whole cascade, plus slack */
        ck_assert_msg(took <= th_ms(5500), "took %lld ms:\n%s", (long long)took, p.errbuf);
        /* the terminate stage woke the shim, which reported the program's own end */
        ck_assert_msg(code == 0, "exit %d:\n%s", code, p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

static Suite *security_suite(void)
{
        Suite *s = suite_create("security-privileged");
        TCase *tc = tcase_create("security");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, kill_zero_reaches_only_the_actors_own_group);
        tcase_add_test(tc, kill_zero_one_shot_shim_leads_its_session);
        tcase_add_test(tc, planted_symlinks_are_refused_and_stdio_opens_as_the_program);
        tcase_add_test(tc, actor_has_a_fresh_session_keyring);
        tcase_add_test(tc, works_at_the_stated_fd_minimum_and_says_emfile_below);
        tcase_add_test(tc, stopped_shim_is_bounded_by_the_cascade);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {security_suite};

        return th_run("test_security", TH_PRIVILEGED, suites, 1);
}
