/* Privileged tests of confinement (DESIGN §4a): a default actor that tries to get out fails,
 * and each attempt has a positive control in the same run (the same operation unconfined, or
 * with the permission granted, succeeds), so the test proves the confinement and not a typo.
 * Targets are harmless: scratch files and cgroups, an invalid module image. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/syscalls.h"
#include "../ns/rootless.h"
#include "harness.h"

static char name[64];
static char last_events[8192]; /* corral's stderr of the last confined() run */

/* corral run [extra...] -- actor ARGS; returns the actor's stdout (prefix stripped). */
static const char *confined(const char *what, const char *const *extra, const char *const *prog,
                            int *code, void (*prep)(void *), void *ctx)
{
        static struct th_proc p;
        static char out[8192];
        char prefix[80];
        const char *src;
        size_t o = 0;

        th_run_actor(&p, name, what, extra, prog, prep, ctx);
        *code = th_corral_wait(&p, 20000);
        snprintf(last_events, sizeof last_events, "%s", p.errbuf);
        th_assert_tree_gone(name);
        /* "[name] line" -> "line" */
        snprintf(prefix, sizeof prefix, "[%s] ", name);
        for (src = p.outbuf; *src && o < sizeof out - 1;) {
                if (strncmp(src, prefix, strlen(prefix)) == 0)
                        src += strlen(prefix);
                while (*src && *src != '\n' && o < sizeof out - 2)
                        out[o++] = *src++;
                if (*src == '\n')
                        out[o++] = *src++;
        }
        out[o] = '\0';
        if (*code != 0)
                fprintf(stderr, "%s: exit %d; events:\n%s\n", what, *code, p.errbuf);
        return out;
}

/* The same actor, run directly by the test: unconfined. */
static const char *unconfined(const char *const *prog)
{
        static char out[4096];
        int pfd[2];
        pid_t pid;
        ssize_t n, got = 0;

        ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {
                const char *argv[16];
                int k = 0;

                dup2(pfd[1], 1);
                argv[k++] = th_actor();
                for (; *prog && k < 15; prog++)
                        argv[k++] = *prog;
                argv[k] = NULL;
                execv(argv[0], (char **)argv);
                _exit(127);
        }
        close(pfd[1]);
        while ((n = read(pfd[0], out + got, sizeof out - 1 - (size_t)got)) > 0)
                got += n;
        out[got] = '\0';
        close(pfd[0]);
        waitpid(pid, NULL, 0);
        return out;
}

#define EXPECT(out, text)                                                                          \
        ck_assert_msg(strstr((out), (text)), "wanted '%s' in:\n%s\n(stderr of the last run:\n%s)", \
                      (text), (out), last_events)

START_TEST(capabilities_empty_and_no_new_privs)
{
        const char *prog[] = {"sleep", "30", NULL};
        const char *args[] = {"run", "--name", NULL,    "--events", "json",
                              "--",  NULL,     "sleep", "30",       NULL};
        static const char *keys[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
        struct th_proc p;
        char path[64], line[256], buf[32];
        pid_t shim, prog_pid;
        FILE *f;
        int seen = 0;

        (void)prog;
        /* the point: even a root caller's actor has nothing (rootless: a user's, which holds
         * every capability inside its user namespace until its execve) */
        if (!rootless_mode())
                ck_assert_int_eq(geteuid(), 0);
        snprintf(name, sizeof name, "%s", th_tree_name("caps"));
        args[2] = name;
        args[6] = th_actor();
        th_corral_start(&p, args, -1, NULL, NULL);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 5000));
        shim = (pid_t)atoi(th_event(&p, "started", "pid", buf, sizeof buf));
        prog_pid = th_program_pid(shim);
        ck_assert_int_gt(prog_pid, 0);
        snprintf(path, sizeof path, "/proc/%d/status", (int)prog_pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof line, f)) {
                for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
                        if (strncmp(line, keys[i], strlen(keys[i])) == 0) {
                                ck_assert_msg(strtoull(line + strlen(keys[i]) + 1, NULL, 16) == 0,
                                              "%s", line);
                                seen++;
                        }
                }
                if (strncmp(line, "NoNewPrivs:", 11) == 0) {
                        ck_assert_msg(atoi(line + 11) == 1, "%s", line);
                        seen++;
                }
                if (strncmp(line, "Uid:", 4) == 0) /* a root caller's actor is not root */
                        ck_assert_msg((unsigned)atoi(line + 4) == th_default_uid(), "%s", line);
        }
        fclose(f);
        ck_assert_int_eq(seen, 6);
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        th_assert_tree_gone(name);
}
END_TEST

