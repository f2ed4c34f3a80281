#include "probe.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "clone.h"
#include "syscalls.h"

static const char *const feature_names[PROBE_NFEAT] = {
    [PROBE_CLONE3] = "clone3",           [PROBE_CLONE_INTO_CGROUP] = "clone_into_cgroup",
    [PROBE_CLONE_PIDFD] = "clone_pidfd", [PROBE_CLOSE_RANGE] = "close_range",
    [PROBE_CGROUP_KILL] = "cgroup_kill", [PROBE_USERNS] = "user_namespaces",
    [PROBE_SECCOMP] = "seccomp",         [PROBE_CREATE_NODES] = "create_nodes",
};

const char *probe_feature_name(enum probe_feature f)
{
        return (unsigned)f < PROBE_NFEAT ? feature_names[f] : "?";
}

const char *feat_name(enum feat s)
{
        return s == FEAT_YES ? "yes" : s == FEAT_NO ? "no" : "unknown";
}

__attribute__((format(printf, 4, 5))) static void set(struct host_probe *p, enum probe_feature f,
                                                      enum feat s, const char *fmt, ...)
{
        va_list ap;

        p->feat[f].state = s;
        va_start(ap, fmt);
        vsnprintf(p->feat[f].note, sizeof p->feat[f].note, fmt, ap);
        va_end(ap);
}

static void probe_clone3(struct host_probe *p)
{
        /* clone3(NULL, 0): EINVAL (size too small) when the call exists, ENOSYS when not. */
        if (sys_clone3(NULL, 0) < 0 && errno == ENOSYS)
                set(p, PROBE_CLONE3, FEAT_NO, "kernel has no clone3 (< 5.3): clone() fallback");
        else
                set(p, PROBE_CLONE3, FEAT_YES, "%s", "");
}

static void probe_close_range(struct host_probe *p)
{
        int fd = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */

        if (fd < 0) {
                set(p, PROBE_CLOSE_RANGE, FEAT_UNKNOWN, "cannot open /dev/null: %s",
                    strerror(errno));
                return;
        }
        if (sys_close_range((unsigned)fd, (unsigned)fd, CLOSE_RANGE_CLOEXEC) == 0 &&
            (fcntl(fd, F_GETFD) & FD_CLOEXEC))
                set(p, PROBE_CLOSE_RANGE, FEAT_YES, "with CLOSE_RANGE_CLOEXEC");
        else
                set(p, PROBE_CLOSE_RANGE, FEAT_NO, "%s: the /proc/self/fd walk is used instead",
                    errno == ENOSYS ? "no close_range (< 5.9)" : "no CLOSE_RANGE_CLOEXEC (< 5.11)");
        close(fd);
}

static void probe_userns(struct host_probe *p)
{
        pid_t pid = fork();
        int status = 0;

        if (pid == 0)
                _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : (errno & 0x7f) + 1);
        if (pid < 0 || waitpid(pid, &status, 0) < 0) {
                set(p, PROBE_USERNS, FEAT_UNKNOWN, "could not fork a probe: %s", strerror(errno));
                return;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                set(p, PROBE_USERNS, FEAT_YES, "%s", "");
        else
                set(p, PROBE_USERNS, FEAT_NO,
                    "unshare(CLONE_NEWUSER): %s (PrivateUsers= unavailable)",
                    WIFEXITED(status) ? strerror(WEXITSTATUS(status) - 1) : "probe died");
}

static void probe_seccomp(struct host_probe *p)
{
        unsigned int action = SECCOMP_RET_KILL_PROCESS;

        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
                set(p, PROBE_SECCOMP, FEAT_NO,
                    "kernel without seccomp: SystemCallFilter= unavailable");
                return;
        }
        if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
                set(p, PROBE_SECCOMP, FEAT_YES, "filters; no SECCOMP_RET_KILL_PROCESS (< 4.14)");
        else
                set(p, PROBE_SECCOMP, FEAT_YES, "filters, kill-process action");
}

