/* Privileged end-to-end tests of `corral run` (spawner/): the real command, real namespaces
 * and cgroups, asserted from the host side (/proc/PID/..., the cgroup tree, the registry). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/syscalls.h"
#include "../ns/timeutil.h"
#include "harness.h"

static char name[64];

static void start(struct th_proc *p, const char *what, const char *const *prog,
                  const char *const *extra, void (*prep)(void *), void *ctx)
{
        th_run_actor(p, name, what, extra, prog, prep, ctx);
}

static pid_t started(struct th_proc *p, char *node, size_t len)
{
        char buf[32];

        ck_assert_msg(th_wait_for(p, false, "\"event\":\"started\"", 5000),
                      "no started event; events:\n%s", p->errbuf);
        th_event(p, "started", "node", node, len);
        th_assert_layout();
        return (pid_t)atoi(th_event(p, "started", "pid", buf, sizeof buf));
}

static void read_status_field(pid_t pid, const char *key, char *out, size_t len)
{
        char path[64], line[256];
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        out[0] = '\0';
        while (fgets(line, sizeof line, f)) {
                size_t kl = strlen(key);

                if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
                        char *v = line + kl + 1;

                        v += strspn(v, " \t");
                        v[strcspn(v, "\n")] = '\0';
                        snprintf(out, len, "%s", v);
                }
        }
        fclose(f);
}

static void assert_in_node(pid_t pid, const char *node)
{
        char path[64], line[PATH_MAX], want[PATH_MAX];
        FILE *f;
        bool ok = false;

        snprintf(want, sizeof want, "0::%s\n", node + strlen(th_host.v2.mount));
        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof line, f))
                ok |= strcmp(line, want) == 0;
        fclose(f);
        ck_assert_msg(ok, "pid %d is not in %s", pid, node);
}

START_TEST(program_is_pid2_under_shim_in_its_leaf)
{
        const char *prog[] = {"info", "30", NULL};
        struct th_proc p;
        char node[PATH_MAX], nspid[64], host[128], spawn[32];
        pid_t shim, prog_pid;

        start(&p, "ident", prog, NULL, NULL, NULL);
        shim = started(&p, node, sizeof node);
        /* the hot path, not a silent fallback: this and every kernel since 5.7 place the
         * shim with clone3(CLONE_INTO_CGROUP) */
        th_event(&p, "started", "spawn", spawn, sizeof spawn);
        ck_assert_str_eq(spawn, "clone3");
        ck_assert(th_wait_for(&p, true, "SigCgt", 5000));
        /* inside: pid 2 below a pid-1 shim, its own hostname, a /proc of its namespace only */
        ck_assert(th_has_line(p.outbuf, "pid 2"));
        ck_assert(th_has_line(p.outbuf, "ppid 1"));
        snprintf(host, sizeof host, "hostname %s", name);
        ck_assert_msg(th_has_line(p.outbuf, host), "hostname is not the actor's name:\n%s",
                      p.outbuf);
        ck_assert_msg(th_has_line(p.outbuf, "procs 2"), "/proc shows other processes:\n%s",
                      p.outbuf);
        /* outside: the shim and the program both sit in the actor's self/ leaf */
        ck_assert_ptr_nonnull(strstr(node, "/self"));
        assert_in_node(shim, node);
        prog_pid = th_program_pid(shim);
        ck_assert_int_gt(prog_pid, 0);
        assert_in_node(prog_pid, node);
        read_status_field(prog_pid, "NSpid", nspid, sizeof nspid);
        ck_assert_msg(strlen(nspid) > 2 && strcmp(nspid + strlen(nspid) - 2, "\t2") == 0,
                      "NSpid is '%s'", nspid);
        read_status_field(shim, "NSpid", nspid, sizeof nspid);
        ck_assert_msg(strcmp(nspid + strlen(nspid) - 2, "\t1") == 0, "shim NSpid '%s'", nspid);
        kill(p.pid, SIGTERM);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 128 + SIGINT);
        th_assert_tree_gone(name);
}
END_TEST

