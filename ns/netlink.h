/* Network namespace setup through rtnetlink, as bubblewrap does it: one RTM_NEWLINK that sets
 * IFF_UP on the loopback device, with an ack whose error is checked (a raw socket, no
 * library: ns/netlink.c says why). */
#ifndef CORRAL_NS_NETLINK_H
#define CORRAL_NS_NETLINK_H

/* Bring interface `ifindex` up (1 is lo in a fresh network namespace). Returns 0, or -1
 * with errno (the kernel's answer when it refused). */
int net_link_up(int ifindex);

#endif
