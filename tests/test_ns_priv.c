/* Privileged tests of ns/: real cgroups, real clones, real fd tables, asserted from the host
 * side. Needs root and a writable cgroup v2 hierarchy (see harness.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/clone.h"
#include "../ns/fdplan.h"
#include "../ns/safepath.h"
#include "../ns/syscalls.h"
#include "harness.h"

/* The v2 path of a process as the host sees it ("0::/corral/..." in /proc/PID/cgroup). */
static void proc_v2_cgroup(pid_t pid, char *out, size_t len)
{
        char path[64], line[PATH_MAX];
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        out[0] = '\0';
        while (fgets(line, sizeof line, f)) {
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(out, len, "%s", line + 3);
                }
        }
        fclose(f);
}

/* The node's path as /proc/PID/cgroup would print it. */
static const char *node_cgroup_path(const struct cg_node *n)
{
        return n->path + strlen(th_host.v2.mount);
}

static bool procs_contains(const struct cg_node *n, pid_t pid)
{
        struct cerr err = {0};
        char buf[4096];

        if (cg_node_read(n, "cgroup.procs", buf, sizeof buf, &err) < 0)
                return false;
        for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n")) {
                if (atoi(s) == pid)
                        return true;
        }
        return false;
}

/* Clone into the node; the child waits for the parent's go on a pipe and exits 7. */
static void clone_and_check(bool fallback)
{
        struct th_tree t;
        struct ns_clone_req req = {
            .flags = CLONE_CLEAR_SIGHAND, .cgroup_fd = -1, .force_fallback = fallback};
        struct ns_clone_res res;
        struct cerr err = {0};
        char where[PATH_MAX], ebuf[600];
        int go[2];
        int status = -1;
        pid_t pid;

        th_tree_create(&t, fallback ? "clone-fallback" : "clone3");
        ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
        req.cgroup_fd = t.v2.fd;
        pid = ns_clone(&req, &res, &err);
        if (pid == 0) {
                char c;

                close(go[1]);
                _exit(read(go[0], &c, 1) == 1 ? 7 : 1);
        }
        close(go[0]);
        ck_assert_msg(pid > 0, "clone: %s", cerr_str(&err, ebuf, sizeof ebuf));
        ck_assert_int_ge(res.pidfd, 0);
        ck_assert(res.fallback == fallback);
        ck_assert(res.placed == !fallback);
        if (!res.placed) {
                /* crun's fallback: the child starts in our cgroup and is moved before release */
                proc_v2_cgroup(pid, where, sizeof where);
                ck_assert_str_ne(where, node_cgroup_path(&t.v2));
                ck_assert_int_eq(cg_node_place(&t.v2, pid, &err), 0);
        }
        ck_assert_msg(procs_contains(&t.v2, pid), "pid %d not in %s/cgroup.procs", pid, t.v2.path);
        proc_v2_cgroup(pid, where, sizeof where);
        ck_assert_str_eq(where, node_cgroup_path(&t.v2));
        ck_assert_int_eq(write(go[1], "g", 1), 1);
        close(go[1]);
        ck_assert_int_eq(pidfd_wait(res.pidfd, th_ms(5000), &status, &err), 1);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
        close(res.pidfd);
        th_tree_finish(&t);
}

START_TEST(clone3_into_cgroup)
{
        clone_and_check(false);
        ck_assert_int_eq(ns_clone3_state(), 1);
}
END_TEST

START_TEST(clone_fallback_placed_by_procs)
{
        clone_and_check(true);
}
END_TEST

START_TEST(pidfd_signal_and_status)
{
        struct th_tree t;
        struct ns_clone_req req = {.flags = CLONE_CLEAR_SIGHAND, .cgroup_fd = -1};
        struct ns_clone_res res;
        struct cerr err = {0};
        char desc[64];
        int status = 0;
        pid_t pid;

        th_tree_create(&t, "pidfd");
        req.cgroup_fd = t.v2.fd;
        pid = ns_clone(&req, &res, &err);
        if (pid == 0) {
                sigset_t none;

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                for (int i = 0; i < 600; i++)
                        usleep(100000);
                _exit(0);
        }
        ck_assert_int_gt(pid, 0);
        /* still running: a short wait times out */
        ck_assert_int_eq(pidfd_wait(res.pidfd, 50, &status, &err), 0);
        ck_assert_int_eq(pidfd_signal(res.pidfd, SIGTERM, &err), 0);
        ck_assert_int_eq(pidfd_wait(res.pidfd, th_ms(5000), &status, &err), 1);
        ck_assert_str_eq(wstatus_describe(status, desc, sizeof desc), "signaled SIGTERM");
        ck_assert_int_eq(wstatus_exit_code(status), 128 + SIGTERM);
        close(res.pidfd);
        th_tree_finish(&t);
}
END_TEST

