/* corral.h: the one public header. An actor's side of its control channel to the corral
 * supervisor (DESIGN §8, PROTOCOL.md): the wire constants, and a small C API that opens the
 * channel from the environment, says HELLO, spawns and cancels children, asks for their
 * statistics and reads what the supervisor sends.
 *
 *   struct corral_ctl *c;
 *   if (corral_open(&c) < 0) ...                 (CORRAL_CTL_FD from the environment)
 *   corral_hello(c);                              (WELCOME arrives as an event)
 *   uint32_t req;
 *   corral_spawn(c, &(struct corral_spawn_req){.name = "w", .argv = argv}, &req);
 *   struct corral_msg m;
 *   while (corral_next(c, &m, -1) > 0) ...        (SPAWNED, CHILD_EXITED, CANCEL ...)
 *   corral_close(c);
 *
 * Every function returns 0 (or a count) on success and -1 with errno set on failure; nothing
 * here prints, allocates after corral_open, or keeps a pointer the caller gave it. The API
 * is not thread-safe: one thread per channel. Link with `pkg-config --libs corral`. */
#ifndef CORRAL_H
#define CORRAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CORRAL_PROTOCOL_VERSION 1

/* ---- the wire (PROTOCOL.md): one struct nlmsghdr per SOCK_SEQPACKET datagram ---- */

/* Message types (nlmsg_type). Below 0x10 are netlink's control types. */
enum corral_msg_type {
        CORRAL_MSG_HELLO = 0x10,        /* actor: version, capabilities */
        CORRAL_MSG_WELCOME = 0x11,      /* supervisor: actor id, name, tree */
        CORRAL_MSG_SPAWN = 0x12,        /* actor: name, profile, argv, env, fd names (+ fds) */
        CORRAL_MSG_SPAWNED = 0x13,      /* supervisor: child id (the child's execve succeeded) */
        CORRAL_MSG_ERROR = 0x14,        /* supervisor: stage, errno, text */
        CORRAL_MSG_CHILD_READY = 0x15,  /* supervisor: the child said HELLO */
        CORRAL_MSG_CANCEL_CHILD = 0x16, /* actor: child id, force */
        CORRAL_MSG_CHILD_EXITED = 0x17, /* supervisor: the child's whole subtree is gone */
        CORRAL_MSG_CANCEL = 0x18,       /* supervisor: time left */
        CORRAL_MSG_STAT = 0x19,         /* actor: child id */
        CORRAL_MSG_STATS = 0x1a,        /* supervisor: memory, pids, cpu */
        CORRAL_MSG_HOLD = 0x1b,         /* actor: defer escalation (a debugger is attached) */
        CORRAL_MSG_RELEASE = 0x1c,      /* actor: end the hold */
};

/* Attributes (nlattr type). Integers in host byte order; strings NUL-terminated; lists are
 * one nested attribute (NLA_F_NESTED) holding one CORRAL_A_STRING per entry. */
enum corral_attr {
        CORRAL_A_UNSPEC,
        CORRAL_A_VERSION,      /* u32 */
        CORRAL_A_CAPS,         /* u32, bits; none defined yet */
        CORRAL_A_ACTOR_ID,     /* u32 */
        CORRAL_A_NAME,         /* string */
        CORRAL_A_TREE,         /* string */
        CORRAL_A_PROFILE,      /* string */
        CORRAL_A_ARGV,         /* nested: strings */
        CORRAL_A_ENV,          /* nested: strings, KEY=VALUE */
        CORRAL_A_FD_NAMES,     /* nested: strings, one per fd passed with the message */
        CORRAL_A_CHILD_ID,     /* u32 */
        CORRAL_A_FORCE,        /* u8: 1 = straight to the kill stage */
        CORRAL_A_STAGE,        /* string: where a spawn failed, or the cascade stage */
        CORRAL_A_ERRNO,        /* u32 */
        CORRAL_A_TEXT,         /* string */
        CORRAL_A_REASON,       /* string, one word: exited signaled oom-killed seccomp ... */
        CORRAL_A_EXIT_CODE,    /* u32: corral run's convention (128+N for signal N) */
        CORRAL_A_SIGNAL,       /* u32: the signal that ended it, 0 when none */
        CORRAL_A_DURATION_US,  /* u64 */
        CORRAL_A_TIME_LEFT_US, /* u64 */
        CORRAL_A_MEMORY,       /* u64 bytes */
        CORRAL_A_PIDS,         /* u64 */
        CORRAL_A_CPU_US,       /* u64 */
        CORRAL_A_STRING,       /* string: an entry of a nested list */
        CORRAL_A_MAX = CORRAL_A_STRING,
};

