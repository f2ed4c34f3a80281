#include "clone.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "signals.h"
#include "syscalls.h"
#include "timeutil.h"

static int clone3_state = -1;
static bool deferred_cgroupns;

bool ns_clone_deferred_cgroupns(void)
{
        return deferred_cgroupns;
}

void ns_clone3_probe(void)
{
        struct clone_args args;

        if (clone3_state != -1)
                return;
        memset(&args, 0, sizeof args);
        /* CLONE_THREAD without CLONE_SIGHAND is always refused (EINVAL), after the struct
         * was copied in: E2BIG comes first when the kernel does not know .cgroup */
        args.flags = CLONE_THREAD | CLONE_INTO_CGROUP;
        args.cgroup = 1;
        if (sys_clone3(&args, sizeof args) < 0)
                clone3_state = errno == EINVAL ? 1 : errno == ENOSYS || errno == E2BIG ? 0 : -1;
}

int ns_clone3_state(void)
{
        return clone3_state;
}

static pid_t clone_fallback(const struct ns_clone_req *req, int *pidfd)
{
        /* clone(2) takes CLONE_PIDFD since 5.2 and returns the pidfd through parent_tid. Raw
         * syscall with stack 0: fork semantics. x86-64 and arm64 differ in the order of the last
         * two arguments, both 0 here. The clone3-only flags cannot be passed. */
        unsigned long flags =
            (unsigned long)(req->flags & ~(CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP));

        /* A cgroup namespace is rooted where the child is at clone time: here that is still
         * our cgroup. The child unshares it itself once it has been moved (crun does too). */
        deferred_cgroupns = flags & CLONE_NEWCGROUP;
        flags &= ~(unsigned long)CLONE_NEWCGROUP;

        return (pid_t)syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, 0, pidfd, 0, 0);
}

/* What CLONE_CLEAR_SIGHAND does: handled signals back to SIG_DFL, ignored ones stay ignored.
 * Signals are still blocked here, so no inherited handler can run first. */
static void clear_handlers(void)
{
        for (int sig = 1; sig < NSIG; sig++) {
                struct sigaction sa;

                if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
                        continue;
                if (sa.sa_handler != SIG_IGN && sa.sa_handler != SIG_DFL) {
                        sa.sa_handler = SIG_DFL;
                        sa.sa_flags = 0;
                        sigaction(sig, &sa, NULL);
                }
        }
}

pid_t ns_clone(const struct ns_clone_req *req, struct ns_clone_res *res, struct cerr *err)
{
        struct clone_args args;
        sigset_t all;
        pid_t pid = -1;
        int pidfd = -1;
        int e = 0;

        memset(res, 0, sizeof *res);
        res->pidfd = -1;
        deferred_cgroupns = false;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &res->saved_mask);

        if (!req->force_fallback && clone3_state != 0) {
                memset(&args, 0, sizeof args);
                args.flags = req->flags | CLONE_PIDFD;
                args.pidfd = (uint64_t)(uintptr_t)&pidfd;
                /* With CLONE_PARENT the child inherits our own exit signal; clone3 refuses an
                 * explicit one (clone3_args_valid). */
                args.exit_signal = (req->flags & CLONE_PARENT) ? 0 : SIGCHLD;
                if (req->cgroup_fd >= 0) {
                        args.flags |= CLONE_INTO_CGROUP;
                        args.cgroup = (uint64_t)req->cgroup_fd;
                }
                pid = (pid_t)sys_clone3(&args, sizeof args);
                if (pid == 0)
                        return 0; /* child: signals stay blocked */
                e = errno;
                if (pid > 0) {
                        clone3_state = 1;
                        res->placed = req->cgroup_fd >= 0;
                } else if (e == ENOSYS || e == E2BIG) {
                        /* No clone3 (< 5.3) or no cgroup field (< 5.7): remember, use clone(). */
                        clone3_state = 0;
                }
        }
        if (pid < 0 && (req->force_fallback || clone3_state == 0)) {
                pid = clone_fallback(req, &pidfd);
                if (pid == 0) {
                        if (req->flags & CLONE_CLEAR_SIGHAND)
                                clear_handlers();
                        return 0;
                }
                e = errno;
                if (pid > 0)
                        res->fallback = true;
        }
        sigprocmask(SIG_SETMASK, &res->saved_mask, NULL);
        if (pid < 0)
                return cerr_set(err, e,
                                res->fallback || req->force_fallback ? CERR_CLONE : CERR_CLONE3,
                                "creating a process");
        res->pid = pid;
        res->pidfd = pidfd;
        return pid;
}

int pidfd_signal(int pidfd, int sig, struct cerr *err)
{
        if (sys_pidfd_send_signal(pidfd, sig, NULL, 0) < 0)
                return cerr_set(err, errno, CERR_SIGNALS, "sending %s", sig_name(sig));
        return 0;
}

static int siginfo_to_wstatus(const siginfo_t *si)
{
        switch (si->si_code) {
        case CLD_EXITED:
                return (si->si_status & 0xff) << 8;
        case CLD_KILLED:
                return si->si_status & 0x7f;
        case CLD_DUMPED:
                return (si->si_status & 0x7f) | 0x80;
        default:
                return 0;
        }
}

int pidfd_wait(int pidfd, int timeout_ms, int *wstatus, struct cerr *err)
{
        int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;

        for (;;) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                int left = -1;
                int r;

                if (deadline >= 0) {
                        int64_t l = deadline - mono_ms();

                        left = l < 0 ? 0 : (int)l;
                }
                r = poll(&p, 1, left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return cerr_set(err, errno, CERR_WAIT, "polling a pidfd");
                if (r == 0)
                        return 0;
                break;
        }
        {
                siginfo_t si;

                memset(&si, 0, sizeof si);
                if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0) {
                        if (errno == ECHILD)
                                return 1; /* not our child: it exited, someone else reaps it */
                        return cerr_set(err, errno, CERR_WAIT, "waitid on a pidfd");
                }
                if (wstatus)
                        *wstatus = siginfo_to_wstatus(&si);
        }
        return 1;
}

const char *wstatus_describe(int wstatus, char *buf, size_t len)
{
        if (wstatus == WSTATUS_UNKNOWN)
                snprintf(buf, len, "status unknown");
        else if (WIFEXITED(wstatus))
                snprintf(buf, len, "exited %d", WEXITSTATUS(wstatus));
        else if (WIFSIGNALED(wstatus))
                snprintf(buf, len, "signaled %s%s", sig_name(WTERMSIG(wstatus)),
                         WCOREDUMP(wstatus) ? " (core dumped)" : "");
        else
                snprintf(buf, len, "status 0x%x", (unsigned)wstatus);
        return buf;
}

int wstatus_exit_code(int wstatus)
{
        if (wstatus == WSTATUS_UNKNOWN)
                return 125;
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return 125;
}
