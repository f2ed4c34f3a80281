/* The floor: a minimal spawner doing the kernel work corral does for the same isolation
 * (clone3 with the same flags into a fresh cgroup, corral's own mount and credential code, a
 * PID 1 that vforks and execs the program, reap, rmdir), and the plain baselines fork + exec
 * and posix_spawn. Its cgroups live below <own>/corral/benchfloor-<pid>. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>

#include "../../ns/cgroup.h"
#include "../../ns/cgroup_limits.h"
#include "../../ns/creds.h"
#include "../../ns/kfile.h"
#include "../../ns/mounts.h"
#include "../../ns/syscalls.h"
#include "../../policy/seccomp_policy.h"
#include "../../spawner/limits.h"
#include "../../spawner/shim.h"
#include "bench.h"

static char floor_base[PATH_MAX]; /* <own>/corral/benchfloor-<pid> (v2) */
static int floor_base_fd = -1;
int prog_fd = -1; /* the program, O_PATH: the floor execs it by fd, as corral does */
/* per spawn: the floor's node, shown at /sys/fs/cgroup as corral shows an actor its own */
static char floor_node_path[PATH_MAX];
static struct cred_plan floor_creds;
static char floor_v1_base[CG_NCTRL][PATH_MAX]; /* the same in each v1 hierarchy we limit */
static int floor_v1_fd[CG_NCTRL] = {-1, -1, -1, -1};
static bool floor_base_made;
static struct sock_fprog floor_bpf, floor_bpf_def;
static struct cg_limits floor_lim; /* the limits profile's, once */

const char *const floor_phases[] = {"mkdir_clone3_us", "child_until_exec_us", "exit_reap_us",
                                    "rmdir_us", NULL};

void floor_setup(void)
{
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64], dir[PATH_MAX];
        struct cg_node base, fb;

        /* the floor's base: its per-spawn cgroups below are plain mkdirs, no corral tag */
        if (cg_base_open(&deleg, &base, &err) < 0)
                die("%s", cerr_str(&err, ebuf, sizeof ebuf));
        snprintf(dir, sizeof dir, "benchfloor-%d", (int)getpid());
        if (cg_node_create(&fb, base.path, dir, "bench", &err) < 0)
                die("%s", cerr_str(&err, ebuf, sizeof ebuf));
        floor_base_made = true;
        snprintf(floor_base, sizeof floor_base, "%s", fb.path);
        floor_base_fd = open(fb.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        floor_creds = (struct cred_plan){.set_ids = true,
                                         .uid = 65534,
                                         .gid = 65534,
                                         .groups = {65534},
                                         .ngroups = 1,
                                         .cap_last = creds_cap_last()};
        cg_node_close(&fb);
        cg_node_close(&base);
        if (floor_base_fd < 0)
                die("opening %s: %s", floor_base, strerror(errno));
}

/* The floor's limit groups: for each controller the limits profile uses, a base in its v1
 * hierarchy (hybrid hosts), or the controller enabled for the v2 base (pure v2). */
static void floor_limits_setup(unsigned mask)
{
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64], rel[PATH_MAX];

        for (int c = 0; c < CG_NCTRL; c++) {
                const struct cg_ctrl_info *ci = &host.ctrl[c];
                struct cg_node n;

                if (!(mask & (1u << c)))
                        continue;
                if (ci->src == CG_SRC_V2) {
                        struct cg_node b;
                        char parent[PATH_MAX];

                        snprintf(parent, sizeof parent, "%s/%s", deleg.own_dir, CG_BASE_NAME);
                        if (cg_node_open(&b, parent, &err) == 0) {
                                cg_node_enable(&b, 1u << c, &err);
                                cg_node_close(&b);
                        }
                        kfile_write_at(floor_base_fd, "cgroup.subtree_control",
                                       c == CG_MEMORY ? "+memory"
                                       : c == CG_PIDS ? "+pids"
                                       : c == CG_CPU  ? "+cpu"
                                                      : "+io");
                        continue;
                }
                if (ci->src != CG_SRC_V1 || !ci->v1.own_dir[0] || floor_v1_fd[c] >= 0)
                        continue; /* (made by an earlier section) */
                snprintf(rel, sizeof rel, "%s/benchfloor-%d", CG_BASE_NAME, (int)getpid());
                if (cg_v1_mirror(&n, ci->v1.own_dir, rel, "bench", &err) < 0)
                        die("%s", cerr_str(&err, ebuf, sizeof ebuf));
                snprintf(floor_v1_base[c], sizeof floor_v1_base[c], "%s", n.path);
                floor_v1_fd[c] = open(n.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                cg_node_close(&n);
        }
}