/* Asked for by name, root is root again, and still holds no capability (rootless: root inside
 * a user namespace of its own). */
START_TEST(user_root_has_no_capabilities)
{
        const char *prog[] = {"try", "capeff", NULL};
        const char *root[] = {"--set", th_as_root(), NULL};
        int code;

        EXPECT(confined("root-caps", root, prog, &code, NULL, NULL),
               "uid 0 CapEff 0 CapPrm 0 CapBnd 0");
}
END_TEST

START_TEST(umount_proc)
{
        const char *prog[] = {"try", "umount", "/proc", NULL};
        const char *grant[] = {"--set", th_as_root(), "--set",
                               "CapabilityBoundingSet=CAP_SYS_ADMIN", NULL};
        const char *root[] = {"--set", th_as_root(), NULL};
        int code;

        EXPECT(confined("umount", NULL, prog, &code, NULL, NULL), "umount errno EPERM");
        EXPECT(confined("umount-root", root, prog, &code, NULL, NULL), "umount errno EPERM");
        /* positive control: granted CAP_SYS_ADMIN, the same call succeeds (in its own mount
         * namespace: the host's /proc is not touched) */
        EXPECT(confined("umount-ok", grant, prog, &code, NULL, NULL), "umount ok");
}
END_TEST

static int host_ns_fd = -1;

static void pass_host_netns(void *ctx)
{
        (void)ctx;
        if (dup2(host_ns_fd, 3) < 0)
                _exit(120);
        fcntl(3, F_SETFD, 0); /* dup2 onto itself would leave CLOEXEC set */
}

START_TEST(setns_into_host)
{
        const char *prog[] = {"try", "setns", "3", NULL};
        const char *deflt[] = {"--fd", "3", "--set", "PrivateNetwork=actor", NULL};
        /* (the control also lifts RestrictNamespaces=, which refuses setns to anyone) */
        const char *grant[] = {"--fd",  "3",
                               "--set", "PrivateNetwork=actor",
                               "--set", "User=root",
                               "--set", "CapabilityBoundingSet=CAP_SYS_ADMIN",
                               "--set", "RestrictNamespaces=no",
                               NULL};
        int code;

        /* the host's network namespace, handed over as an fd: a default actor cannot enter */
        host_ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(host_ns_fd, 0);
        EXPECT(confined("setns", deflt, prog, &code, pass_host_netns, NULL), "setns errno EPERM");
        if (!th_skip_rootless("setns_into_host's positive control",
                              "entering the host's namespace takes CAP_SYS_ADMIN where it was "
                              "made, which no user namespace grants"))
                EXPECT(confined("setns-ok", grant, prog, &code, pass_host_netns, NULL), "setns ok");
        close(host_ns_fd);
}
END_TEST

START_TEST(cgroup_procs_of_scratch_cgroups)
{
        struct th_tree t;
        struct cg_node v1 = {.fd = -1};
        char v2procs[PATH_MAX + 32], v1procs[PATH_MAX + 32];
        const char *prog2[] = {"try", "write", v2procs, "0", NULL};
        const char *prog1[] = {"try", "write", v1procs, "0", NULL};
        int code;

        th_tree_create(&t, "scratch");
        snprintf(v2procs, sizeof v2procs, "%s/cgroup.procs", t.v2.path);
        EXPECT(confined("cgprocs-v2", NULL, prog2, &code, NULL, NULL), "write errno");
        v1procs[0] = '\0';
        if (th_host.ctrl[CG_PIDS].src == CG_SRC_V1) {
                th_tree_v1(&t, CG_PIDS, &v1);
                snprintf(v1procs, sizeof v1procs, "%s/cgroup.procs", v1.path);
                EXPECT(confined("cgprocs-v1", NULL, prog1, &code, NULL, NULL), "write errno");
        }
        /* positive control: unconfined, the same write moves the writer in (it then exits,
         * so the scratch cgroups empty again) */
        EXPECT(unconfined(prog2), "write ok");
        if (v1procs[0])
                EXPECT(unconfined(prog1), "write ok");
        ck_assert_int_eq(cg_node_wait_empty(&t.v2, th_ms(5000), &(struct cerr){0}), 0);
        cg_node_close(&v1);
        th_tree_finish(&t);
}
END_TEST