static void ignore_and_block(void *ctx)
{
        sigset_t set;

        (void)ctx;
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
}

START_TEST(program_signals_start_at_default)
{
        const char *prog[] = {"sleep", "30", NULL};
        struct th_proc p;
        char node[PATH_MAX], v[64];
        pid_t shim, prog_pid;
        unsigned long long ign, blk;

        /* like a shell with `trap '' INT PIPE` and a blocked signal */
        start(&p, "sigs", prog, NULL, ignore_and_block, NULL);
        shim = started(&p, node, sizeof node);
        prog_pid = th_program_pid(shim);
        ck_assert_int_gt(prog_pid, 0);
        /* positive control: corral itself runs with what the caller set */
        read_status_field(p.pid, "SigIgn", v, sizeof v);
        ign = strtoull(v, NULL, 16);
        ck_assert_msg(ign & (1ULL << (SIGINT - 1)), "corral does not ignore SIGINT: %s", v);
        read_status_field(p.pid, "SigBlk", v, sizeof v);
        blk = strtoull(v, NULL, 16);
        ck_assert_msg(blk & (1ULL << (SIGUSR1 - 1)), "corral does not block SIGUSR1: %s", v);
        /* the program starts clean */
        read_status_field(prog_pid, "SigIgn", v, sizeof v);
        ck_assert_msg(strtoull(v, NULL, 16) == 0, "program SigIgn %s", v);
        read_status_field(prog_pid, "SigBlk", v, sizeof v);
        ck_assert_msg(strtoull(v, NULL, 16) == 0, "program SigBlk %s", v);
        /* corral honours the caller's SIGINT ignore; SIGTERM still starts the cascade */
        kill(p.pid, SIGTERM);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 128 + SIGINT);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(segfault_reported_and_139)
{
        const char *prog[] = {"crash", NULL};
        struct th_proc p;
        char reason[128];

        start(&p, "segv", prog, NULL, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 139);
        th_event(&p, "exited", "reason", reason, sizeof reason);
        ck_assert_str_eq(reason, "signaled SIGSEGV");
        th_assert_tree_gone(name);
}
END_TEST

static char fd3_path[128];

static void open_fds_3_to_9(void *ctx)
{
        (void)ctx;
        for (int fd = 3; fd <= 9; fd++) {
                char path[128];
                int f;

                snprintf(path, sizeof path, "%s.%d", fd3_path, fd);
                f = open(path, O_RDWR | O_CREAT, 0600);
                if (f < 0 || dup2(f, fd) < 0)
                        _exit(120);
                if (f != fd)
                        close(f);
        }
}

