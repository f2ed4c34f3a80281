/* The shim, as a linear list of steps (nsjail's contain.cc idea), each failing with its stage:
 *
 *   (cloned by the supervisor itself: its fds -> a session of its own, the zygote's
 *   dispositions) -> parent-death watch -> sync -> session keyring -> mounts -> hostname
 *   -> signalfd -> process group -> fork the actor
 *   -> PID-1 loop: forward signals from outside, reap everything, report the actor's wait
 *      status, exit
 *
 * and in the actor child (vfork: see "the actor child" below for what that allows):
 *
 *   stdio -> fd allowlist -> signals to default, empty mask -> rlimits -> cwd -> env -> execve
 *
 * A PID 1 cannot die of its own signal (the kernel drops signals for which init has the
 * default action), so the shim blocks them all, reads them from a signalfd and forwards the
 * ones meant for the program; the report pipe is the only place the supervisor learns the
 * program's real status. When the shim exits, the kernel kills everything left in the
 * namespace. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include "../ns/clone.h"
#include "../ns/creds.h"
#include "../ns/fdpass.h"
#include "../ns/fdplan.h"
#include "../ns/mounts.h"
#include "../ns/signals.h"
#include "../ns/netlink.h"
#include "../ns/syscalls.h"
#include "../ns/userns.h"

const int shim_inherited_ignored[] = {SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGPIPE};
const int shim_ninherited_ignored =
    (int)(sizeof shim_inherited_ignored / sizeof shim_inherited_ignored[0]);

static int exec_pipe = -1;
static int pty_slave = -1;  /* -t: the program's stdio and controlling terminal */
static int program_fd = -1; /* where the fd plan left the program's fd */

static __attribute__((noreturn)) void fail_at(int stage, int e, const char *detail)
{
        struct spec_child_error rec = {.stage = stage, .errnum = e};

        if (detail)
                strncpy(rec.detail, detail, sizeof rec.detail - 1);

        if (exec_pipe >= 0)
                (void)!write(exec_pipe, &rec, sizeof rec);
        /* shells' convention, which corral run's own exit codes follow */
        _exit(stage == STAGE_EXECVE && e == ENOENT ? 127 : stage == STAGE_EXECVE ? 126 : 125);
}

/* A step that fell back instead of failing: said on the exec pipe too (errnum negated), and
 * the spawn goes on. */
static void warn_at(int stage, int e)
{
        struct spec_child_error rec = {.stage = stage, .errnum = -e};

        if (exec_pipe >= 0)
                (void)!write(exec_pipe, &rec, sizeof rec);
}

static __attribute__((noreturn)) void fail(int stage, int e)
{
        fail_at(stage, e, NULL);
}

void shim_detach(void)
{
        struct sigaction ign = {.sa_handler = SIG_IGN};

        /* A session of its own, without a terminal: Ctrl-C is for the supervisor to turn into
         * a cascade, and no actor can reach a controlling terminal (TIOCSTI, terminal
         * signals). The zygote takes one for all the shims it clones: each session is a
         * scheduling group of its own (autogroup), and a new one per spawn cost milliseconds
         * under load (measured by make bench). */
        setsid();
        sig_reset_all();
        for (int i = 0; i < shim_ninherited_ignored; i++)
                sigaction(shim_inherited_ignored[i], &ign, NULL);
}