START_TEST(raise_own_pids_max)
{
        const char *prog[] = {"try", "write", "/sys/fs/cgroup/pids.max", "max", NULL};
        const char *lim[] = {"--set", "TasksMax=8", NULL};
        const char *loop[] = {"forkloop", "50", NULL};
        const char *slow[] = {"sleep", "30", NULL};
        const char *args[] = {"run",  "--name", NULL, "--set", "TasksMax=8", "--events",
                              "json", "--",     NULL, "sleep", "30",         NULL};
        struct th_proc p;
        char dir[PATH_MAX], path[PATH_MAX + 16];
        int code, fd;

        (void)slow;
        EXPECT(confined("pidsmax", lim, prog, &code, NULL, NULL), "write errno");
        /* and the limit still bites after the attempt */
        EXPECT(confined("pidsmax-bites", lim, loop, &code, NULL, NULL), "forked 7 errno EAGAIN");
        /* positive control: from outside, the actor's own limit file takes the write */
        snprintf(name, sizeof name, "%s", th_tree_name("pidsmax-host"));
        args[2] = name;
        args[8] = th_actor();
        th_corral_start(&p, args, -1, NULL, NULL);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 5000));
        th_tree_node(th_host.ctrl[CG_PIDS].src == CG_SRC_V1 ? th_host.ctrl[CG_PIDS].v1.own_dir
                                                            : th_deleg.own_dir,
                     name, dir, sizeof dir);
        ck_assert_msg(dir[0], "no node of tree %s", name);
        snprintf(path, sizeof path, "%s/%s-1/pids.max", dir, name);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
        ck_assert_int_eq(write(fd, "max", 3), 3);
        close(fd);
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(kill_and_ptrace_outside)
{
        char pid[16];
        const char *k[] = {"try", "kill", pid, NULL};
        const char *t[] = {"try", "ptrace", pid, NULL};
        pid_t victim = fork();
        int code, vfd;

        if (victim == 0) {
                for (int i = 0; i < 300; i++)
                        usleep(100000);
                _exit(0);
        }
        vfd = sys_pidfd_open(victim, 0);
        snprintf(pid, sizeof pid, "%d", (int)victim);
        EXPECT(confined("kill", NULL, k, &code, NULL, NULL), "kill errno ESRCH");
        EXPECT(confined("ptrace", NULL, t, &code, NULL, NULL), "ptrace errno ESRCH");
        /* positive control: the same calls from outside the namespace reach it */
        EXPECT(unconfined(k), "kill ok");
        EXPECT(unconfined(t), "ptrace ok");
        kill(victim, SIGKILL);
        th_assert_dead(vfd, 1000, "the victim");
        waitpid(victim, NULL, 0);
        close(vfd);
}
END_TEST