/* Stated limits: a request past one gets an ERROR naming it (E2BIG, EMFILE ...). */
#define CORRAL_MSG_MAX     (128 * 1024) /* one datagram (the socket buffer is larger) */
#define CORRAL_STRINGS_MAX 4096         /* argv + env + fd-name entries per SPAWN */
#define CORRAL_FDS_MAX     64           /* fds per SPAWN */
#define CORRAL_NAME_MAX    64           /* [A-Za-z0-9_.-] */
#define CORRAL_STRIKES_MAX 16           /* malformed messages before the channel closes */
#define CORRAL_TURN_MSGS   16           /* messages read per actor per supervisor turn */

/* ---- the API ---- */

struct corral_ctl;

/* Open the channel named by CORRAL_CTL_FD, and take it: the fd becomes CLOEXEC and the
 * variable is removed from the environment (like sd_listen_fds(1)), so that programs the
 * actor execs do not inherit its authority. ENOENT when there is none. */
int corral_open(struct corral_ctl **out);
/* The same with a given fd (a test's own socketpair). */
int corral_open_fd(struct corral_ctl **out, int fd);
void corral_close(struct corral_ctl *c);
/* For the caller's poll loop: readable when corral_next() has something. */
int corral_fd(const struct corral_ctl *c);

int corral_hello(struct corral_ctl *c);

struct corral_spawn_req {
        const char *name;        /* the child's name */
        const char *profile;     /* NULL: the parent's own profile */
        const char *const *argv; /* NULL-terminated */
        const char *const *env;  /* NULL or NULL-terminated KEY=VALUE, added to the profile's */
        const int *fds;          /* passed to the child, renumbered from 3 (LISTEN_FDS) */
        const char *const *fd_names;
        int nfds;
};
/* Sends SPAWN; *req_id is echoed in its SPAWNED or ERROR. */
int corral_spawn(struct corral_ctl *c, const struct corral_spawn_req *r, uint32_t *req_id);
int corral_cancel_child(struct corral_ctl *c, uint32_t child, bool force);
int corral_stat(struct corral_ctl *c, uint32_t child, uint32_t *req_id);
int corral_hold(struct corral_ctl *c);
int corral_release(struct corral_ctl *c);

/* One message from the supervisor, decoded. Strings point into the channel's buffer and live
 * until the next call. Absent attributes: has_* false, strings NULL. */
struct corral_msg {
        enum corral_msg_type type;
        uint32_t seq; /* the request id it answers, 0 when unsolicited */
        uint32_t actor_id, child_id;
        const char *name, *tree, *stage, *text, *reason;
        uint32_t errnum, exit_code, signal;
        uint64_t duration_us, time_left_us;
        bool has_memory, has_pids, has_cpu;
        uint64_t memory, pids, cpu_us;
};
/* Waits up to timeout_ms (-1: no bound) for a message. Returns 1 with *m filled, 0 on
 * timeout, -1 on error (EPIPE: the supervisor closed the channel; EBADMSG: a message that
 * does not decode). */
int corral_next(struct corral_ctl *c, struct corral_msg *m, int timeout_ms);

/* A message type's name ("SPAWNED"), NULL for an unknown one. */
const char *corral_msg_name(uint32_t type);

#ifdef __cplusplus
}
#endif

#endif