static void sort_fds(int *v, int n)
{
        for (int i = 1; i < n; i++) {
                int x = v[i], j = i;

                for (; j > 0 && v[j - 1] > x; j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
}

/* Every fd but kept[] (sorted, each >= 3) closed, from 3 up. */
static int close_others(const int *kept, int n)
{
        int lo = 3;

        for (int i = 0; i <= n; i++) {
                int hi = i < n ? kept[i] - 1 : -1; /* -1: to the end */

                if (hi >= 0 && hi < lo) {
                        lo = kept[i] + 1;
                        continue;
                }
                if (sys_close_range((unsigned)lo, hi < 0 ? ~0U : (unsigned)hi, 0) < 0) {
                        if (errno != ENOSYS)
                                return -1;
                        /* before Linux 5.9: as the zygote does */
                        for (int fd = lo; fd <= (hi < 0 ? 65535 : hi); fd++)
                                close(fd);
                }
                if (i < n)
                        lo = kept[i] + 1;
        }
        return 0;
}

/* Cloned by the supervisor itself (the tree's first spawn: spawn.c), the shim starts with a
 * copy of everything the supervisor holds (the registry lock, epoll, the admin socket, cgroup
 * nodes, the caller's stdio). First of all it keeps exactly what the zygote's clone would have
 * had: the request's fds, each a fresh CLOEXEC number above 2 (as SCM_RIGHTS would have
 * given it), the sync pipe and the supervisor's pidfd; stdio on /dev/null; nothing else. No
 * allocation: the supervisor may have threads whose malloc lock this copy would never see
 * released. */
static void step_own_fds(struct spec_req *r, int *sync_fd, int *parent_pidfd)
{
        int kept[SPEC_MAX_FDS + 2], n = 0, devnull;
        int *mine[SPEC_MAX_FDS + 2];

        for (int i = 0; i < r->nfds; i++)
                mine[n++] = &r->fds[i];
        mine[n++] = parent_pidfd;
        if (*sync_fd >= 0)
                mine[n++] = sync_fd;
        for (int i = 0; i < n; i++) {
                *mine[i] = fcntl(*mine[i], F_DUPFD_CLOEXEC, 3);
                if (*mine[i] < 0)
                        fail_at(STAGE_FDS, errno, "own-fds");
                kept[i] = *mine[i];
        }
        /* (the exec pipe's new number, for the record of a failure from here on) */
        exec_pipe = spec_fd(r, SPEC_FD_EXEC_PIPE);
        sort_fds(kept, n);
        if (close_others(kept, n) < 0)
                fail_at(STAGE_FDS, errno, "own-fds");
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
                fail_at(STAGE_FDS, errno, "own-fds");
        if (devnull > 2)
                close(devnull);
}

static void step_parent_death(int parent_pidfd)
{
        /* getppid() is 0 across a new PID namespace, so the re-check after the prctl is a poll
         * on the supervisor's pidfd: readable means it is gone. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                fail(STAGE_PDEATHSIG, errno);
        if (poll(&(struct pollfd){.fd = parent_pidfd, .events = POLLIN}, 1, 0) != 0)
                _exit(125);
}

static void step_sync(int sync_fd)
{
        char c;

        if (sync_fd < 0)
                return;
        if (read(sync_fd, &c, 1) != 1)
                _exit(125); /* the zygote gave up on us (and is killing us) */
        close(sync_fd);
}

/* A fresh anonymous session keyring (systemd's KeyringMode=private): without it the actor
 * holds the caller's session keyring, and a key a login put there (PAM's, say) is the
 * actor's to search and read. Joined here, as root before any credential change, so the
 * keyrings are charged to root's key quota: a uid's own (kernel.keys.maxkeys, 200 here) ran
 * out at the 199th actor of uid 65534. The actor child inherits it across fork and exec. A
 * uid's user keyring (@u) stays shared between actors of one uid. */
static void step_keyring(const struct spec_req *r)
{
        if (r->hdr.flags & SPEC_SHARE_KEYRING)
                return; /* KeyringMode=inherit */
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
                fail(STAGE_KEYRING, errno);
}

/* In a user namespace the shim, still host uid 0 from the clone (unmapped there), becomes
 * the namespace's root (the one unprivileged outside id the zygote mapped), keeping its
 * capabilities inside the namespace: from the host it is unprivileged too. A rootless shim
 * already is the caller's uid, which the maps name: root inside (PrivateUsers=yes) or itself,
 * with every capability inside until the program's execve. */
static void step_userns(const struct spec_req *r)
{
        if (!(r->hdr.clone_flags & CLONE_NEWUSER) || r->hdr.cred.uid != 0)
                return;
        if (userns_become_root(r->hdr.cred.set_ids) < 0)
                fail_at(STAGE_CREDENTIALS, errno, "userns-ids");
}

/* Hidden under an empty read-only tmpfs in every actor: root's registry (other trees' admin
 * sockets), every user's runtime directory (/run/user: the session bus, agents and
 * `systemd --user`, whose reach would be an escape), and a rootless corral's own
 * $XDG_RUNTIME_DIR wherever it lies. Set before the zygote forks (shim_hide_dir). */
static char *hidden_dirs[4] = {MOUNTS_HIDDEN_DIRS, NULL, NULL};

char *const *shim_hidden_dirs(void)
{
        return hidden_dirs;
}

void shim_hide_dir(const char *dir)
{
        static char extra[256];

        if (!dir || dir[0] != '/' || strncmp(dir, "/run/user/", 10) == 0 ||
            strcmp(dir, "/run/corral") == 0 || strlen(dir) >= sizeof extra)
                return;
        snprintf(extra, sizeof extra, "%s", dir);
        hidden_dirs[2] = extra;
}

static void step_mounts(const struct spec_req *r)
{
        int rw_fds[SPEC_MAX_RW];
        struct mount_plan plan = {
            .fresh_proc = true,
            .protect_kernel = r->hdr.flags & SPEC_PROTECT_KERNEL,
            .cgroup_view = r->cgroup_view,
            .cgroup_view_rw = r->hdr.flags & SPEC_CGROUP_VIEW_RW,
            .private_tmp = r->hdr.flags & SPEC_PRIVATE_TMP,
            .tmp_size = r->hdr.tmp_size,
            .private_devices = r->hdr.flags & SPEC_PRIVATE_DEVICES,
            .private_ipc = r->hdr.clone_flags & CLONE_NEWIPC,
            .protect_system = (enum mounts_protect_system)r->hdr.protect_system,
            .rw_paths = r->rw_paths,
            .rw_fds = rw_fds,
            .rw_bind = r->hdr.rw_bind,
            .rw_create = r->hdr.rw_create,
            .ops = r->ops,
            .n_ops = r->hdr.n_ops,
            .mask_dirs = hidden_dirs,
        };
        enum mounts_step step;

        for (uint32_t i = 0; i < r->hdr.n_rw_paths; i++)
                rw_fds[i] = spec_rw_fd(r, i);
        if (mounts_apply(&plan, &step) < 0)
                fail_at(STAGE_MOUNTS, errno, mounts_step_name(step));
}

static void step_loopback(const struct spec_req *r)
{
        if ((r->hdr.flags & SPEC_LOOPBACK) && net_link_up(r->hdr.loopback_ifindex) < 0)
                fail(STAGE_LOOPBACK, errno);
}

static void step_hostname(const struct spec_req *r)
{
        if ((r->hdr.clone_flags & CLONE_NEWUTS) && r->hostname[0] &&
            sethostname(r->hostname, strlen(r->hostname)) < 0)
                fail(STAGE_HOSTNAME, errno);
}

/* -t: a pty of the actor's own devpts (its /dev/ptmx, after the mounts), with the caller's
 * modes and window size and owned by the program's user (as login(1) does); the master goes
 * to the supervisor, the slave stays for the program. */
static void step_pty(const struct spec_req *r)
{
        int master, unlock = 0;
        char byte = 0;

        if (!(r->hdr.flags & SPEC_PTY))
                return;
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0)
                fail_at(STAGE_PTY, errno, "open-ptmx");
        pty_slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (pty_slave < 0)
                fail_at(STAGE_PTY, errno, "open-slave");
        if ((r->hdr.flags & SPEC_PTY_MODE) && tcsetattr(pty_slave, TCSANOW, &r->hdr.pty_mode) < 0)
                fail_at(STAGE_PTY, errno, "modes");
        if (r->hdr.pty_size.ws_row && ioctl(pty_slave, TIOCSWINSZ, &r->hdr.pty_size) < 0)
                fail_at(STAGE_PTY, errno, "window-size");
        if (r->hdr.cred.set_ids && fchown(pty_slave, r->hdr.cred.uid, r->hdr.cred.gid) < 0)
                fail_at(STAGE_PTY, errno, "owner");
        if (fdpass_send(spec_fd(r, SPEC_FD_PTY), &byte, 1, master, 0) < 0)
                fail_at(STAGE_PTY, errno, "send-master");
        close(master);
}

/* ---- the actor child ----
 *
 * It starts with vfork(): the child borrows the shim's memory until its execve, so no page
 * table is copied and no page is copied on write (fork to execveat: 287 us, with vfork 139).
 * The shim is suspended meanwhile; signals for the program wait in its signalfd and are
 * forwarded once the program runs, as they were while a forked child still had them blocked.
 * What the child may therefore do, and does:
 *  - only calls that are async-signal-safe in practice, and nothing that allocates: the
 *    environment array is the shim's (actor_env), numbers are formatted by put_uint;
 *  - per-task or per-process kernel state only, which a vfork child (no CLONE_FILES, FS,
 *    SIGHAND, THREAD) has as its own: the fd table (actor_fds), signal dispositions and mask,
 *    rlimits, session and controlling terminal, credentials, capabilities and bounding set,
 *    cwd, no_new_privs, and seccomp filters (a filter is the calling task's; no TSYNC);
 *  - glibc's setgroups/setresgid/setresuid broadcast to every thread only in a multithreaded
 *    process; the shim, a clone3 child of the single-threaded zygote, has one thread, so they
 *    are plain system calls on the child's own credentials;
 *  - the shim's memory it writes is the shim's business: exec_pipe and program_fd (the fd
 *    plan's renumbering, which the shim resets or never reads), envp's LISTEN_PID slot
 *    (pointing into the child's stack frame, read only by the child's execve), errno;
 *  - no signal handler can run on borrowed memory: CLONE_CLEAR_SIGHAND left none, and the
 *    child resets what was ignored before it unblocks anything;
 *  - it never returns from start_actor (actor_child is noreturn: execve or _exit), so the
 *    shim's frames above it are never reused. */

/* Writes v in decimal at p, NUL-terminated; returns the end (the NUL). Stands in for snprintf in
 * the vfork child. */
static char *put_uint(char *p, unsigned v)
{
        char digits[10];
        int n = 0;

        do
                digits[n++] = (char)('0' + v % 10);
        while (v /= 10);
        while (n > 0)
                *p++ = digits[--n];
        *p = '\0';
        return p;
}

static int stdio_source(const struct spec_req *r, enum spec_fd slot, unsigned null_flag, int flags)
{
        int fd = spec_fd(r, slot);

        if (fd >= 0)
                return fd;
        if (!(r->hdr.flags & null_flag))
                return -1;
        fd = open("/dev/null", flags | O_CLOEXEC);
        if (fd < 0)
                fail(STAGE_STDIO, errno);
        return fd;
}

static void actor_fds(const struct spec_req *r)
{
        struct fdplan plan;
        struct fdplan_move moves[3 + SPEC_MAX_PASS + 1];
        enum fdplan_path path;
        int n = 0;
        struct {
                enum spec_fd slot;
                unsigned null_flag;
                int flags;
        } stdio[3] = {{SPEC_FD_STDIN, SPEC_STDIN_NULL, O_RDONLY},
                      {SPEC_FD_STDOUT, SPEC_STDOUT_NULL, O_WRONLY},
                      {SPEC_FD_STDERR, SPEC_STDERR_NULL, O_WRONLY}};

        for (int i = 0; i < 3; i++) {
                int src = pty_slave >= 0
                              ? pty_slave
                              : stdio_source(r, stdio[i].slot, stdio[i].null_flag, stdio[i].flags);

                if (src >= 0)
                        moves[n++] = (struct fdplan_move){.src = src, .dst = i};
        }
        for (uint32_t i = 0; i < r->hdr.n_pass; i++)
                moves[n++] = (struct fdplan_move){.src = spec_pass_fd(r, i), .dst = 3 + (int)i};
        /* the control channel follows the passed fds (CORRAL_CTL_FD names it) */
        if (spec_fd(r, SPEC_FD_CTL) >= 0)
                moves[n++] = (struct fdplan_move){.src = spec_fd(r, SPEC_FD_CTL),
                                                  .dst = 3 + (int)r->hdr.n_pass};
        if (fdplan_compute(&plan, moves, n, NULL) < 0)
                fail(STAGE_FDS, EINVAL);
        plan.force_walk = r->hdr.flags & SPEC_FORCE_FD_WALK;
        /* -1: the fallback walk opens our /proc/self/fd (the /proc of our namespace) itself,
         * only when it is needed */
        {
                int priv[2] = {exec_pipe, spec_fd(r, SPEC_FD_PROGRAM)};

                if (fdplan_apply(&plan, priv, 2, -1, &path, NULL) < 0)
                        fail(STAGE_FDS, errno ? errno : EBADF);
                exec_pipe = priv[0];
                program_fd = priv[1];
        }
}

static void actor_signals(void)
{
        sigset_t none;

        /* CLONE_CLEAR_SIGHAND resets handlers but keeps ignored signals ignored, and the shim's
         * blocked mask survives fork and exec: a program under `nohup` or `trap '' INT` must not
         * inherit either. */
        /* Only what the zygote ignores can be ignored here: it reset everything else (and
         * CLONE_CLEAR_SIGHAND dropped every handler). */
        if (sig_reset(shim_inherited_ignored, shim_ninherited_ignored) < 0)
                fail(STAGE_SIGNALS, errno);
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
                fail(STAGE_SIGNALS, errno);
}

/* The supervisor found and opened the program before any mount changed: exec it by fd, so
 * that a program under a path its own mounts hide (a checkout in /tmp with PrivateTmp=)
 * still runs. A script cannot be run that way (its interpreter would open /dev/fd/N, gone
 * with CLOEXEC): it is run by path, where its mounts must show it. */
static __attribute__((noreturn)) void actor_exec(const struct spec_req *r, char **envp)
{
        int fd = program_fd;
        int e;

        if (fd >= 0) {
                syscall(SYS_execveat, fd, "", r->argv, envp, AT_EMPTY_PATH);
                if (errno != ENOENT)
                        fail(STAGE_EXECVE, errno);
        }
        execve(r->program, r->argv, envp);
        e = errno;
        /* a script the actor's own mounts hide (under a private /tmp, say) */
        if (fd >= 0 && e == ENOENT)
                fail_at(STAGE_EXECVE, e, "execve-script");
        fail(STAGE_EXECVE, e);
}

/* The filters were compiled once in the supervisor; here they are only installed, the last
 * step before execve (the exec pipe, CLOEXEC, still reports a failure). A fork would have
 * kept its parent's filter; a clone from the zygote has none, so every ancestor's filter
 * comes first (outermost first, one copy of each program), then the actor's own. Each load
 * after the first is itself a call the filters already loaded must allow (the supervisor put
 * the one that would not last). */
static void actor_seccomp(const struct spec_req *r)
{
        for (uint32_t i = 0; i < r->hdr.n_bpf; i++) {
                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &r->filters[i]) < 0) {
                        char detail[48] = "seccomp-filter-";
                        int e = errno;
                        char *p = put_uint(detail + strlen(detail), i + 1);

                        memcpy(p, "-of-", 5);
                        put_uint(p + 4, r->hdr.n_bpf);
                        fail_at(STAGE_SECCOMP, e, detail);
                }
        }
}