START_TEST(write_under_etc)
{
        char path[64];
        const char *prog[] = {"try", "touch", path, NULL};
        const char *open_etc[] = {"--set", "User=root", "--set", "ProtectSystem=no", NULL};
        const char *root[] = {"--set", "User=root", NULL};
        int code;

        int fd;

        snprintf(path, sizeof path, "/etc/corral-test-scratch-%d", (int)getpid());
        EXPECT(confined("etc", NULL, prog, &code, NULL, NULL), "touch errno");
        ck_assert(access(path, F_OK) < 0);
        /* Is /etc writable on this host at all (the guest tier shares a read-only root)? */
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                fprintf(stderr,
                        "write_under_etc: /etc is not writable on this host (%s): the "
                        "positive control and the uid-0 case cannot run; only the "
                        "refusal was checked\n",
                        strerror(errno));
                return;
        }
        close(fd);
        ck_assert_int_eq(unlink(path), 0);
        /* even as uid 0 (which owns /etc) it is the read-only mount that refuses */
        EXPECT(confined("etc-root", root, prog, &code, NULL, NULL), "touch errno EROFS");
        ck_assert(access(path, F_OK) < 0);
        /* positive control: as root with ProtectSystem=no the same write succeeds */
        EXPECT(confined("etc-ok", open_etc, prog, &code, NULL, NULL), "touch ok");
        ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(init_module_invalid_image)
{
        const char *prog[] = {"try", "init-module", NULL};
        /* (without the default deny list, whose @module:EPERM would answer first) */
        const char *grant[] = {
            "--set", "User=root",         "--set", "CapabilityBoundingSet=CAP_SYS_MODULE",
            "--set", "SystemCallFilter=", NULL};
        char buf[8] = "0";
        int fd = open("/proc/sys/kernel/modules_disabled", O_RDONLY | O_CLOEXEC), code;
        const char *out;

        if (fd >= 0) {
                (void)!read(fd, buf, sizeof buf - 1);
                close(fd);
        }
        if (access("/proc/modules", F_OK) < 0) {
                /* a kernel without loadable modules: nothing to escape through, and no positive
                 * control possible; the call must still fail */
                EXPECT(confined("module", NULL, prog, &code, NULL, NULL), "init-module errno");
                fprintf(stderr, "init_module_invalid_image: this kernel has no module support "
                                "(no /proc/modules): only the refusal was checked\n");
                return;
        }
        EXPECT(confined("module", NULL, prog, &code, NULL, NULL), "init-module errno EPERM");
        if (th_skip_rootless("init_module_invalid_image's positive control",
                             "CAP_SYS_MODULE counts only in the host's user namespace"))
                return;
        if (atoi(buf) != 0) {
                fprintf(stderr, "init_module_invalid_image: modules are disabled on this host; "
                                "the positive control cannot run\n");
                return;
        }
        /* positive control: with CAP_SYS_MODULE the call gets past the permission check and the
         * kernel rejects the image itself */
        out = confined("module-cap", grant, prog, &code, NULL, NULL);
        ck_assert_msg(strstr(out, "init-module errno") && !strstr(out, "EPERM"), "%s", out);
}
END_TEST

/* Beside the admin sockets (root's /run/corral; rootless, $XDG_RUNTIME_DIR/corral, in the
 * user's runtime directory with its session bus and agents): out of every actor's reach. */
START_TEST(admin_socket_under_run_corral)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        const char *prog[] = {"try", "connect", a.sun_path, NULL};
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), code;

        mkdir(th_registry(), 0700);
        snprintf(a.sun_path, sizeof a.sun_path, "%s/ctest-%d.sock", th_registry(), (int)th_runner);
        unlink(a.sun_path);
        ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
        ck_assert_int_eq(listen(s, 4), 0);
        EXPECT(confined("admin", NULL, prog, &code, NULL, NULL), "connect errno");
        /* positive control: unconfined, the socket answers */
        EXPECT(unconfined(prog), "connect ok");
        close(s);
        unlink(a.sun_path);
}
END_TEST

START_TEST(user_nobody_and_private_users)
{
        const char *id[] = {"try", "id", NULL};
        const char *nobody[] = {"--set", "User=nobody", NULL};
        const char *userns[] = {"--set", "PrivateUsers=yes", NULL};
        const char *slow[] = {"sleep", "30", NULL};
        const char *args[] = {"run",      "--name", NULL, "--set", "PrivateUsers=yes",
                              "--events", "json",   "--", NULL,    "sleep",
                              "30",       NULL};
        struct th_proc p;
        char path[64], line[256], buf[32];
        FILE *f;
        int code;

        (void)slow;
        if (!th_skip_rootless("user_nobody_and_private_users' User=nobody",
                              "only root may run a program as another user"))
                EXPECT(confined("nobody", nobody, id, &code, NULL, NULL), "uid 65534 gid 65534");
        EXPECT(confined("userns", userns, id, &code, NULL, NULL), "uid 0 gid 0");
        /* the host's view of the PrivateUsers= actor: an unprivileged uid */
        snprintf(name, sizeof name, "%s", th_tree_name("userns-host"));
        args[2] = name;
        args[8] = th_actor();
        th_corral_start(&p, args, -1, NULL, NULL);
        ck_assert(th_wait_for(&p, false, "\"event\":\"started\"", 5000));
        snprintf(path, sizeof path, "/proc/%d/status",
                 (int)th_program_pid((pid_t)atoi(th_event(&p, "started", "pid", buf, sizeof buf))));
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof line, f)) {
                if (strncmp(line, "Uid:", 4) == 0)
                        ck_assert_msg((unsigned)atoi(line + 4) == th_default_uid(), "host view: %s",
                                      line);
        }
        fclose(f);
        kill(p.pid, SIGTERM);
        th_corral_wait(&p, 10000);
        th_assert_tree_gone(name);
}
END_TEST