/* A process in a nested node daemonizes (setsid + double fork): no process group or session
 * holds it any more, only the cgroup. One cgroup.kill on the outer node ends it. */
START_TEST(daemonized_grandchild_killed_by_cgroup_kill)
{
        struct th_tree t;
        struct cg_node sub;
        struct ns_clone_req req = {.flags = CLONE_CLEAR_SIGHAND, .cgroup_fd = -1};
        struct ns_clone_res res;
        struct cerr err = {0};
        char buf[32] = "", ebuf[600];
        int rep[2];
        pid_t pid, gpid;
        int gfd, status;

        th_tree_create(&t, "daemon");
        ck_assert_int_eq(cg_node_create(&sub, t.v2.path, "inner", "ctest", &err), 0);
        ck_assert_int_eq(pipe2(rep, O_CLOEXEC), 0);
        req.cgroup_fd = sub.fd;
        pid = ns_clone(&req, &res, &err);
        if (pid == 0) {
                sigset_t none;

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                close(rep[0]);
                if (fork() == 0) {
                        setsid();
                        if (fork() == 0) {
                                int n = snprintf(buf, sizeof buf, "%d", (int)getpid());

                                /* a daemon that shrugs off the polite signals, too */
                                signal(SIGTERM, SIG_IGN);
                                signal(SIGINT, SIG_IGN);
                                signal(SIGHUP, SIG_IGN);
                                if (write(rep[1], buf, (size_t)n) != n)
                                        _exit(1);
                                close(rep[1]);
                                for (int i = 0; i < 600; i++)
                                        usleep(100000);
                                _exit(0);
                        }
                        _exit(0);
                }
                _exit(0);
        }
        close(rep[1]);
        ck_assert_msg(pid > 0, "clone: %s", cerr_str(&err, ebuf, sizeof ebuf));
        ck_assert_int_gt(read(rep[0], buf, sizeof buf - 1), 0);
        close(rep[0]);
        gpid = atoi(buf);
        ck_assert_int_gt(gpid, 0);
        gfd = sys_pidfd_open(gpid, 0);
        ck_assert_int_ge(gfd, 0);
        /* the direct child is gone; the daemon lives on in the nested node, in its own session */
        ck_assert_int_eq(pidfd_wait(res.pidfd, th_ms(5000), &status, &err), 1);
        ck_assert(procs_contains(&sub, gpid));
        ck_assert_int_ne(getsid(gpid), getsid(0));
        ck_assert_int_eq(cg_node_populated(&t.v2, &err), 1);

        ck_assert_int_eq(cg_node_kill(&t.v2, &err), 0);
        ck_assert_msg(cg_node_wait_empty(&t.v2, th_ms(5000), &err) == 0, "%s",
                      cerr_str(&err, ebuf, sizeof ebuf));
        ck_assert_int_eq(cg_node_populated(&t.v2, &err), 0);
        th_assert_dead(gfd, 1000, "the daemonized grandchild");
        close(gfd);
        close(res.pidfd);
        cg_node_close(&sub);
        ck_assert_int_eq(cg_remove_tree(t.v2.path, &err), 0);
        ck_assert(access(t.v2.path, F_OK) < 0 && errno == ENOENT);
        th_tree_finish(&t);
}
END_TEST

/* Positive control for th_assert_layout(), which the corral run suites call on live trees: a
 * process in a node that also has a child node is found (no controllers are enabled in the
 * node, so the kernel allows it; corral's layout never does it). */
