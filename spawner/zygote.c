#include "zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/clone.h"
#include "../ns/kfile.h"
#include "../ns/netns.h"
#include "../ns/signals.h"
#include "../ns/syscalls.h"
#include "../ns/userns.h"
#include "shim.h"
#include "../ns/fdpass.h"
#include "spec.h"

static void send_reply(int sock, const struct spec_reply *rep, int pidfd)
{
        /* Blocking: the supervisor reads replies from its event loop. If it is gone, EPIPE. */
        (void)fdpass_send(sock, rep, sizeof *rep, pidfd, 0);
}

static int write_pid(int dirfd, pid_t pid)
{
        char v[24];

        snprintf(v, sizeof v, "%d", (int)pid);
        return kfile_write_at(dirfd, "cgroup.procs", v);
}

static void fill_error(struct spec_reply *rep, int e, int stage, const char *msg)
{
        rep->errnum = e;
        rep->stage = stage;
        snprintf(rep->msg, sizeof rep->msg, "%s", msg);
}

static void handle(int sock, int parent_pidfd, struct spec_req *r)
{
        struct spec_reply rep = {.magic = SPEC_MAGIC, .req_id = r->hdr.req_id};
        struct ns_clone_req creq = {
            .flags = r->hdr.clone_flags | CLONE_PARENT | CLONE_CLEAR_SIGHAND,
            .cgroup_fd = spec_fd(r, SPEC_FD_CGROUP),
            .force_fallback = r->hdr.flags & SPEC_FORCE_CLONE_FALLBACK,
        };
        struct ns_clone_res res;
        struct cerr err = {0};
        int sync[2] = {-1, -1};
        int tree_net = spec_fd(r, SPEC_FD_NETNS), own_net = -1;
        bool userns = r->hdr.clone_flags & CLONE_NEWUSER;
        bool need_sync = r->hdr.n_v1 > 0 || userns || creq.force_fallback || ns_clone3_state() != 1;
        pid_t pid;

        if (need_sync && pipe2(sync, O_CLOEXEC) < 0) {
                fill_error(&rep, errno, STAGE_SYNC, "creating the sync pipe");
                send_reply(sock, &rep, -1);
                return;
        }
        /* PrivateNetwork=tree: the child is born in the tree's network namespace (ns/netns.h) */
        if (tree_net >= 0 && netns_enter(tree_net, &own_net) < 0) {
                fill_error(&rep, errno, STAGE_NETNS, "entering the tree's network namespace");
                if (sync[0] >= 0) {
                        close(sync[0]);
                        close(sync[1]);
                }
                send_reply(sock, &rep, -1);
                return;
        }
        pid = ns_clone(&creq, &res, &err);
        if (pid == 0) {
                close(sock);
                if (sync[1] >= 0)
                        close(sync[1]);
                if (own_net >= 0)
                        close(own_net); /* a handle on the host's namespace stays with us */
                shim_main(r, sync[0], parent_pidfd, res.saved_mask);
        }
        /* Back at once: every later clone would be born where we are. If we cannot return, we
         * must clone nothing more; the supervisor fails what is pending when we are gone. */
        if (own_net >= 0 && netns_leave(&own_net) < 0) {
                if (pid > 0)
                        sys_pidfd_send_signal(res.pidfd, SIGKILL, NULL, 0);
                _exit(1);
        }
        if (sync[0] >= 0)
                close(sync[0]);
        if (pid < 0) {
                fill_error(&rep, err.errnum, STAGE_NONE, cerr_stage_name(err.stage));
                if (sync[1] >= 0)
                        close(sync[1]);
                send_reply(sock, &rep, -1);
                return;
        }
        rep.pid = pid;
        rep.fallback = res.fallback;
        /* Work that must be done before the child runs: on the fallback path it starts in our
         * cgroup and is moved (an RCU grace period, here and not in the event loop); on hybrid
         * hosts each v1 controller needs its own placement. */
        if (!res.placed && creq.cgroup_fd >= 0 && write_pid(creq.cgroup_fd, pid) < 0)
                fill_error(&rep, errno, STAGE_SYNC, "moving the child into its cgroup");
        for (uint32_t i = 0; !rep.errnum && i < r->hdr.n_v1; i++) {
                if (write_pid(spec_v1_fd(r, i), pid) < 0)
                        fill_error(&rep, errno, STAGE_SYNC, "placing the child in a v1 cgroup");
        }
        /* PrivateUsers=: root inside is one unprivileged id outside */
        if (!rep.errnum && userns && userns_write_maps(pid, r->hdr.map_uid, r->hdr.map_gid) < 0)
                fill_error(&rep, errno, STAGE_SYNC, "writing the user namespace's id maps");
        if (rep.errnum)
                sys_pidfd_send_signal(res.pidfd, SIGKILL, NULL, 0);
        else if (sync[1] >= 0 && write(sync[1], "g", 1) != 1)
                fill_error(&rep, errno, STAGE_SYNC, "releasing the child");
        if (sync[1] >= 0)
                close(sync[1]);
        /* Our copies of the child's pipes go before the reply: the supervisor reads the exec
         * pipe's EOF as "execve succeeded", and must see it once the child is past it, not
         * whenever we get round to freeing the request. */
        spec_req_close_fds(r);
        send_reply(sock, &rep, res.pidfd);
        close(res.pidfd);
}