START_TEST(only_passed_fd_reaches_program)
{
        const char *prog[] = {"fds", "30", NULL};
        const char *extra[] = {"--fd", "3:sock", NULL};
        struct th_proc p;
        char node[PATH_MAX], path[PATH_MAX];
        struct stat want, got;
        pid_t prog_pid;
        int count = 0;
        DIR *d;
        struct dirent *de;

        snprintf(fd3_path, sizeof fd3_path, "/tmp/corral-test-fds-%d", (int)getpid());
        start(&p, "fds", prog, extra, open_fds_3_to_9, NULL);
        prog_pid = th_program_pid(started(&p, node, sizeof node));
        ck_assert(th_wait_for(&p, true, "LISTEN_FDNAMES", 5000));
        ck_assert(th_has_line(p.outbuf, "LISTEN_FDS=1"));
        ck_assert(th_has_line(p.outbuf, "LISTEN_PID=2"));
        ck_assert(th_has_line(p.outbuf, "LISTEN_FDNAMES=sock"));
        /* the fd table, read from the host side: exactly 0, 1, 2, 3 and the control channel at 4
         * (after the passed fd) */
        snprintf(path, sizeof path, "/proc/%d/fd", (int)prog_pid);
        d = opendir(path);
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                ck_assert_msg(atoi(de->d_name) <= 4, "fd %s leaked into the program", de->d_name);
                count++;
        }
        closedir(d);
        ck_assert_int_eq(count, 5);
        ck_assert(th_has_line(p.outbuf, "CORRAL_CTL_FD=4"));
        /* and fd 3 is the caller's fd 3 */
        snprintf(path, sizeof path, "%s.3", fd3_path);
        ck_assert_int_eq(stat(path, &want), 0);
        snprintf(path, sizeof path, "/proc/%d/fd/3", (int)prog_pid);
        ck_assert_int_eq(stat(path, &got), 0);
        ck_assert(want.st_ino == got.st_ino && want.st_dev == got.st_dev);
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        for (int fd = 3; fd <= 9; fd++) {
                snprintf(path, sizeof path, "%s.%d", fd3_path, fd);
                unlink(path);
        }
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(sigint_ignored_escalates_to_sigterm)
{
        const char *prog[] = {"ignore", "INT", "30", NULL};
        const char *extra[] = {"--set", "TimeoutInterruptSec=1s", "--set", "TimeoutTerminateSec=1s",
                               NULL};
        struct th_proc p;
        char node[PATH_MAX], reason[128];
        int64_t t;

        start(&p, "esc-term", prog, extra, NULL, NULL);
        started(&p, node, sizeof node);
        ck_assert(th_wait_for(&p, true, "ready", 5000));
        t = mono_ms();
        kill(p.pid, SIGINT);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 128 + SIGTERM);
        t = mono_ms() - t;
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "interrupt"), 1);
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "terminate"), 1);
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "kill"), 0);
        th_event(&p, "exited", "reason", reason, sizeof reason);
        ck_assert_str_eq(reason, "terminated (signaled SIGTERM)");
        /* one interrupt timeout, plus a margin for the kernel and the loop */
        ck_assert_msg(t >= 900 && t < th_ms(1000 + 1500), "teardown took %lld ms", (long long)t);
        th_assert_tree_gone(name);
}
END_TEST

/* A process moved into the actor's self/ leaf from outside its PID namespace: no shim can
 * signal it, only cgroup.kill ends it. */
START_TEST(stubborn_program_and_foreign_helper_killed_by_cgroup_kill)
{
        const char *prog[] = {"ignore", "INT,TERM", "30", NULL};
        const char *extra[] = {"--set", "TimeoutInterruptSec=1s", "--set", "TimeoutTerminateSec=1s",
                               NULL};
        struct th_proc p;
        char node[PATH_MAX], reason[128], procs[PATH_MAX + 16], v[24];
        int64_t t;
        pid_t helper;
        int hfd, fd;

        start(&p, "esc-kill", prog, extra, NULL, NULL);
        started(&p, node, sizeof node);
        ck_assert(th_wait_for(&p, true, "ready", 5000));
        helper = fork();
        if (helper == 0) {
                signal(SIGTERM, SIG_IGN);
                signal(SIGINT, SIG_IGN);
                for (int i = 0; i < 300; i++)
                        usleep(100000);
                _exit(0);
        }
        hfd = sys_pidfd_open(helper, 0);
        ck_assert_int_ge(hfd, 0);
        snprintf(procs, sizeof procs, "%s/cgroup.procs", node);
        fd = open(procs, O_WRONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        snprintf(v, sizeof v, "%d", (int)helper);
        ck_assert_int_eq(write(fd, v, strlen(v)), (int)strlen(v));
        close(fd);
        assert_in_node(helper, node);

        t = mono_ms();
        kill(p.pid, SIGINT);
        ck_assert_int_eq(th_corral_wait(&p, 15000), 128 + SIGKILL);
        t = mono_ms() - t;
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "interrupt"), 1);
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "terminate"), 1);
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "kill"), 1);
        th_event(&p, "exited", "reason", reason, sizeof reason);
        ck_assert_str_eq(reason, "killed (signaled SIGKILL)");
        th_assert_dead(hfd, 1000, "the helper moved into the leaf");
        waitpid(helper, NULL, 0);
        close(hfd);
        ck_assert_msg(t >= 1900 && t < th_ms(2000 + 2000), "teardown took %lld ms", (long long)t);
        th_assert_tree_gone(name);
}
END_TEST