START_TEST(cgroup_view_is_own_node_read_only)
{
        const char *ls[] = {"try", "write", "/sys/fs/cgroup/cgroup.subtree_control", "+pids", NULL};
        const char *see[] = {"try", "write", "/sys/fs/cgroup/self/cgroup.procs", "0", NULL};
        const char *mine[] = {"try", "write", "/sys/fs/cgroup/unified/cgroup.procs", "0", NULL};
        const char *subtree[] = {"try", "write", "/sys/fs/cgroup/cgroup.procs", "0", NULL};
        const char *root[] = {"--set", th_as_root(), NULL};
        const char *rw[] = {"--set", th_as_root(), "--set", "ProtectControlGroups=no", NULL};
        int code;

        /* the node is there (self/ inside it), read-only: refused even to uid 0, which owns
         * the files */
        EXPECT(confined("cgview", root, see, &code, NULL, NULL), "write errno EROFS");
        EXPECT(confined("cgview-ctl", root, ls, &code, NULL, NULL), "write errno EROFS");
        /* the host's hierarchies are not there at all */
        EXPECT(confined("cgview-host", root, mine, &code, NULL, NULL), "write errno ENOENT");
        /* positive control: with ProtectControlGroups=no the view (the self/ leaf, never the
         * node with the limits) takes writes */
        EXPECT(confined("cgview-rw", rw, subtree, &code, NULL, NULL), "write ok");
}
END_TEST

static const char *own_netns(char *buf, size_t len)
{
        ssize_t n = readlink("/proc/self/ns/net", buf, len - 1);

        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
        return buf;
}

START_TEST(private_network)
{
        const char *tcp[] = {"try", "loopback-tcp", NULL};
        const char *ifs[] = {"try", "interfaces", NULL};
        const char *net[] = {"--set", "PrivateNetwork=actor", NULL};
        const char *ns[] = {"try", "netns", NULL};
        char link[64], host_net[80];
        const char *out;
        int code;

        EXPECT(confined("net-tcp", net, tcp, &code, NULL, NULL), "loopback-tcp ok");
        out = confined("net-ifs", net, ifs, &code, NULL, NULL);
        ck_assert_msg(strstr(out, "interfaces lo\n") != NULL, "%s", out);
        /* the namespace itself: not ours with PrivateNetwork=actor, ours without it (the
         * positive control: on a host whose only interface is lo the list proves nothing) */
        snprintf(host_net, sizeof host_net, "netns %s\n", own_netns(link, sizeof link));
        out = confined("net-ns", net, ns, &code, NULL, NULL);
        ck_assert_msg(strstr(out, "netns net:[") && !strstr(out, host_net), "%s", out);
        out = confined("net-host", NULL, ns, &code, NULL, NULL);
        ck_assert_msg(strstr(out, host_net) != NULL, "wanted %s in %s", host_net, out);
}
END_TEST

static void bogus_loopback(void *ctx)
{
        (void)ctx;
        setenv("CORRAL_TEST_LOOPBACK_IFINDEX", "99999", 1);
}

START_TEST(private_network_setup_failure_is_reported)
{
        const char *args[] = {
            "run",  "--set", "PrivateNetwork=actor", "--name", NULL, "--events", "json", "--",
            "true", NULL};
        struct th_proc p;
        char stage[64];

        snprintf(name, sizeof name, "%s", th_tree_name("net-fail"));
        args[4] = name;
        th_corral_start(&p, args, -1, bogus_loopback, NULL);
        ck_assert_int_eq(th_corral_wait(&p, 10000), 125);
        th_event(&p, "spawn-failed", "stage", stage, sizeof stage);
        ck_assert_str_eq(stage, "loopback");
        ck_assert_msg(strstr(p.errbuf, "corral: spawn failed at loopback: No such device"), "%s",
                      p.errbuf);
        th_assert_tree_gone(name);
}
END_TEST

static void cwd_etc(void *ctx)
{
        (void)ctx;
        if (chdir("/etc") < 0)
                _exit(121);
}