START_TEST(layout_check_finds_internal_process)
{
        struct th_tree t;
        struct cg_node sub;
        struct ns_clone_req req = {.flags = CLONE_CLEAR_SIGHAND, .cgroup_fd = -1};
        struct ns_clone_res res;
        struct cerr err = {0};
        pid_t pid;

        th_tree_create(&t, "layout");
        ck_assert_int_eq(cg_node_create(&sub, t.v2.path, "child", "ctest", &err), 0);
        ck_assert_int_eq(th_layout_violations(), 0);
        req.cgroup_fd = t.v2.fd;
        pid = ns_clone(&req, &res, &err);
        if (pid == 0) {
                for (int i = 0; i < 600; i++)
                        usleep(100000);
                _exit(0);
        }
        ck_assert_int_gt(pid, 0);
        ck_assert_int_eq(th_layout_violations(), 1);
        ck_assert_int_eq(pidfd_signal(res.pidfd, SIGKILL, &err), 0);
        ck_assert_int_eq(pidfd_wait(res.pidfd, th_ms(5000), NULL, &err), 1);
        close(res.pidfd);
        ck_assert_int_eq(cg_node_wait_empty(&t.v2, th_ms(5000), &err), 0);
        ck_assert_int_eq(th_layout_violations(), 0);
        cg_node_close(&sub);
        th_tree_finish(&t);
}
END_TEST

START_TEST(wait_empty_times_out_while_populated)
{
        struct th_tree t;
        struct ns_clone_req req = {.flags = CLONE_CLEAR_SIGHAND, .cgroup_fd = -1};
        struct ns_clone_res res;
        struct cerr err = {0};
        pid_t pid;

        th_tree_create(&t, "timeout");
        req.cgroup_fd = t.v2.fd;
        pid = ns_clone(&req, &res, &err);
        if (pid == 0) {
                for (int i = 0; i < 600; i++)
                        usleep(100000);
                _exit(0);
        }
        ck_assert_int_gt(pid, 0);
        ck_assert_int_eq(cg_node_wait_empty(&t.v2, 100, &err), -1);
        ck_assert_int_eq(err.errnum, ETIMEDOUT);
        ck_assert_int_eq(cg_node_kill(&t.v2, &err), 0);
        ck_assert_int_eq(cg_node_wait_empty(&t.v2, th_ms(5000), &err), 0);
        ck_assert_int_eq(pidfd_wait(res.pidfd, th_ms(1000), NULL, &err), 1);
        close(res.pidfd);
        th_tree_finish(&t);
}
END_TEST

START_TEST(untagged_nodes_are_never_touched)
{
        struct th_tree t;
        struct cg_node n;
        struct cerr err = {0};
        char path[PATH_MAX];

        th_tree_create(&t, "untagged");
        /* a cgroup corral did not create (no tag): kill, open and remove refuse it */
        snprintf(path, sizeof path, "%s/foreign", t.v2.path);
        ck_assert_int_eq(mkdir(path, 0755), 0);
        ck_assert_int_eq(cg_node_open(&n, path, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "no corral tag"));
        ck_assert_int_eq(cg_remove_tree(t.v2.path, &err), -1);
        ck_assert(access(path, F_OK) == 0);
        snprintf(n.path, sizeof n.path, "%s", path);
        n.fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_eq(cg_node_kill(&n, &err), -1);
        ck_assert_int_eq(err.errnum, EPERM);
        close(n.fd);
        ck_assert_int_eq(rmdir(path), 0); /* the test made it, the test removes it */
        /* an existing untagged directory is not adopted as a base either */
        ck_assert_int_eq(mkdir(path, 0755), 0);
        ck_assert_int_eq(cg_node_ensure(&n, t.v2.path, "foreign", "x", &err), -1);
        ck_assert_int_eq(rmdir(path), 0);
        th_tree_finish(&t);
}
END_TEST

/* Positive control for the pids tests: the same fork loop without the limit reaches its own
 * cap. */
static int fork_until_fail(int cap, int *err_out)
{
        int hold[2];
        int n = 0;

        if (pipe(hold) < 0)
                return -1;
        *err_out = 0;
        for (; n < cap; n++) {
                pid_t p = fork();

                if (p == 0) {
                        char c;

                        close(hold[1]);
                        (void)!read(hold[0], &c, 1); /* until the parent exits */
                        _exit(0);
                }
                if (p < 0) {
                        *err_out = errno;
                        break;
                }
        }
        /* release and reap them: pids.current drops only when a child is reaped */
        close(hold[1]);
        while (wait(NULL) > 0)
                ;
        return n;
}