static void force_fallback(void *ctx)
{
        (void)ctx;
        setenv("CORRAL_TEST_FORCE_CLONE_FALLBACK", "1", 1);
}

START_TEST(fallback_spawn_still_lands_in_node)
{
        const char *prog[] = {"info", "30", NULL};
        struct th_proc p;
        char node[PATH_MAX], spawn[32];
        pid_t shim;

        start(&p, "fallback", prog, NULL, force_fallback, NULL);
        shim = started(&p, node, sizeof node);
        th_event(&p, "started", "spawn", spawn, sizeof spawn);
        ck_assert_str_eq(spawn, "clone-fallback");
        ck_assert(th_wait_for(&p, true, "SigCgt", 5000));
        ck_assert(th_has_line(p.outbuf, "pid 2"));
        assert_in_node(shim, node);
        assert_in_node(th_program_pid(shim), node);
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        th_assert_tree_gone(name);
}
END_TEST

static int free_port(void)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t l = sizeof a;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int port;

        ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
        port = ntohs(a.sin_port);
        close(fd);
        return port;
}

static int try_bind(int port)
{
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rc = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 1) == 0 ? 0 : errno;

        close(fd);
        return rc;
}

START_TEST(daemonized_listener_gone_port_free)
{
        char port[16];
        const char *prog[] = {"daemonize", "60", port, "1", NULL};
        struct th_proc p;
        char node[PATH_MAX];

        snprintf(port, sizeof port, "%d", free_port());
        start(&p, "daemon", prog, NULL, NULL, NULL);
        started(&p, node, sizeof node);
        ck_assert_msg(th_wait_for(&p, true, "grandchild", 5000), "out:\n%s\nerr:\n%s", p.outbuf,
                      p.errbuf);
        /* positive control: the daemon holds the port in the host's network namespace */
        ck_assert_int_eq(try_bind(atoi(port)), EADDRINUSE);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 0);
        /* the program exited; its daemonized grandchild went with it */
        ck_assert_int_eq(try_bind(atoi(port)), 0);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(supervisor_sigkilled_tree_dies_and_is_swept)
{
        const char *prog[] = {"sleep", "30", NULL};
        const char *next[] = {"run", "--events", "json", "--", "true", NULL};
        struct th_proc p, q;
        char node[PATH_MAX], victim[64], path[PATH_MAX];
        pid_t shim;
        int sfd, pfd, lock;

        start(&p, "sigkill", prog, NULL, NULL, NULL);
        snprintf(victim, sizeof victim, "%s", name);
        shim = started(&p, node, sizeof node);
        sfd = sys_pidfd_open(shim, 0);
        pfd = sys_pidfd_open(th_program_pid(shim), 0);
        ck_assert(sfd >= 0 && pfd >= 0);
        kill(p.pid, SIGKILL);
        th_corral_wait(&p, 5000);
        th_assert_dead(sfd, 1000, "the shim");
        th_assert_dead(pfd, 1000, "the program");
        close(sfd);
        close(pfd);
        /* the registry lock died with the supervisor */
        snprintf(path, sizeof path, "%s/%s.json", th_registry(), victim);
        lock = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(lock, 0);
        ck_assert_int_eq(flock(lock, LOCK_EX | LOCK_NB), 0);
        close(lock);
        /* the next corral run removes what it left */
        th_corral_start(&q, next, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&q, 10000), 0);
        ck_assert_int_ge(th_event_count(&q, "orphan-removed", "orphan", victim), 1);
        th_assert_tree_gone(victim);
}
END_TEST

/* corral run makes its admin socket after the root's clone (late_housekeeping): when that
 * fails (here a directory squats the socket's name), the run says so in one error line and
 * the program still runs to its own exit status; its tree goes as any other. (test_admin and
 * test_live reach running trees through their sockets: the control.) */
