/* The client's end of the admin socket (admin.h): connect, send one request, read answers with
 * a time bound, so that a stopped supervisor is reported as unresponsive, never waited for. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin.h"

int admin_connect(struct adm_conn *c, const char *dir, const char *tree, struct cerr *err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};

        c->fd = -1;
        c->seq = 0;
        if (admin_socket_path(sa.sun_path, sizeof sa.sun_path, dir, tree) < 0)
                return cerr_set(err, ENAMETOOLONG, CERR_PATH, "%s/%s.sock: too long", dir, tree);
        c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
                return cerr_set(err, errno, CERR_OPEN, "socket");
        /* (connect on a unix socket does not block on a stopped listener: the backlog takes
         * it, and the answer is what times out) */
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                int e = errno;

                close(c->fd);
                c->fd = -1;
                return cerr_set(err, e, CERR_OPEN, "connecting to %s", sa.sun_path);
        }
        return 0;
}

void admin_disconnect(struct adm_conn *c)
{
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
}

int admin_send(struct adm_conn *c, const struct nlmsghdr *h, struct cerr *err)
{
        if (send(c->fd, h, h->nlmsg_len, MSG_NOSIGNAL) != (ssize_t)h->nlmsg_len)
                return cerr_set(err, errno ? errno : EIO, CERR_WRITE, "sending to the supervisor");
        return 0;
}

int admin_recv(struct adm_conn *c, char *buf, int timeout_ms, const struct nlmsghdr **h,
               const struct nlattr **tb, struct cerr *err)
{
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        ssize_t n;
        int r;

        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return cerr_set(err, errno, CERR_READ, "waiting for the supervisor");
        if (r == 0)
                return 0;
        n = recv(c->fd, buf, ADM_MSG_MAX, MSG_TRUNC);
        if (n < 0)
                return cerr_set(err, errno, CERR_READ, "reading from the supervisor");
        if (n == 0)
                return cerr_set(err, ECONNRESET, CERR_READ, "the supervisor closed the connection");
        if (n > ADM_MSG_MAX || admin_decode_answer((const struct nlmsghdr *)buf, (size_t)n, tb) < 0)
                return cerr_set(err, EPROTO, CERR_READ, "a malformed answer from the supervisor");
        *h = (const struct nlmsghdr *)buf;
        return 1;
}