static __attribute__((noreturn)) void zygote_main(int sock, int parent_pidfd)
{
        struct sigaction ign = {.sa_handler = SIG_IGN};
        sigset_t none;
        int devnull;

        /* Die with the supervisor; and if it already died before the prctl, notice now. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (poll(&(struct pollfd){.fd = parent_pidfd, .events = POLLIN}, 1, 0) != 0)
                _exit(0);
        /* A session of its own, without a terminal: Ctrl-C is for the supervisor to turn into
         * a cascade, not for the spawn server, and no actor it clones can reach a controlling
         * terminal (TIOCSTI, terminal signals). One setsid here instead of one per shim: each
         * session is a scheduling group of its own (autogroup), and a new one per spawn cost
         * milliseconds under load (measured by make bench). */
        setsid();
        sig_reset_all();
        for (int i = 0; i < shim_ninherited_ignored; i++)
                sigaction(shim_inherited_ignored[i], &ign, NULL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);

        /* Hold nothing: stdio to /dev/null, every other inherited fd closed. */
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
                _exit(1);
        /* via the lowest free numbers above 4: either may already sit on 3 or 4 (and dup3
         * refuses equal fds). Not a fixed high number: the process may be allowed only a few
         * dozen fds (DESIGN: corral works from CORRAL_MIN_NOFILE up). */
        sock = fcntl(sock, F_DUPFD_CLOEXEC, 5);
        parent_pidfd = fcntl(parent_pidfd, F_DUPFD_CLOEXEC, 5);
        if (sock < 0 || parent_pidfd < 0 || dup3(sock, 3, O_CLOEXEC) < 0 ||
            dup3(parent_pidfd, 4, O_CLOEXEC) < 0)
                _exit(1);
        sock = 3;
        parent_pidfd = 4;
        if (sys_close_range(5, ~0U, 0) < 0) {
                for (int fd = 5; fd < 65536; fd++)
                        close(fd);
        }

        /* Know now whether clone3 can place a child in its cgroup, so that no spawn pays
         * the fallback's sync round trip for not knowing. */
        ns_clone3_probe();
        for (;;) {
                struct spec_req r;
                struct cerr err = {0};
                int rc = spec_recv(sock, &r, &err);

                if (rc == 0)
                        _exit(0); /* the supervisor closed its end */
                if (rc < 0) {
                        struct spec_reply rep = {.magic = SPEC_MAGIC, .req_id = r.hdr.req_id};

                        if (err.errnum == EBADF || err.errnum == ENOTSOCK)
                                _exit(1);
                        fill_error(&rep, err.errnum, STAGE_NONE, err.msg);
                        send_reply(sock, &rep, -1);
                        continue;
                }
                handle(sock, parent_pidfd, &r);
                spec_req_free(&r);
        }
}

int zygote_start(struct zygote *z, struct cerr *err)
{
        int sv[2];
        int self;
        pid_t pid;

        z->pid = -1;
        z->pidfd = z->sock = -1;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return cerr_set(err, errno, CERR_ZYGOTE, "socketpair");
        self = sys_pidfd_open(getpid(), 0);
        if (self < 0) {
                int e = errno;

                close(sv[0]);
                close(sv[1]);
                return cerr_set(err, e, CERR_ZYGOTE, "pidfd_open of the supervisor");
        }
        pid = fork();
        if (pid == 0) {
                close(sv[0]);
                zygote_main(sv[1], self);
        }
        close(sv[1]);
        close(self);
        if (pid < 0) {
                int e = errno;

                close(sv[0]);
                return cerr_set(err, e, CERR_ZYGOTE, "fork");
        }
        z->pid = pid;
        z->sock = sv[0];
        z->pidfd = sys_pidfd_open(pid, 0);
        if (z->pidfd < 0 || fcntl(z->sock, F_SETFL, O_NONBLOCK) < 0) {
                int e = errno;

                zygote_stop(z);
                return cerr_set(err, e, CERR_ZYGOTE, "setting up the spawn server");
        }
        return 0;
}

void zygote_stop(struct zygote *z)
{
        if (z->sock >= 0)
                close(z->sock); /* EOF: the zygote exits */
        z->sock = -1;
        if (z->pid > 0) {
                if (z->pidfd >= 0 &&
                    poll(&(struct pollfd){.fd = z->pidfd, .events = POLLIN}, 1, 1000) <= 0)
                        sys_pidfd_send_signal(z->pidfd, SIGKILL, NULL, 0);
                while (waitpid(z->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        if (z->pidfd >= 0)
                close(z->pidfd);
        z->pidfd = -1;
        z->pid = -1;
}