START_TEST(admin_socket_failure_said_and_the_tree_runs)
{
        const char *args[] = {"run", "--name", NULL, "--", "sh", "-c", "exit 7", NULL};
        char tree[64], sock[PATH_MAX];
        struct th_proc p;
        int rc;

        snprintf(tree, sizeof tree, "%s", th_tree_name("nosock"));
        args[2] = tree;
        if (mkdir(th_registry(), geteuid() == 0 ? 0755 : 0700) < 0)
                ck_assert_int_eq(errno, EEXIST);
        snprintf(sock, sizeof sock, "%s/%s.sock", th_registry(), tree);
        ck_assert_int_eq(mkdir(sock, 0700), 0);
        th_corral_start(&p, args, -1, NULL, NULL);
        rc = th_corral_wait(&p, 20000);
        rmdir(sock);
        ck_assert_msg(rc == 7, "exit %d, stderr:\n%s", rc, p.errbuf);
        ck_assert_msg(strstr(p.errbuf, "opening the admin socket") &&
                          strstr(p.errbuf, "kill --force can"),
                      "%s", p.errbuf);
        th_assert_tree_gone(tree);
}
END_TEST

START_TEST(name_clash_refused)
{
        const char *prog[] = {"sleep", "30", NULL};
        const char *dup[] = {"run", "--name", NULL, "--", "true", NULL};
        struct th_proc p, q;
        char node[PATH_MAX];

        start(&p, "clash", prog, NULL, NULL, NULL);
        started(&p, node, sizeof node);
        dup[2] = name;
        th_corral_start(&q, dup, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&q, 10000), 125);
        ck_assert_msg(strstr(q.errbuf, "already running"), "%s", q.errbuf);
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(exec_failures_127_126)
{
        const char *nf[] = {"run", "--", "/nonexistent/program", NULL};
        char noexec[64];
        const char *nx[] = {"run", "--", noexec, NULL};
        const char *bad[] = {"run", "--name", "memory.max", "--", "true", NULL};
        struct th_proc p;

        th_corral_start(&p, nf, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 127);
        /* the message names what was run */
        ck_assert_msg(strstr(p.errbuf, "corral: spawn failed at execve of /nonexistent/program: "
                                       "No such file or directory"),
                      "%s", p.errbuf);
        /* a file we may read but not execute */
        /* not under /tmp (the program's /tmp is its own) nor in the source tree (read-only in
         * the guest tier): /run is the host's for the program too */
        snprintf(noexec, sizeof noexec, "/run/corral-noexec-%d", (int)getpid());
        ck_assert_int_ge(close(open(noexec, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)), 0);
        th_corral_start(&p, nx, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 126);
        unlink(noexec);
        ck_assert_msg(strstr(p.errbuf, "spawn failed at execve of /run/corral-noexec-") &&
                          strstr(p.errbuf, ": Permission denied"),
                      "%s", p.errbuf);
        th_corral_start(&p, bad, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 125);
        ck_assert_msg(strstr(p.errbuf, "invalid tree name"), "%s", p.errbuf);
}
END_TEST

static void eager_zygote(void *ctx)
{
        (void)ctx;
        setenv("CORRAL_TEST_EAGER_ZYGOTE", "1", 1);
}

/* A zygote's fd above its five: only a namespace it made ahead for the next actor
 * (ns/spare_ns.h): a network or IPC namespace that is neither ours (the host's) nor the
 * running actor's. */
static void assert_zygote_spare(pid_t zygote, const char *fd, pid_t shim)
{
        char path[PATH_MAX], link[64], ours[64], actors[64];
        const char *kind = NULL;
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/fd/%s", (int)zygote, fd);
        n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
                return; /* closed meanwhile (a spare going to a clone) */
        link[n] = '\0';
        if (strncmp(link, "net:[", 5) == 0)
                kind = "net";
        else if (strncmp(link, "ipc:[", 5) == 0)
                kind = "ipc";
        ck_assert_msg(kind, "zygote holds fd %s: %s", fd, link);
        snprintf(path, sizeof path, "/proc/self/ns/%s", kind);
        n = readlink(path, ours, sizeof ours - 1);
        ck_assert_int_gt(n, 0);
        ours[n] = '\0';
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)shim, kind);
        n = readlink(path, actors, sizeof actors - 1);
        ck_assert_int_gt(n, 0);
        actors[n] = '\0';
        ck_assert_msg(strcmp(link, ours) != 0 && strcmp(link, actors) != 0,
                      "the zygote's spare %s is in use (ours %s, the actor's %s)", link, ours,
                      actors);
}