static void run_fork_loop(struct th_tree *t, const struct cg_node *v1, int cap, int *forks,
                          int *errnum)
{
        struct ns_clone_req req = {.flags = CLONE_CLEAR_SIGHAND, .cgroup_fd = t->v2.fd};
        struct ns_clone_res res;
        struct cerr err = {0};
        int go[2], rep[2];
        int out[2] = {-1, -1};
        pid_t pid;

        ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(rep, O_CLOEXEC), 0);
        pid = ns_clone(&req, &res, &err);
        if (pid == 0) {
                char c;

                close(go[1]);
                close(rep[0]);
                if (read(go[0], &c, 1) != 1)
                        _exit(1);
                out[0] = fork_until_fail(cap, &out[1]);
                _exit(write(rep[1], out, sizeof out) == sizeof out ? 0 : 1);
        }
        close(go[0]);
        close(rep[1]);
        ck_assert_int_gt(pid, 0);
        if (v1)
                ck_assert_int_eq(cg_node_place(v1, pid, &err), 0);
        ck_assert_int_eq(write(go[1], "g", 1), 1);
        close(go[1]);
        ck_assert_int_eq(read(rep[0], out, sizeof out), (int)sizeof out);
        close(rep[0]);
        *forks = out[0];
        *errnum = out[1];
        ck_assert_int_eq(pidfd_wait(res.pidfd, th_ms(5000), NULL, &err), 1);
        close(res.pidfd);
        /* the forked children exit once their parent's pipe end closes */
        ck_assert_int_eq(cg_node_wait_empty(&t->v2, th_ms(5000), &err), 0);
}

/* pids.max bites where this host keeps the pids controller: on a pure v2 host on the node
 * itself (enabled from its parents), on a hybrid one in a v1 group mirrored at the node's path
 * into which the child is placed by pid. */
START_TEST(pids_limit_bites)
{
        struct th_tree t;
        struct cg_node grp;
        const struct cg_node *lim;
        bool v1 = th_host.ctrl[CG_PIDS].src == CG_SRC_V1;
        struct cerr err = {0};
        char buf[64];
        int forks, errnum;

        if (th_host.ctrl[CG_PIDS].src == CG_SRC_NONE) {
                fprintf(stderr, "pids_limit_bites: no pids controller on this host (%s)\n",
                        th_host.ctrl[CG_PIDS].note);
                return;
        }
        th_tree_create(&t, "pids");
        /* positive control: no limit, the loop reaches its cap of 12 */
        run_fork_loop(&t, NULL, 12, &forks, &errnum);
        ck_assert_int_eq(forks, 12);
        ck_assert_int_eq(errnum, 0);

        if (v1) {
                th_tree_v1(&t, CG_PIDS, &grp);
                lim = &grp;
        } else {
                th_enable_v2(CG_PIDS);
                lim = &t.v2;
        }
        ck_assert_int_eq(cg_node_write(lim, "pids.max", "5", &err), 0);
        run_fork_loop(&t, v1 ? &grp : NULL, 12, &forks, &errnum);
        /* pids.max counts the forking process itself: 4 children, then EAGAIN */
        ck_assert_int_eq(forks, 4);
        ck_assert_int_eq(errnum, EAGAIN);
        ck_assert_int_gt(cg_node_read(lim, "pids.current", buf, sizeof buf, &err), 0);
        ck_assert_int_eq(atoi(buf), 0);
        if (!v1) {
                /* v2 counts the refusals where the limit is set */
                ck_assert_int_gt(cg_node_read(lim, "pids.events", buf, sizeof buf, &err), 0);
                ck_assert_msg(strstr(buf, "max ") && atoi(strstr(buf, "max ") + 4) > 0,
                              "pids.events: %s", buf);
        }
        if (v1)
                cg_node_close(&grp);
        th_tree_finish(&t); /* removes the v1 group too, and asserts it is gone */
}
END_TEST

/* ---- fd plans applied in a real child, read back from /proc/PID/fd ---- */

