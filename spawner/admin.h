/* The admin socket (DESIGN §10, PROTOCOL.md "The admin socket"): how `corral ps`, `tree`,
 * `kill` and `stat` reach a live supervisor from another shell. Each supervisor listens on
 * /run/corral/<tree>.sock (SOCK_SEQPACKET, mode 0600) and answers a peer only when
 * SO_PEERCRED says root or the tree's owner, and the peer's cgroup lies outside every corral
 * tree: an actor that can reach the socket (a bind mount, an fd passed in) must not gain
 * authority over its own tree, which its control channel deliberately limits to its children.
 *
 * Framing is the control channel's: one nlmsghdr per datagram, netlink attributes, validated
 * with libmnl. The attribute numbers are the control protocol's where the meaning is the same
 * (corral.h), and new ones from 32 up.
 *
 * This header holds the wire (both ends use it), the supervisor's side (admin.c, called by the
 * engine) and the client's side (admin_client.c, called by tools/). */
#ifndef CORRAL_SPAWNER_ADMIN_H
#define CORRAL_SPAWNER_ADMIN_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../ns/err.h"
#include "corral.h"

enum {
        ADM_MSG_LIST = 0x40,   /* client: the tree and every actor */
        ADM_MSG_CANCEL = 0x41, /* client: ACTOR_ID? (absent or 0: the tree), GRACE_US? */
        ADM_MSG_SIGNAL = 0x42, /* client: ACTOR_ID, SIGNAL */
        ADM_MSG_TREE = 0x48,   /* supervisor: the first answer to LIST */
        ADM_MSG_ACTOR = 0x49,  /* supervisor: one actor (LIST) */
        ADM_MSG_STAGE = 0x4a,  /* supervisor: a cascade of the cancelled subtree entered a stage */
        ADM_MSG_ENDED = 0x4b,  /* supervisor: an actor of the cancelled subtree ended */
        ADM_MSG_DONE = 0x4c,   /* supervisor: the last answer to any request */
        ADM_MSG_ERROR = CORRAL_MSG_ERROR,
};

enum {
        ADM_A_PARENT_ID = 32, /* u32, 0: top level */
        ADM_A_STATE,          /* string: starting running cancelling exited spawn-failed */
        ADM_A_PID,            /* u32: the shim (ACTOR), the supervisor (TREE) */
        ADM_A_NODE,           /* string: the v2 node */
        ADM_A_UPTIME_US,      /* u64: since the actor started (the tree: since it opened) */
        ADM_A_HOLDS,          /* u8: 1 while it holds (HOLD without RELEASE) */
        ADM_A_GRACE_US,       /* u64: every stage of the cancel at most this long */
        ADM_A_NACTORS,        /* u32 */
        ADM_A_FROZEN,         /* u8 */
        ADM_A_MAX = ADM_A_FROZEN,
};

#define ADM_MSG_MAX      4096 /* a request or an answer: one datagram, at most this */
#define ADM_CONN_MAX     16   /* connections at once; more are refused */
#define ADM_STRIKES_MAX  4    /* malformed requests before the connection closes */
#define ADM_GRACE_MIN_US 1000 /* --grace below this is refused */

/* Decode one request (what a client sends): 0 with tb[] filled, -1 when malformed (a type that
 * is not a request, an attribute unknown to it, repeated, of the wrong size, a truncated
 * datagram). Pure: the fuzz target calls it. */
int admin_decode_request(const struct nlmsghdr *h, size_t n, const struct nlattr **tb);
/* The same for an answer (what the supervisor sends; the client ignores unknown attributes). */
int admin_decode_answer(const struct nlmsghdr *h, size_t n, const struct nlattr **tb);

/* <dir>/<tree>.sock */
int admin_socket_path(char *out, size_t len, const char *dir, const char *tree);

/* Is path (a v2 cgroup, as /proc/PID/cgroup names it, below the v2 mount mnt) inside a tree of
 * corral's? Walks up from it looking for corral's tag. */
bool admin_cgroup_in_tree(const char *mnt, const char *cgpath);

/* ---- the client's side (tools/) ---- */

struct adm_conn {
        int fd;
        uint32_t seq;
};

/* Connect to dir/<tree>.sock; the first answer must come within timeout_ms each time. */
int admin_connect(struct adm_conn *c, const char *dir, const char *tree, struct cerr *err);
void admin_disconnect(struct adm_conn *c);
int admin_send(struct adm_conn *c, const struct nlmsghdr *h, struct cerr *err);
/* The next answer into buf (ADM_MSG_MAX bytes): 1 with h and tb set, 0 on timeout, -1 on error
 * (EPROTO for a malformed answer, ECONNRESET when the supervisor closed). */
int admin_recv(struct adm_conn *c, char *buf, int timeout_ms, const struct nlmsghdr **h,
               const struct nlattr **tb, struct cerr *err);

#endif