/* The supervisor's own fd table during a running tree: every fd it opened is CLOEXEC (the
 * caller's 0-2 aside). A one-shot tree has no zygote: corral cloned the shim itself, and the
 * shim kept none of its fds. With the zygote forked at open (the API's default), the zygote
 * holds nothing but stdio, its socket, our pidfd and the namespaces it made ahead, and its
 * shim only what any shim holds. */
static void fd_tables(bool eager)
{
        const char *prog[] = {"sleep", "30", NULL};
        struct th_proc p;
        char node[PATH_MAX], path[PATH_MAX], line[256];
        pid_t shim, zygote = -1;
        int checked = 0, children = 0;
        DIR *d;
        struct dirent *de;
        FILE *f;

        start(&p, "fdaudit", prog, NULL, eager ? eager_zygote : NULL, NULL);
        shim = started(&p, node, sizeof node);
        snprintf(path, sizeof path, "/proc/%d/fdinfo", (int)p.pid);
        d = opendir(path);
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                int fd = atoi(de->d_name);
                unsigned long flags = 0;

                if (de->d_name[0] == '.' || fd <= 2)
                        continue;
                snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)p.pid, fd);
                f = fopen(path, "re");
                if (!f)
                        continue; /* closed meanwhile */
                while (fgets(line, sizeof line, f)) {
                        if (strncmp(line, "flags:", 6) == 0)
                                flags = strtoul(line + 6, NULL, 8);
                }
                fclose(f);
                ck_assert_msg(flags & O_CLOEXEC, "supervisor fd %d lacks FD_CLOEXEC", fd);
                checked++;
        }
        closedir(d);
        ck_assert_int_gt(checked, 3);
        th_assert_shim_fds(shim);
        /* the zygote: the supervisor's child that is not the shim */
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)p.pid, (int)p.pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while (fscanf(f, "%d", &checked) == 1) {
                children++;
                if (checked != shim)
                        zygote = checked;
        }
        fclose(f);
        if (!eager) {
                ck_assert_msg(children == 1 && zygote == -1,
                              "a one-shot tree forked a zygote (%d children)", children);
        } else {
                ck_assert_int_gt(zygote, 0);
                snprintf(path, sizeof path, "/proc/%d/fd", (int)zygote);
                d = opendir(path);
                ck_assert_ptr_nonnull(d);
                checked = 0;
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        if (atoi(de->d_name) > 4)
                                assert_zygote_spare(zygote, de->d_name, shim);
                        else
                                checked++;
                }
                closedir(d);
                ck_assert_int_eq(checked, 5);
        }
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        th_assert_tree_gone(name);
}

START_TEST(supervisor_shim_and_zygote_fd_tables)
{
        fd_tables(false);
        fd_tables(true);
}
END_TEST

/* A second signal skips a stage, a third goes straight to the kill: with the default 3 s
 * stages, three quick signals end a program that ignores SIGINT and SIGTERM at once. */