static void same_file(pid_t pid, int child_fd, int parent_fd)
{
        char path[64];
        struct stat a, b;

        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, child_fd);
        ck_assert_msg(stat(path, &a) == 0, "child fd %d missing", child_fd);
        ck_assert_int_eq(fstat(parent_fd, &b), 0);
        ck_assert_msg(a.st_ino == b.st_ino && a.st_dev == b.st_dev,
                      "child fd %d is not what our fd %d is", child_fd, parent_fd);
}

static void fdplan_in_child(bool force_walk)
{
        struct th_tree t;
        struct fdplan *plan = calloc(1, sizeof *plan);
        struct ns_clone_req req = {.flags = CLONE_CLEAR_SIGHAND, .cgroup_fd = -1};
        struct ns_clone_res res;
        struct cerr err = {0};
        int files[7]; /* the child holds files[i] at fd 3+i, inheritable: a leaky caller */
        int rep[2];
        char path[64], ebuf[600];
        int got = -1, status;
        pid_t pid;
        struct fdplan_move moves[] = {
            {0, 0}, {1, 1}, {2, 2}, {7, 3}, /* 3 is a source below: collision */
            {3, 4},                         /* ... and 4 feeds 5: a chain */
            {4, 5}, {6, 6},                 /* identity */
        };

        th_tree_create(&t, force_walk ? "fdwalk" : "fdrange");
        for (int i = 0; i < 7; i++) {
                char name[64];

                snprintf(name, sizeof name, "/tmp/corral-fdtest-%d-%d", (int)getpid(), i);
                files[i] = open(name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                unlink(name);
                ck_assert_int_ge(files[i], 0);
        }
        ck_assert_int_eq(pipe2(rep, O_CLOEXEC), 0);
        ck_assert_int_eq(fdplan_compute(plan, moves, 7, &err), 0);
        plan->force_walk = force_walk;
        req.cgroup_fd = t.v2.fd;
        pid = ns_clone(&req, &res, &err);
        if (pid == 0) {
                int priv[1];
                enum fdplan_path p = FDPLAN_PATH_NONE;
                int dirfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                char *args[] = {(char *)th_actor(), "sleep", "30", NULL};
                int code;
                sigset_t none;

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                close(rep[0]);
                /* keep our own fds out of 3..9 while we set the scene */
                priv[0] = fcntl(rep[1], F_DUPFD_CLOEXEC, 100);
                dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 100);
                /* put the files at 3..9 (via 200+ so that no file overwrites another) */
                for (int i = 0; i < 7; i++) {
                        if (dup2(files[i], 200 + i) < 0)
                                _exit(5);
                }
                for (int i = 0; i < 7; i++) {
                        if (dup2(200 + i, 3 + i) < 0)
                                _exit(5);
                }
                if (!force_walk) {
                        /* our report pipe sits on fd 5, a target: apply must move it first */
                        if (dup3(priv[0], 5, O_CLOEXEC) < 0)
                                _exit(5);
                        priv[0] = 5;
                }
                if (fdplan_apply(plan, priv, 1, dirfd, &p, NULL) < 0)
                        _exit(3);
                code = (int)p;
                /* the report pipe is CLOEXEC: EOF after this write means execve succeeded */
                (void)!write(priv[0], &code, sizeof code);
                execv(args[0], args);
                _exit(4);
        }
        close(rep[1]);
        ck_assert_msg(pid > 0, "clone: %s", cerr_str(&err, ebuf, sizeof ebuf));
        ck_assert_int_eq(read(rep[0], &got, sizeof got), (int)sizeof got);
        ck_assert_int_eq(got, force_walk ? FDPLAN_PATH_PROC_WALK : FDPLAN_PATH_CLOSE_RANGE);
        {
                char c;

                ck_assert_int_eq(read(rep[0], &c, 1), 0); /* exec happened */
        }
        close(rep[0]);

        /* Read the child's fd table from the host side. */
        {
                DIR *d;
                struct dirent *de;
                bool seen[64] = {false};
                int count = 0;

                snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
                d = opendir(path);
                ck_assert_ptr_nonnull(d);
                while ((de = readdir(d))) {
                        int fd;

                        if (de->d_name[0] == '.')
                                continue;
                        fd = atoi(de->d_name);
                        ck_assert_msg(fd >= 0 && fd <= 6, "unplanned fd %d in the child", fd);
                        seen[fd] = true;
                        count++;
                }
                closedir(d);
                ck_assert_int_eq(count, 7);
                for (int fd = 0; fd <= 6; fd++)
                        ck_assert_msg(seen[fd], "planned fd %d missing in the child", fd);
        }
        same_file(pid, 3, files[7 - 3]);
        same_file(pid, 4, files[3 - 3]);
        same_file(pid, 5, files[4 - 3]);
        same_file(pid, 6, files[6 - 3]);

        ck_assert_int_eq(pidfd_signal(res.pidfd, SIGKILL, &err), 0);
        ck_assert_int_eq(pidfd_wait(res.pidfd, th_ms(5000), &status, &err), 1);
        close(res.pidfd);
        for (int i = 0; i < 7; i++)
                close(files[i]);
        free(plan);
        th_tree_finish(&t);
}

