#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "netlink.h"

/* thread-self: the namespace is the calling thread's (a consumer of the supervisor library
 * may have others, which stay where they are) */
#define OWN_NETNS "/proc/thread-self/ns/net"

int netns_enter(int fd, int *saved)
{
        *saved = open(OWN_NETNS, O_RDONLY | O_CLOEXEC);
        if (*saved < 0)
                return -1;
        if (setns(fd, CLONE_NEWNET) < 0) {
                int e = errno;

                close(*saved);
                *saved = -1;
                errno = e;
                return -1;
        }
        return 0;
}

int netns_leave(int *saved)
{
        int rc = setns(*saved, CLONE_NEWNET);
        int e = errno;

        close(*saved);
        *saved = -1;
        errno = e;
        return rc;
}

int netns_create_loopback(int *fd, struct cerr *err)
{
        int saved = open(OWN_NETNS, O_RDONLY | O_CLOEXEC);
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
        } else if ((*fd = open(OWN_NETNS, O_RDONLY | O_CLOEXEC)) < 0) {
                e = errno;
                what = "opening the new network namespace";
        }
        if (netns_leave(&saved) < 0) {
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
