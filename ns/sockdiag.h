/* Sockets as the kernel's sock_diag netlink family lists them (sock_diag(7)): TCP and UDP over
 * IPv4 and IPv6 (inet_diag), and Unix sockets (unix_diag, with their bound path from
 * UNIX_DIAG_NAME and their peer's inode). `corral sockets` joins these by inode with the
 * socket fds of a tree's processes (/proc/PID/fd).
 *
 * sock_diag answers for one network namespace only: the one the netlink socket was created in.
 * So a dump of another namespace creates its socket there: setns(2) into the namespace, open
 * the netlink socket, setns back at once (a socket keeps the namespace it was made in; the
 * caller must be single-threaded or accept that the calling thread moves for that instant).
 * Needs CAP_SYS_ADMIN for the setns. */
#ifndef CORRAL_NS_SOCKDIAG_H
#define CORRAL_NS_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum sockdiag_proto { SD_TCP, SD_UDP, SD_UNIX };

struct sockdiag_sock {
        uint32_t ino; /* the socket's inode: /proc/PID/fd/N -> socket:[ino] */
        enum sockdiag_proto proto;
        int family;        /* AF_INET, AF_INET6, AF_UNIX */
        int type;          /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET (unix) */
        int state;         /* TCP_* as in include/net/tcp_states.h (unix uses the same) */
        char local[64];    /* "127.0.0.1:8080", "[::1]:53" (inet) */
        char remote[64];   /* "*:*" when unconnected */
        char path[112];    /* unix: the bound path, "@name" when abstract, "" unbound */
        uint32_t peer_ino; /* unix: the peer's inode, 0 when none */
};

/* "LISTEN", "ESTAB", "UNCONN", ... (the names ss(8) uses). */
const char *sockdiag_state_name(int state);
/* "tcp", "tcp6", "udp", "udp6", "u_str", "u_dgr", "u_seq". */
const char *sockdiag_proto_name(const struct sockdiag_sock *s);

/* The kernel module that lists them ("tcp_diag", "udp_diag", "unix_diag"). */
const char *sockdiag_module(enum sockdiag_proto p);
/* Every TCP, UDP and Unix socket of the network namespace netns_fd (an open /proc/PID/ns/net;
 * -1: our own). *out is malloc'd (free it), *n its length. A kind the kernel cannot list (its
 * diag module is not loaded and cannot be) adds 1 << proto to *missing. */
int sockdiag_dump(int netns_fd, struct sockdiag_sock **out, size_t *n, unsigned *missing,
                  struct cerr *err);

#endif
