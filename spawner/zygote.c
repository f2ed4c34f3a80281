#include "zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
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
#include "../ns/fdpass.h"
#include "../ns/syscalls.h"
#include "shim.h"
#include "shim_clone.h"
#include "spec.h"

static void send_reply(int sock, const struct spec_reply *rep, int pidfd)
{
        /* Blocking: the supervisor reads replies from its event loop. If it is gone, EPIPE. */
        (void)fdpass_send(sock, rep, sizeof *rep, pidfd, 0);
}

static void handle(int sock, int parent_pidfd, struct ns_spares *spares, struct spec_req *r)
{
        struct shim_clone_how how = {
            .parent_pidfd = parent_pidfd, .close_in_child = sock, .spares = spares};
        struct spec_reply rep;
        bool stranded;
        int pidfd = shim_clone(r, &how, &rep, &stranded);

        if (stranded)
                _exit(1); /* the supervisor fails what is pending when we are gone */
        /* Our copies of the child's pipes go before the reply: the supervisor reads the exec
         * pipe's EOF as "execve succeeded", and must see it once the child is past it, not
         * whenever we get round to freeing the request. */
        spec_req_close_fds(r);
        send_reply(sock, &rep, pidfd);
        if (pidfd >= 0)
                close(pidfd);
}

static __attribute__((noreturn)) void zygote_main(int sock, int parent_pidfd)
{
        struct ns_spares spares;
        sigset_t none;
        int devnull;

        /* Die with the supervisor; and if it already died before the prctl, notice now. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (poll(&(struct pollfd){.fd = parent_pidfd, .events = POLLIN}, 1, 0) != 0)
                _exit(0);
        /* One session without a terminal for every shim it clones (shim.h: shim_detach) */
        shim_detach();
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

        /* The heap we inherited is the supervisor's, much of it free chunks (a policy parsed,
         * a filter compiled, a bench's samples): handed back, so that each clone copies the
         * page tables of what is left and no more (corral-bench's zygote: 1.5 MiB -> 0.4
         * MiB anonymous; clone cost follows). */
        malloc_trim(0);
        /* Know now whether clone3 can place a child in its cgroup, so that no spawn pays
         * the fallback's sync round trip for not knowing. */
        ns_clone3_probe();
        ns_spares_init(&spares);
        for (;;) {
                struct spec_req r;
                struct cerr err = {0};
                int rc;

                /* Idle (no request waiting): make the namespaces the last requests used up
                 * (ns/spare_ns.h). Stuck in one we made, we must clone nothing more. */
                if (ns_spares_short(&spares) &&
                    poll(&(struct pollfd){.fd = sock, .events = POLLIN}, 1, 0) == 0 &&
                    ns_spares_refill(&spares) < 0)
                        _exit(1);
                rc = spec_recv(sock, &r, &err);

                if (rc == 0)
                        _exit(0); /* the supervisor closed its end */
                if (rc < 0) {
                        struct spec_reply rep = {.magic = SPEC_MAGIC,
                                                 .req_id = r.hdr.req_id,
                                                 .errnum = err.errnum,
                                                 .stage = STAGE_NONE};

                        if (err.errnum == EBADF || err.errnum == ENOTSOCK)
                                _exit(1);
                        snprintf(rep.msg, sizeof rep.msg, "%s", err.msg);
                        send_reply(sock, &rep, -1);
                        continue;
                }
                handle(sock, parent_pidfd, &spares, &r);
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