static __attribute__((noreturn)) void actor_child(struct spec_req *r, char **envp)
{
        char pidvar[32] = "LISTEN_PID=";

        /* -t: the session leader of its pty, which becomes its controlling terminal */
        if (pty_slave >= 0 && (setsid() < 0 || ioctl(pty_slave, TIOCSCTTY, 0) < 0))
                fail_at(STAGE_PTY, errno, "controlling-terminal");
        actor_fds(r);
        actor_signals();
        if (setrlimit(RLIMIT_NOFILE, &r->hdr.nofile) < 0)
                fail(STAGE_RLIMITS, errno);
        for (uint32_t i = 0; i < r->hdr.n_rlimits; i++) {
                struct rlimit rl = {.rlim_cur = r->hdr.rlimits[i].soft,
                                    .rlim_max = r->hdr.rlimits[i].hard};

                if (setrlimit((int)r->hdr.rlimits[i].resource, &rl) < 0)
                        fail(STAGE_RLIMITS, errno);
        }
        /* LISTEN_PID is the program's pid as it sees it (2, below the shim); its slot was left
         * free by actor_env. */
        if (r->hdr.n_pass > 0) {
                put_uint(pidvar + strlen(pidvar), (unsigned)getpid());
                envp[r->hdr.envc] = pidvar;
        }
        {
                enum creds_step cstep;

                if (creds_apply(&r->hdr.cred, &cstep) < 0)
                        fail_at(STAGE_CREDENTIALS, errno, creds_step_name(cstep));
        }
        /* By path, now: an inherited cwd would be a handle on the host's root mount that the
         * read-only binds and the private /tmp do not cover; and as the program's own user.
         * The caller's directory that the new mounts hide or refuse falls back to /. */
        if (chdir(r->cwd) < 0) {
                if (r->hdr.flags & SPEC_CWD_EXPLICIT)
                        fail(STAGE_CHDIR, errno);
                warn_at(STAGE_CHDIR, errno);
                if (chdir("/") < 0)
                        fail(STAGE_CHDIR, errno);
        }
        /* No privilege gain through exec, ever; and a filter may only be loaded after it. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail(STAGE_NO_NEW_PRIVS, errno);
        actor_seccomp(r);
        actor_exec(r, envp);
}

/* The program's environment is the request's own array, which has a slot left for LISTEN_PID
 * (spec.c: parse_blob): neither the shim nor its vfork child allocates. */
static pid_t start_actor(struct spec_req *r, int sfd)
{
        pid_t actor = vfork(); /* NOLINT(clang-analyzer-security.insecureAPI.vfork): see above */

        if (actor == 0) {
                close(sfd); /* NOLINT(clang-analyzer-unix.Vfork): the child's own fd table */
                actor_child(r, r->envp);
        }
        return actor;
}

/* ---- PID 1 ---- */

bool shim_forwards(int sig)
{
        return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT ||
               sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGWINCH;
}

static __attribute__((noreturn)) void shim_loop(pid_t actor, int sfd, int report, int parent_pidfd)
{
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
                              {.fd = parent_pidfd, .events = POLLIN}};

        for (;;) {
                struct signalfd_siginfo si;
                int status;
                pid_t w;

                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(125);
                }
                if (p[1].revents)
                        _exit(125); /* the supervisor is gone: take the namespace down with us */
                if (read(sfd, &si, sizeof si) != sizeof si)
                        continue;
                /* Only what comes from outside the namespace (the supervisor, an admin: the
                 * sender's pid is 0 here) is meant for the program. The program's own
                 * `kill 0` reaches its group, us included: passing that on would send it
                 * twice. */
                if (shim_forwards((int)si.ssi_signo) && si.ssi_pid == 0) {
                        kill(actor, (int)si.ssi_signo);
                        if (si.ssi_signo == SIGTERM)
                                kill(actor, SIGCONT); /* a stopped program cannot act on SIGTERM */
                        continue;
                }
                if (si.ssi_signo != SIGCHLD)
                        continue;
                /* Reap everything: orphans of the namespace are re-parented to us. */
                while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
                        if (w == actor) {
                                struct shim_report rep = {
                                    .magic = SHIM_REPORT_MAGIC, .wstatus = status, .pid = actor};

                                (void)!write(report, &rep, sizeof rep);
                                _exit(0);
                        }
                }
        }
}