/* Started from /etc, the program's working directory is /etc as its own mounts show it
 * (read-only), not a handle on the host's writable tree. */
START_TEST(inherited_cwd_goes_through_the_mounts)
{
        char rel[64], abs[80];
        const char *prog[] = {"try", "touch", rel, NULL};
        const char *root[] = {"--set", th_as_root(), NULL};
        int code;

        snprintf(rel, sizeof rel, "corral-test-cwd-%d", (int)getpid());
        snprintf(abs, sizeof abs, "/etc/%s", rel);
        EXPECT(confined("cwd", root, prog, &code, cwd_etc, NULL), "touch errno EROFS");
        ck_assert_msg(access(abs, F_OK) < 0, "%s was created on the host", abs);
}
END_TEST

static void stdin_is_root_dir(void *ctx)
{
        int fd = open("/", O_RDONLY | O_DIRECTORY);

        (void)ctx;
        if (fd < 0 || dup2(fd, 0) < 0)
                _exit(121);
}

/* A directory as stdin would be a handle on the host's tree, around every mount: refused. */
START_TEST(directory_never_becomes_stdio)
{
        const char *file[] = {"--set", "Stdin=file:/", NULL};
        const char *inh[] = {"--set", "Stdin=inherit", NULL};
        const char *prog[] = {"exit", "0", NULL};
        int code;

        confined("stdin-dir", file, prog, &code, NULL, NULL);
        ck_assert_int_eq(code, 125);
        ck_assert_msg(strstr(last_events, "refused as stdio"), "%s", last_events);
        confined("stdin-inherit-dir", inh, prog, &code, stdin_is_root_dir, NULL);
        ck_assert_int_eq(code, 125);
        ck_assert_msg(strstr(last_events, "refused as stdio"), "%s", last_events);
        /* positive control: a regular file is fine */
        {
                const char *ok[] = {"--set", "Stdin=file:/etc/hostname", NULL};

                confined("stdin-file", ok, prog, &code, NULL, NULL);
                ck_assert_int_eq(code, 0);
        }
}
END_TEST

START_TEST(non_root_user_with_a_bounding_set)
{
        const char *prog[] = {"try", "capeff", NULL};
        const char *opts[] = {"--set", th_as_other(), "--set",
                              "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", NULL};
        const char *amb[] = {"--set", th_as_other(), "--set",
                             "AmbientCapabilities=CAP_NET_BIND_SERVICE", NULL};
        char want[96];
        int code;

        /* a bounding set alone gives a non-root program nothing, and is no error */
        snprintf(want, sizeof want, "uid %u CapEff 0 CapPrm 0 CapBnd 400", th_default_uid());
        EXPECT(confined("nobody-bnd", opts, prog, &code, NULL, NULL), want);
        /* an ambient capability it keeps across exec */
        snprintf(want, sizeof want, "uid %u CapEff 400 CapPrm 400 CapBnd 400", th_default_uid());
        EXPECT(confined("nobody-amb", amb, prog, &code, NULL, NULL), want);
}
END_TEST

static Suite *confine_suite(void)
{
        Suite *s = suite_create("confinement-privileged");
        TCase *tc = tcase_create("escapes");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, capabilities_empty_and_no_new_privs);
        tcase_add_test(tc, user_root_has_no_capabilities);
        tcase_add_test(tc, inherited_cwd_goes_through_the_mounts);
        tcase_add_test(tc, directory_never_becomes_stdio);
        tcase_add_test(tc, non_root_user_with_a_bounding_set);
        tcase_add_test(tc, umount_proc);
        tcase_add_test(tc, setns_into_host);
        tcase_add_test(tc, cgroup_procs_of_scratch_cgroups);
        tcase_add_test(tc, raise_own_pids_max);
        tcase_add_test(tc, kill_and_ptrace_outside);
        tcase_add_test(tc, write_under_etc);
        tcase_add_test(tc, init_module_invalid_image);
        tcase_add_test(tc, admin_socket_under_run_corral);
        tcase_add_test(tc, user_nobody_and_private_users);
        tcase_add_test(tc, cgroup_view_is_own_node_read_only);
        tcase_add_test(tc, private_network);
        tcase_add_test(tc, private_network_setup_failure_is_reported);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *(*const suites[])(void) = {confine_suite};

        return th_run("test_confine", TH_PRIVILEGED, suites, 1);
}