START_TEST(fdplan_close_range_path)
{
        fdplan_in_child(false);
}
END_TEST

START_TEST(fdplan_proc_walk_fallback)
{
        fdplan_in_child(true);
}
END_TEST

/* ---- the safe-path walk (ns/safepath.c), on a scratch tree ---- */

static char sp_dir[PATH_MAX];

static const char *sp(const char *rel)
{
        static char buf[4][PATH_MAX];
        static int i;
        char *out = buf[i++ % 4];

        snprintf(out, PATH_MAX, "%s/%s", sp_dir, rel);
        return out;
}

static ino_t ino_of_fd(int fd)
{
        struct stat st;

        ck_assert_int_eq(fstat(fd, &st), 0);
        return st.st_ino;
}

static ino_t ino_of(const char *path)
{
        struct stat st;

        ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
        return st.st_ino;
}

/* Opens path with the walk and checks it names the same inode as want (a plain stat). */
static void sp_same(const char *path, int flags, const char *want)
{
        struct safepath_fail f;
        int fd = safepath_open(path, flags, 0644, &f);

        ck_assert_msg(fd >= 0, "%s: errno %d at %s", path, f.errnum, f.at);
        ck_assert_msg(ino_of_fd(fd) == ino_of(want), "%s is not %s", path, want);
        close(fd);
}

static void sp_refused(const char *path, int want_errno, bool unsafe)
{
        struct safepath_fail f;
        int fd = safepath_open(path, O_RDONLY, 0, &f);

        ck_assert_msg(fd < 0, "%s opened", path);
        ck_assert_msg(f.errnum == want_errno && errno == want_errno,
                      "%s: errno %d (fail %d), wanted %d", path, errno, f.errnum, want_errno);
        ck_assert_int_eq(f.unsafe_link, unsafe);
}