void shim_main(struct spec_req *r, int sync_fd, int parent_pidfd, bool direct)
{
        sigset_t all;
        int sfd, report;
        pid_t actor;

        exec_pipe = spec_fd(r, SPEC_FD_EXEC_PIPE);
        if (direct) {
                step_own_fds(r, &sync_fd, &parent_pidfd); /* before anything else */
                shim_detach();                            /* what the zygote did for its shims */
        }
        step_parent_death(parent_pidfd);
        step_sync(sync_fd);
        step_keyring(r);
        /* now in its cgroup: a fallback clone's cgroup namespace can be rooted there */
        if (ns_clone_deferred_cgroupns() && unshare(CLONE_NEWCGROUP) < 0)
                fail_at(STAGE_SYNC, errno, "unshare-cgroupns");
        step_userns(r);
        /* changing credentials cleared the parent-death signal: set it (and look) again */
        step_parent_death(parent_pidfd);
        /* (no setsid here: the zygote's session has no terminal, and the shim is in it; or
         * shim_detach made one for this shim alone) */
        step_mounts(r);
        if (chdir("/") < 0) /* the shim holds no handle on the host's tree either */
                fail(STAGE_CHDIR, errno);
        step_hostname(r);
        step_loopback(r);
        step_pty(r);

        /* Signals stay blocked from the clone on; from here they are read, never delivered. */
        sigfillset(&all);
        sfd = signalfd(-1, &all, SFD_CLOEXEC);
        if (sfd < 0)
                fail(STAGE_SIGNALFD, errno);

        /* A process group of our own, which the program inherits: its `kill 0` reaches its
         * own actor only, never the zygote or another actor (all are in the zygote's session,
         * and were in its group). A group, unlike a session, starts no scheduling autogroup.
         * A shim with a session of its own leads its group already (and setpgid would refuse
         * a session leader: EPERM). */
        if (!direct && setpgid(0, 0) < 0)
                fail(STAGE_PGID, errno);
        actor = start_actor(r, sfd);
        if (actor < 0)
                fail(STAGE_FORK, errno);
        if (pty_slave >= 0) /* the program's alone: its end is the terminal's hangup */
                close(pty_slave);
        /* The shim holds nothing but its signalfd, the report pipe and the supervisor's pidfd;
         * dropping its copy of the exec pipe makes EOF mean "execve succeeded". (It runs again
         * only after that execve, so the program may write first: the supervisor takes its
         * output for the same proof.) */
        report = fcntl(spec_fd(r, SPEC_FD_REPORT), F_DUPFD_CLOEXEC, 3);
        if (report < 0)
                _exit(125);
        /* The exec pipe goes last: its EOF then also says that the shim holds nothing more of
         * the request. A copy of the supervisor's memory frees nothing (its malloc lock: see
         * step_own_fds). */
        exec_pipe = spec_fd(r, SPEC_FD_EXEC_PIPE); /* (the child renumbered its own copy) */
        r->fds[r->hdr.fd_index[SPEC_FD_EXEC_PIPE]] = -1;
        if (direct)
                spec_req_close_fds(r);
        else
                spec_req_free(r);
        close(exec_pipe);
        exec_pipe = -1;
        shim_loop(actor, sfd, report, parent_pidfd);
}