START_TEST(second_and_third_signal_escalate)
{
        const char *prog[] = {"ignore", "INT,TERM", "30", NULL};
        struct th_proc p;
        char node[PATH_MAX], why[64];
        int64_t t;

        start(&p, "signals3", prog, NULL, NULL, NULL);
        started(&p, node, sizeof node);
        ck_assert(th_wait_for(&p, true, "ready", 5000));
        t = mono_ms();
        kill(p.pid, SIGINT);
        ck_assert(th_wait_for(&p, false, "\"stage\":\"interrupt\"", 2000));
        kill(p.pid, SIGINT);
        ck_assert(th_wait_for(&p, false, "\"stage\":\"terminate\"", 2000));
        kill(p.pid, SIGINT);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 128 + SIGKILL);
        t = mono_ms() - t;
        ck_assert_int_eq(th_event_count(&p, "cascade", "stage", "kill"), 1);
        ck_assert_int_eq(th_event_count(&p, "cascade", "why", "SIGINT to corral (3)"), 1);
        th_event(&p, "cascade", "why", why, sizeof why);
        ck_assert_str_eq(why, "SIGINT to corral (1)");
        /* far below the 3 s + 3 s the stage timeouts would have taken */
        ck_assert_msg(t < th_ms(2500), "three signals took %lld ms", (long long)t);
        th_assert_tree_gone(name);
}
END_TEST

static void ignore_sigchld(void *ctx)
{
        (void)ctx;
        signal(SIGCHLD, SIG_IGN);
}

/* A caller that ignores SIGCHLD would have the kernel reap the shims behind corral's back;
 * the program's status must survive that. */
START_TEST(exit_status_with_sigchld_ignored)
{
        const char *prog[] = {"exit", "3", NULL};
        struct th_proc p;

        start(&p, "sigchld", prog, NULL, ignore_sigchld, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 3);
        th_assert_tree_gone(name);
}
END_TEST

/* The program is found and opened before the actor's mounts exist: a binary below a path
 * those mounts hide (a checkout under /tmp, which PrivateTmp= replaces) still runs; a script
 * there cannot (its interpreter opens it by path) and says so. */
START_TEST(program_under_a_hidden_path)
{
        char bin[64], script[64];
        const char *run_bin[] = {"run", "--", bin, "exit", "5", NULL};
        const char *run_script[] = {"run", "--", script, NULL};
        struct th_proc p;
        char cmd[PATH_MAX + 128];
        int fd;

        snprintf(bin, sizeof bin, "/tmp/corral-test-bin-%d", (int)getpid());
        snprintf(script, sizeof script, "/tmp/corral-test-script-%d", (int)getpid());
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", th_actor(), bin);
        ck_assert_int_eq(system(cmd), 0);
        fd = open(script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_gt(write(fd, "#!/bin/sh\nexit 0\n", 17), 0);
        close(fd);
        th_corral_start(&p, run_bin, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 5);
        th_corral_start(&p, run_script, -1, NULL, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 127);
        ck_assert_msg(strstr(p.errbuf, script) && strstr(p.errbuf, "own mounts hide"), "%s",
                      p.errbuf);
        unlink(bin);
        unlink(script);
}
END_TEST

static Suite *run_suite(void)
{
        Suite *s = suite_create("corral-run-privileged");
        TCase *tc = tcase_create("run");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, program_is_pid2_under_shim_in_its_leaf);
        tcase_add_test(tc, program_signals_start_at_default);
        tcase_add_test(tc, segfault_reported_and_139);
        tcase_add_test(tc, only_passed_fd_reaches_program);
        tcase_add_test(tc, sigint_ignored_escalates_to_sigterm);
        tcase_add_test(tc, stubborn_program_and_foreign_helper_killed_by_cgroup_kill);
        tcase_add_test(tc, fallback_spawn_still_lands_in_node);
        tcase_add_test(tc, daemonized_listener_gone_port_free);
        tcase_add_test(tc, supervisor_sigkilled_tree_dies_and_is_swept);
        tcase_add_test(tc, name_clash_refused);
        tcase_add_test(tc, admin_socket_failure_said_and_the_tree_runs);
        tcase_add_test(tc, exec_failures_127_126);
        tcase_add_test(tc, supervisor_shim_and_zygote_fd_tables);
        tcase_add_test(tc, second_and_third_signal_escalate);
        tcase_add_test(tc, exit_status_with_sigchld_ignored);
        tcase_add_test(tc, program_under_a_hidden_path);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {run_suite};

        return th_run("test_run", TH_PRIVILEGED, suites, 1);
}