START_TEST(safepath_follows_only_root_links_in_root_dirs)
{
        int fd;

        snprintf(sp_dir, sizeof sp_dir, "/var/tmp/corral-ctest-sp-%d", (int)getpid());
        ck_assert_int_eq(mkdir(sp_dir, 0755), 0);
        ck_assert_int_eq(mkdir(sp("d"), 0755), 0);
        ck_assert_int_eq(mkdir(sp("user"), 0755), 0);
        ck_assert_int_eq(chown(sp("user"), 65534, 65534), 0);
        ck_assert_int_eq(mkdir(sp("gw"), 0775), 0);
        ck_assert_int_eq(chmod(sp("gw"), 0775), 0);
        close(open(sp("d/f"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        /* root's links in root's 0755 directories: relative, absolute, chained, last */
        ck_assert_int_eq(symlink("d", sp("rel")), 0);
        ck_assert_int_eq(symlink(sp("d"), sp("abs")), 0);
        ck_assert_int_eq(symlink("rel/f", sp("chain")), 0);
        ck_assert_int_eq(symlink("../d/f", sp("d/up")), 0);
        sp_same(sp("rel/f"), O_RDONLY, sp("d/f"));
        sp_same(sp("abs/f"), O_RDONLY, sp("d/f"));
        sp_same(sp("chain"), O_RDONLY, sp("d/f"));
        sp_same(sp("d/up"), O_RDONLY, sp("d/f"));
        sp_same(sp("d/../d/./f"), O_RDONLY, sp("d/f"));
        sp_same(sp("abs/"), O_PATH, sp("d"));
        sp_same(sp("rel"), O_PATH | O_DIRECTORY, sp("d"));
        sp_same("/", O_PATH, "/");
        /* O_CREAT through a trusted link: created where the link points */
        ck_assert_int_eq(symlink("d/new", sp("dangling")), 0);
        fd = safepath_open(sp("dangling"), O_WRONLY | O_CREAT, 0644, NULL);
        ck_assert_int_ge(fd, 0);
        close(fd);
        ck_assert_int_eq(access(sp("d/new"), F_OK), 0);
        /* a link someone else owns, or in a directory someone else can write: refused,
         * whether it is in the middle of the path or at its end */
        ck_assert_int_eq(symlink(sp("d"), sp("user/l")), 0);
        ck_assert_int_eq(lchown(sp("user/l"), 65534, 65534), 0);
        sp_refused(sp("user/l/f"), EPERM, true);
        ck_assert_int_eq(symlink(sp("d/f"), sp("user/root-link")), 0); /* root's, in a user dir */
        sp_refused(sp("user/root-link"), EPERM, true);
        ck_assert_int_eq(symlink(sp("d/f"), sp("gw/l")), 0); /* root's, group-writable dir */
        sp_refused(sp("gw/l"), EPERM, true);
        {
                struct safepath_fail f;
                struct cerr err = {0};

                ck_assert_int_lt(safepath_open(sp("user/l/f"), O_RDONLY, 0, &f), 0);
                ck_assert_str_eq(f.at, sp("user/l"));
                safepath_cerr(&err, CERR_STDIO, "Stdout=file:", sp("user/l/f"), &f);
                ck_assert_msg(strstr(err.msg, "is a symlink owned by uid 65534"), "%s", err.msg);
        }
        /* the ordinary failures, with their errno */
        ck_assert_int_eq(symlink("loop", sp("loop")), 0);
        sp_refused(sp("loop"), ELOOP, false);
        sp_refused(sp("missing/f"), ENOENT, false);
        sp_refused(sp("d/f/x"), ENOTDIR, false);
        sp_refused("relative/path", EINVAL, false);
        {
                const char *rm[] = {"d/f",      "d/new",  "d/up",           "rel",  "abs",  "chain",
                                    "dangling", "user/l", "user/root-link", "gw/l", "loop", NULL};

                for (const char *const *r = rm; *r; r++)
                        unlink(sp(*r));
                rmdir(sp("d"));
                rmdir(sp("user"));
                rmdir(sp("gw"));
                ck_assert_int_eq(rmdir(sp_dir), 0);
        }
}
END_TEST

static Suite *cgroup_suite(void)
{
        Suite *s = suite_create("ns-cgroup-privileged");
        TCase *tc = tcase_create("nodes");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, clone3_into_cgroup);
        tcase_add_test(tc, clone_fallback_placed_by_procs);
        tcase_add_test(tc, pidfd_signal_and_status);
        tcase_add_test(tc, daemonized_grandchild_killed_by_cgroup_kill);
        tcase_add_test(tc, wait_empty_times_out_while_populated);
        tcase_add_test(tc, layout_check_finds_internal_process);
        tcase_add_test(tc, untagged_nodes_are_never_touched);
        tcase_add_test(tc, pids_limit_bites);
        suite_add_tcase(s, tc);
        return s;
}

static Suite *fdplan_suite(void)
{
        Suite *s = suite_create("ns-fdplan-privileged");
        TCase *tc = tcase_create("apply");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, fdplan_close_range_path);
        tcase_add_test(tc, fdplan_proc_walk_fallback);
        suite_add_tcase(s, tc);
        return s;
}

static Suite *safepath_suite(void)
{
        Suite *s = suite_create("ns-safepath-privileged");
        TCase *tc = tcase_create("walk");

        tcase_add_test(tc, safepath_follows_only_root_links_in_root_dirs);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {cgroup_suite, fdplan_suite, safepath_suite};

        return th_run("test_ns_priv", TH_PRIVILEGED, suites, 3);
}