/* The floor's seccomp filter (that profile's) and limits (that profile's values, for the
 * controllers it limits); the mask of those controllers. A later call (another section's)
 * replaces them. */
unsigned floor_profiles(const struct profile *sec, const struct profile *lim)
{
        struct cerr err = {0};
        char ebuf[CERR_MSG_MAX + 64];
        unsigned mask;

        seccomp_fprog_free(&floor_bpf);
        seccomp_fprog_free(&floor_bpf_def);
        if (seccomp_compile(sec, &floor_bpf, &err) < 0 ||
            seccomp_compile(&prof_def, &floor_bpf_def, &err) < 0)
                die("%s", cerr_str(&err, ebuf, sizeof ebuf));
        limits_of_profile(lim, &floor_lim);
        mask = cg_limits_mask(&floor_lim);
        floor_limits_setup(mask);
        return mask;
}

const char *floor_base_dir(void)
{
        return floor_base;
}

void floor_teardown(void)
{
        if (floor_base_fd >= 0)
                close(floor_base_fd);
        floor_base_fd = -1;
        if (floor_base_made)
                kill_and_remove_v2(floor_base);
        floor_base_made = false;
        for (int c = 0; c < CG_NCTRL; c++) {
                if (floor_v1_fd[c] >= 0)
                        close(floor_v1_fd[c]);
                floor_v1_fd[c] = -1;
                if (floor_v1_base[c][0]) {
                        rmdir_tree(floor_v1_base[c]);
                        floor_v1_base[c][0] = '\0';
                }
        }
}

static __attribute__((noreturn)) void child_fail(int fd, int e)
{
        (void)!write(fd, &e, sizeof e);
        _exit(127);
}

/* The program's side, in PID 1's (v)fork child: corral's credentials for a root caller
 * (nobody, no capabilities), no new privileges, the filter, exec by fd. Syscalls only: after
 * vfork the memory is still PID 1's. */
static __attribute__((noreturn)) void floor_program(const struct floor_cfg *fc, int exec_wr)
{
        if (fc->mounts) {
                enum creds_step cs;

                if (creds_apply(&floor_creds, &cs) < 0)
                        child_fail(exec_wr, errno);
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(exec_wr, errno);
        if (fc->seccomp && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &floor_bpf) < 0)
                child_fail(exec_wr, errno);
        if (fc->default_filter &&
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &floor_bpf_def) < 0)
                child_fail(exec_wr, errno);
        syscall(SYS_execveat, prog_fd, "", cfg.argv, environ, AT_EMPTY_PATH);
        child_fail(exec_wr, errno);
}

struct program_arg {
        const struct floor_cfg *fc;
        int exec_wr;
};

static int program_fn(void *arg)
{
        const struct program_arg *pa = arg;

        floor_program(pa->fc, pa->exec_wr);
}

