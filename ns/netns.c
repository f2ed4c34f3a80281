#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "netlink.h"

/* thread-self: the namespace is the calling thread's (a consumer of the supervisor library
 * may have others, which stay where they are) */
int ns_open_own(int nstype)
{
        const char *path = nstype == CLONE_NEWNET   ? "/proc/thread-self/ns/net"
                           : nstype == CLONE_NEWIPC ? "/proc/thread-self/ns/ipc"
                                                    : NULL;

        if (!path) {
                errno = EINVAL;
                return -1;
        }
        return open(path, O_RDONLY | O_CLOEXEC);
}

int ns_enter(int fd, int nstype, int *saved)
{
        *saved = ns_open_own(nstype);
        if (*saved < 0)
                return -1;
        if (setns(fd, nstype) < 0) {
                int e = errno;

                close(*saved);
                *saved = -1;
                errno = e;
                return -1;
        }
        return 0;
}

int ns_leave(int *saved, int nstype)
{
        int rc = setns(*saved, nstype);
        int e = errno;

        close(*saved);
        *saved = -1;
        errno = e;
        return rc;
}

int netns_create_loopback(int *fd, struct cerr *err)
{
        int saved = ns_open_own(CLONE_NEWNET);
        const char *what = NULL;
        int e = 0;

        *fd = -1;
        if (saved < 0)
                return cerr_set(err, errno, CERR_SETUP, "opening our network namespace");
        if (unshare(CLONE_NEWNET) < 0) {
                e = errno;
                close(saved);
                return cerr_set(err, e, CERR_SETUP, "creating a network namespace");
        }
        /* lo is down in a new namespace; up, 127.0.0.1 answers (bubblewrap's netlink request) */
        if (net_link_up(1) < 0) {
                e = errno;
                what = "bringing lo up in a new network namespace";
        } else if ((*fd = ns_open_own(CLONE_NEWNET)) < 0) {
                e = errno;
                what = "opening the new network namespace";
        }
        if (ns_leave(&saved, CLONE_NEWNET) < 0) {
                /* still inside: the caller must not go on as if it were in its own */
                int back = errno;

                if (*fd >= 0)
                        close(*fd);
                *fd = -1;
                return cerr_set(err, back, CERR_SETUP,
                                "returning to our network namespace after creating one");
        }
        if (what)
                return cerr_set(err, e, CERR_SETUP, "%s", what);
        return 0;
}