/* Create a node, clone a child into it, see it in cgroup.procs, and take it all down. */
static void probe_trial(struct host_probe *p)
{
        struct cg_node base = {.fd = -1}, node = {.fd = -1};
        struct ns_clone_req req = {.flags = 0, .cgroup_fd = -1};
        struct ns_clone_res res;
        struct cerr err = {0};
        char name[32], buf[256], ebuf[CERR_MSG_MAX + 64];
        int sync[2] = {-1, -1};
        int created;
        pid_t pid;

        created = cg_base_open(&p->deleg, &base, &err);
        if (created < 0) {
                set(p, PROBE_CREATE_NODES, FEAT_NO, "%s", cerr_str(&err, ebuf, sizeof ebuf));
                return;
        }
        snprintf(name, sizeof name, "check-%d", (int)getpid());
        if (cg_node_create(&node, base.path, name, "check", &err) < 0) {
                set(p, PROBE_CREATE_NODES, FEAT_NO, "%s", cerr_str(&err, ebuf, sizeof ebuf));
                goto out;
        }
        set(p, PROBE_CREATE_NODES, FEAT_YES, "created and removed %s", node.path);
        if (faccessat(node.fd, "cgroup.kill", F_OK, 0) == 0)
                set(p, PROBE_CGROUP_KILL, FEAT_YES, "%s", "");
        else
                set(p, PROBE_CGROUP_KILL, FEAT_NO,
                    "no cgroup.kill (< 5.14): tree kills are impossible");

        if (pipe2(sync, O_CLOEXEC) < 0) {
                set(p, PROBE_CLONE_INTO_CGROUP, FEAT_UNKNOWN, "pipe: %s", strerror(errno));
                goto out;
        }
        req.cgroup_fd = node.fd;
        pid = ns_clone(&req, &res, &err);
        if (pid == 0) {
                char c;

                close(sync[1]);
                _exit(read(sync[0], &c, 1) < 0);
        }
        close(sync[0]);
        if (pid < 0) {
                set(p, PROBE_CLONE_INTO_CGROUP, FEAT_NO, "%s", cerr_str(&err, ebuf, sizeof ebuf));
                set(p, PROBE_CLONE_PIDFD, FEAT_UNKNOWN, "no child could be created");
                close(sync[1]);
                goto out;
        }
        if (!res.placed) {
                set(p, PROBE_CLONE_INTO_CGROUP, FEAT_NO,
                    "clone3 without CLONE_INTO_CGROUP (< 5.7): clone() + cgroup.procs fallback");
        } else if (cg_node_read(&node, "cgroup.procs", buf, sizeof buf, &err) >= 0 &&
                   atoi(buf) == pid) {
                set(p, PROBE_CLONE_INTO_CGROUP, FEAT_YES, "a trial child landed in its node");
        } else {
                set(p, PROBE_CLONE_INTO_CGROUP, FEAT_NO, "the trial child is not in its node");
        }
        set(p, PROBE_CLONE_PIDFD, res.pidfd >= 0 ? FEAT_YES : FEAT_NO, "%s", "");
        close(sync[1]);
        if (res.pidfd >= 0) {
                pidfd_wait(res.pidfd, -1, NULL, &err);
                close(res.pidfd);
        } else {
                waitpid(pid, NULL, 0);
        }
out:
        if (node.fd >= 0) {
                cg_node_close(&node);
                cg_remove_tree(node.path, &err);
        }
        if (created == 1)
                rmdir(base.path); /* only when this probe made it, and only if still empty */
        cg_node_close(&base);
}

/* Rootless: what ns/rootless.h decides, and a user namespace actually made (a sysctl can
 * look right while a container's seccomp or an LSM still says no). */
static bool probe_rootless(struct host_probe *p)
{
        struct rootless_facts f;

        rootless_facts_read(&p->host, &f);
        rootless_decide(&f, &p->rl);
        snprintf(p->mode, sizeof p->mode,
                 "rootless (uid %u): every actor in a user namespace mapping uid %u and gid %u "
                 "only; registry and admin sockets in %s/corral",
                 (unsigned)f.uid, (unsigned)f.uid, (unsigned)getegid(),
                 f.runtime_dir && f.runtime_dir[0] ? f.runtime_dir : "$XDG_RUNTIME_DIR");
        if (p->rl.ok && p->feat[PROBE_USERNS].state != FEAT_YES) {
                p->rl.ok = false;
                snprintf(p->rl.problem, sizeof p->rl.problem,
                         "user namespaces are unavailable to us: %s", p->feat[PROBE_USERNS].note);
                snprintf(p->rl.fix, sizeof p->rl.fix,
                         "allow unprivileged user namespaces (a container's seccomp profile or "
                         "an LSM may forbid them), or run corral as root");
        }
        if (!p->rl.ok)
                snprintf(p->verdict, sizeof p->verdict, "%s; %s", p->rl.problem, p->rl.fix);
        return p->rl.ok;
}

void probe_host(struct host_probe *p, bool trial_node)
{
        struct cerr err = {0};

        memset(p, 0, sizeof *p);
        probe_clone3(p);
        probe_close_range(p);
        probe_userns(p);
        probe_seccomp(p);
        p->rootless = rootless_mode();
        snprintf(p->mode, sizeof p->mode, "root");
        if (cg_mounts_discover(&p->host, &err) < 0 || cg_mounts_usable(&p->host, &err) < 0 ||
            cg_delegation_probe(&p->host, &p->deleg, &err) < 0) {
                cerr_str(&err, p->host_error, sizeof p->host_error);
                snprintf(p->verdict, sizeof p->verdict, "%s", p->host_error);
                return;
        }
        p->host_ok = true;
        if (p->rootless && !probe_rootless(p))
                return;
        if (!p->deleg.ok) {
                snprintf(p->verdict, sizeof p->verdict, "%s; %s", p->deleg.problem, p->deleg.fix);
                set(p, PROBE_CREATE_NODES, FEAT_NO, "%s", p->deleg.problem);
                return;
        }
        if (trial_node)
                probe_trial(p);
        if (p->feat[PROBE_CREATE_NODES].state != FEAT_YES)
                snprintf(p->verdict, sizeof p->verdict, "cannot create cgroups: %s",
                         p->feat[PROBE_CREATE_NODES].note);
        else if (p->feat[PROBE_CGROUP_KILL].state != FEAT_YES)
                snprintf(p->verdict, sizeof p->verdict, "%s", p->feat[PROBE_CGROUP_KILL].note);
        else if (p->feat[PROBE_CLONE_PIDFD].state != FEAT_YES)
                snprintf(p->verdict, sizeof p->verdict,
                         "no pidfds (< 5.2): exits cannot be waited "
                         "for without races");
        else
                p->usable = true;
}