/* PID 1 of the floor's namespace: set up, start the program, reap it, exit with its status. */
static __attribute__((noreturn)) void floor_pid1(const struct floor_cfg *fc, int exec_wr,
                                                 int sync_rd)
{
        char stack[32768] __attribute__((aligned(16))); /* the program's, until its exec */
        pid_t pid;
        int status = 0;

        if (sync_rd >= 0) {
                char c;

                if (read(sync_rd, &c, 1) != 1)
                        _exit(125);
        }
        if (fc->mounts) {
                /* exactly corral's mount work (ns/mounts.c, the plan the shim builds for the
                 * default profile, or --profile's): the floor cannot drift from it */
                struct mount_plan plan = {
                    .fresh_proc = true,
                    .protect_kernel = true,
                    .cgroup_view = floor_node_path,
                    .cgroup_view_rw = !prof_def.protect_control_groups,
                    .private_tmp = prof_def.private_tmp,
                    .tmp_size = prof_def.private_tmp_size.value,
                    .private_devices = prof_def.private_devices,
                    .private_ipc = fc->ns & CLONE_NEWIPC,
                    .protect_system = (enum mounts_protect_system)prof_def.protect_system,
                    .mask_dirs = shim_hidden_dirs(), /* the shim's own list */
                };
                enum mounts_step step;

                /* the shim's session keyring (KeyringMode=private), then its mounts */
                if (prof_def.keyring_mode == KEYRING_MODE_PRIVATE &&
                    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0)
                        child_fail(exec_wr, errno);
                if (mounts_apply(&plan, &step) < 0 || chdir("/") < 0)
                        child_fail(exec_wr, errno);
        }
        if (fc->setsid && setsid() < 0)
                child_fail(exec_wr, errno);
        if (fc->hostname && sethostname("a", 1) < 0)
                child_fail(exec_wr, errno);
        if (fc->loopback) {
                struct ifreq ifr = {0};
                int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

                snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
                if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                        child_fail(exec_wr, errno);
                ifr.ifr_flags |= IFF_UP;
                if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                        child_fail(exec_wr, errno);
                close(s);
        }
        /* the program: the cheapest correct way, vfork's (CLONE_VM | CLONE_VFORK: no page
         * tables copied, PID 1 waits until the exec), on a stack of its own; or, when the row
         * asks for it, the shim's fork */
        if (fc->pid1_fork) {
                pid = fork();
                if (pid == 0)
                        floor_program(fc, exec_wr);
        } else {
                struct program_arg pa = {fc, exec_wr};

                pid =
                    clone(program_fn, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &pa);
        }
        if (pid < 0)
                child_fail(exec_wr, errno);
        close(exec_wr);
        for (;;) {
                pid_t w = waitpid(-1, &status, 0);

                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        _exit(125);
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static unsigned floor_seq;

int floor_spawn(const struct floor_cfg *fc, struct floor_times *t)
{
        char name[32];
        int cgfd = -1, exec_p[2] = {-1, -1}, sync_p[2] = {-1, -1}, pidfd = -1;
        int procs_fd[CG_NCTRL] = {-1, -1, -1, -1};
        bool made_v1[CG_NCTRL] = {0};
        struct clone_args args;
        pid_t pid;
        int rc = -1, e = 0, st;
        bool v1 = false;
        siginfo_t si;

        memset(t, 0, sizeof *t);
        snprintf(name, sizeof name, "f%u", ++floor_seq);
        snprintf(floor_node_path, sizeof floor_node_path, "%s/%s", floor_base, name);
        t->t0 = now_us();
        if (mkdirat(floor_base_fd, name, 0755) < 0)
                return -errno;
        cgfd = openat(floor_base_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0) {
                e = errno;
                goto out;
        }
        for (int c = 0; c < CG_NCTRL && fc->limits; c++) {
                const struct cg_backend *be = cg_backend_for(&host, (enum cg_ctrl)c);
                struct cg_write w[4];
                int n, dfd;
                bool is_v1 = host.ctrl[c].src == CG_SRC_V1;

                if (!(fc->limits & (1u << c)) || !be)
                        continue;
                if (is_v1 && floor_v1_fd[c] < 0)
                        continue;
                n = be->writes(&floor_lim, (enum cg_ctrl)c, w, 4);
                if (is_v1) {
                        if (mkdirat(floor_v1_fd[c], name, 0755) < 0) {
                                e = errno;
                                goto out;
                        }
                        made_v1[c] = true;
                        dfd = openat(floor_v1_fd[c], name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                } else {
                        dfd = openat(floor_base_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                }
                if (dfd < 0) {
                        e = errno;
                        goto out;
                }
                for (int i = 0; i < n; i++) {
                        if (kfile_write_at(dfd, w[i].file, w[i].value) < 0) {
                                e = errno;
                                close(dfd);
                                goto out;
                        }
                }
                if (is_v1) {
                        procs_fd[c] = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
                        v1 = true;
                }
                close(dfd);
        }
        if (pipe2(exec_p, O_CLOEXEC) < 0 || (v1 && pipe2(sync_p, O_CLOEXEC) < 0)) {
                e = errno;
                goto out;
        }
        memset(&args, 0, sizeof args);
        args.flags = fc->ns | CLONE_PIDFD | CLONE_CLEAR_SIGHAND;
        args.pidfd = (uint64_t)(uintptr_t)&pidfd;
        args.exit_signal = SIGCHLD;
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgfd;
        pid = (pid_t)sys_clone3(&args, sizeof args);
        if (pid == 0) {
                close(exec_p[0]);
                if (sync_p[1] >= 0)
                        close(sync_p[1]);
                floor_pid1(fc, exec_p[1], sync_p[0]);
        }
        if (pid < 0) {
                e = errno;
                goto out;
        }
        t->t_cloned = now_us();
        close(exec_p[1]);
        exec_p[1] = -1;
        if (v1) {
                char v[24];
                int l = snprintf(v, sizeof v, "%d", (int)pid);
                int64_t m0 = now_us();

                close(sync_p[0]);
                sync_p[0] = -1;
                for (int c = 0; c < CG_NCTRL; c++) {
                        if (procs_fd[c] >= 0 && write(procs_fd[c], v, (size_t)l) != l && !e)
                                e = errno;
                }
                t->migrate_us = now_us() - m0;
                if (!e && write(sync_p[1], "g", 1) != 1)
                        e = errno;
                close(sync_p[1]);
                sync_p[1] = -1;
                if (e)
                        sys_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        }
        for (;;) {
                int code;
                ssize_t n = read(exec_p[0], &code, sizeof code);

                if (n < 0 && errno == EINTR) {
                        if (stop) {
                                sys_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                                e = ECANCELED;
                        }
                        continue;
                }
                if (n == (ssize_t)sizeof code && !e)
                        e = code;
                break;
        }
        t->t_started = now_us();
        memset(&si, 0, sizeof si);
        while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0) {
                if (errno != EINTR) {
                        if (!e)
                                e = errno;
                        break;
                }
        }
        t->t_reaped = now_us();
        st = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        if (!e && st != 0)
                e = EPROTO;
        rc = 0;
out:
        for (int i = 0; i < 2; i++) {
                if (exec_p[i] >= 0)
                        close(exec_p[i]);
                if (sync_p[i] >= 0)
                        close(sync_p[i]);
        }
        for (int c = 0; c < CG_NCTRL; c++) {
                if (procs_fd[c] >= 0)
                        close(procs_fd[c]);
        }
        if (pidfd >= 0)
                close(pidfd);
        if (cgfd >= 0)
                close(cgfd);
        for (int i = 0;
             unlinkat(floor_base_fd, name, AT_REMOVEDIR) < 0 && errno == EBUSY && i < 1000; i++)
                sched_yield();
        for (int c = 0; c < CG_NCTRL; c++) {
                if (made_v1[c])
                        unlinkat(floor_v1_fd[c], name, AT_REMOVEDIR);
        }
        t->t_done = now_us();
        if (rc < 0 || e)
                return -(e ? e : EIO);
        return 0;
}

/* fork + execve + wait, with an exec pipe so that "started" means the same as elsewhere */
int forkexec_spawn(struct floor_times *t)
{
        int p[2], code, status;
        pid_t pid;
        ssize_t n;

        memset(t, 0, sizeof *t);
        t->t0 = now_us();
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid == 0) {
                close(p[0]);
                execve(cfg.prog, cfg.argv, environ);
                child_fail(p[1], errno);
        }
        close(p[1]);
        if (pid < 0) {
                close(p[0]);
                return -errno;
        }
        while ((n = read(p[0], &code, sizeof code)) < 0 && errno == EINTR)
                ;
        close(p[0]);
        t->t_started = now_us();
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        t->t_reaped = t->t_done = now_us();
        if (n > 0)
                return -code;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

int posix_spawn_one(struct floor_times *t)
{
        pid_t pid;
        int rc, status;

        memset(t, 0, sizeof *t);
        t->t0 = now_us();
        rc = posix_spawn(&pid, cfg.prog, NULL, NULL, cfg.argv, environ);
        t->t_started = now_us(); /* glibc returns once the child has exec'd (CLONE_VFORK) */
        if (rc != 0)
                return -rc;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        t->t_reaped = t->t_done = now_us();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}
