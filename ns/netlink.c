#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <time.h>
#include <unistd.h>

int net_link_up(int ifindex)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct mnl_socket *nl;
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifm;
        unsigned int seq = (unsigned int)time(NULL), portid;
        ssize_t n;
        int rc = -1, e = 0;

        nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!nl)
                return -1;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
                goto out;
        portid = mnl_socket_get_portid(nl);
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_NEWLINK;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        nlh->nlmsg_seq = seq;
        ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
        ifm->ifi_family = AF_UNSPEC;
        ifm->ifi_index = ifindex;
        ifm->ifi_flags = IFF_UP;
        ifm->ifi_change = IFF_UP;
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                goto out;
        n = mnl_socket_recvfrom(nl, buf, sizeof buf);
        if (n < 0)
                goto out;
        /* the ack: an NLMSG_ERROR with error 0, or the kernel's errno */
        if (mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0)
                goto out;
        rc = 0;
out:
        e = errno;
        mnl_socket_close(nl);
        errno = e;
        return rc;
}
