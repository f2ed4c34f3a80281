/* Internals of the supervisor engine (supervisor.h is its API), shared by its files:
 *
 *   engine.c    open, close, dispatch, the zygote's socket, the handlers of each fd
 *   (open.c     opening: process setup, host, the zygote unless on demand, the tree's node)
 *   actors.c    the actor table: ids, the tree's links, states, nodes, exit reasons
 *   spawn.c     one spawn request: the program, environment, stdio, credentials, limits;
 *               handed to the zygote, or cloned here (the first, with zygote_on_demand:
 *               shim_clone.c, the zygote's own clone code)
 *   spawn_limits.c  its limits: v2 controllers enabled above its node, v1 groups nested
 *   teardown.c  cascades applied: signals to shims, cgroup.kill, stuck, removal of nodes
 *   events.c    event records to the sink, the output queues
 *   cascade.c   the cascade's transitions (pure; cascade.h)
 *   ctl.c       what actors send on their control channels (SPAWN goes back to the engine)
 *   ctl_send.c  the channels' supervisor ends, and what the supervisor sends on them
 *   admin.c     the admin socket (admin.h): `corral ps`, `kill` and `stat` from another shell
 *
 * Calls go one way: engine -> ctl -> teardown -> actors -> ctl_send -> events,
 * engine -> spawn -> ctl_send, engine -> admin -> teardown. events.c reaches admin.c only
 * through s->admin_tap (the admin connections that follow a cancel hear its events). */
#ifndef CORRAL_SPAWNER_SUP_H
#define CORRAL_SPAWNER_SUP_H

#include <linux/netlink.h>
#include <stdint.h>

#include "../ns/cgroup_delegation.h"
#include "../ns/cgroup_mounts.h"
#include "../ns/cgroup.h"
#include "../policy/seccomp_policy.h"
#include "cascade.h"
#include "corral.h"
#include "output.h"
#include "registry.h"
#include "supervisor.h"
#include "zygote.h"

enum watch_kind {
        W_ZYGOTE,     /* replies on the zygote's socket (and, when it was full, room) */
        W_ZYGOTE_PID, /* the zygote died */
        W_CHILD,      /* SIGCHLD: a shim may have stopped */
        W_TIMER,      /* the earliest cascade deadline, or RuntimeMaxSec= expiry */
        W_NODE,       /* cgroup.events of a cancelling subtree's node */
        W_PIDFD,      /* an actor's shim exited */
        W_EXEC,       /* an actor's exec pipe: an error record, or EOF once execve succeeded */
        W_REPORT,     /* an actor's report pipe: the program's wait status */
        W_OUT,        /* an actor's stdout pipe (`log`) */
        W_ERR,        /* an actor's stderr pipe (`log`) */
        W_OUTQ,       /* an output queue's fd can take more */
        W_CTL,        /* an actor's control channel (ctl.c) */
        W_ADMIN,      /* the admin socket: a connection (admin.c) */
        W_ADMIN_CONN, /* an admin connection: a request, or its peer gone */
};

struct watch {
        enum watch_kind kind;
        void *p; /* the actor, cascade or queue */
};

enum actor_state {
        AS_STARTING,
        AS_RUNNING,
        AS_CANCELLING,
        AS_EXITED,
        AS_SPAWN_FAILED,
};

/* What a STARTING actor still waits for before it is RUNNING. */
enum { WAIT_REPLY = 1u << 0, WAIT_EXEC = 1u << 1 };

/* A profile of the tree's, with its seccomp filter (compiled at open). */
struct sup_profile {
        struct profile p;
        struct sock_fprog bpf;
        bool compiled;
        /* the first profile of the tree whose program is the same, byte for byte (itself when
         * none before it is): a chain holds each program once, by this */
        const struct sup_profile *same_bpf;
        bool blocks_stacking; /* its filter refuses seccomp(2): only the last one to load */
};

struct queued_req; /* a spawn request the zygote's socket could not take yet */
struct ctl_out;    /* a message waiting for an actor to read its channel */

/* Room for a small supervisor message: header and a few attributes. */
#define CTL_SMALL_MSG 512

struct actor {
        uint32_t id;
        uint32_t req_id;
        char *name;
        struct actor *parent, *first_child, *next_sibling;
        int depth; /* 0: top level */
        enum actor_state state;
        unsigned waiting; /* WAIT_* while STARTING */
        bool ends_tree;   /* CORRAL_SPAWN_ENDS_TREE */
        bool dead;        /* the shim is gone (or was never there) */
        bool ended;       /* the exit was processed and reported */
        bool fallback;    /* clone() + cgroup.procs */
        uint8_t spare_ns; /* born in namespaces made ahead (CORRAL_SPARE_*) */
        bool have_report; /* the shim reported the program's status */
        bool oom_killed;
        bool node_removed;     /* its node and v1 groups are gone */
        bool made_node;        /* we created its node (cg_node_create): removed by its path */
        bool made_leaf;        /* and its self/ leaf */
        bool in_flight;        /* sent (or queued) to the zygote, no reply yet */
        uint64_t pending_sigs; /* corral_sup_signal() before the shim was there (bit = signo) */
        /* its control channel (ctl.c, ctl_send.c) */
        int ctl_fd;                 /* our end, -1 once closed */
        unsigned long ctl_peer_ino; /* the actor's end: never passed on to a child */
        struct watch w_ctl;
        struct ctl_out *ctl_q, *ctl_q_tail; /* what it has not read yet */
        int ctl_qn, ctl_strikes;
        bool said_hello;
        bool holds;           /* it sent HOLD (and no RELEASE yet): its cascades wait */
        bool asked_by_parent; /* cancelled at its parent's word (CANCEL_CHILD, OnChildFailure=
                               * cancel-siblings): its end is no failure of the parent's */
        bool excused;         /* cancelled by OnChildFailure=cancel-parent: no failure either */
        bool sup_killed;      /* SIGKILLed by the supervisor as it landed in a cascade */
        bool timed_out;       /* its RuntimeMaxSec= expired: its cascade was started for it */
        int64_t runtime_deadline_us; /* t_started + RuntimeMaxSec= (0: none) */
        uint32_t spawn_seq; /* the parent's SPAWN request id (0: not spawned over a channel) */
        bool told_spawned;  /* its parent got SPAWNED (or the ERROR) */
        bool told_exited;   /* its parent got CHILD_EXITED */
        const struct sup_profile *prof;
        /* the seccomp filters it runs under (spawn.c: stack_plan): its parent's chain, then its
         * own program unless the chain has it already; each entry a same_bpf profile */
        const struct sup_profile **chain;
        uint32_t nchain;
        uint32_t chain_insns; /* as the kernel counts them (seccomp_chain_insns) */
        bool chain_stacked;   /* it holds an ancestor's program besides its own */
        char *node;           /* its v2 node: <parent's node>/<name>-<id> */
        char *leaf;           /* <node>/self */
        int node_fd;          /* the node, open: cgroup.kill, memory.events */
        int v1_fd[CG_NCTRL];  /* its v1 groups, open until it ends (-1: none, or closed) */
        unsigned v1_made;     /* the controllers it has a v1 group of (bit = enum cg_ctrl) */
        pid_t pid;            /* the shim, in our namespace */
        int pidfd, exec_rd, report_rd;
        int pty_sock, pty_master; /* CORRAL_SPAWN_PTY: where the master comes, and the master */
        struct drain *out, *err;  /* only in `log` mode */
        struct watch w_pidfd, w_exec, w_report, w_out, w_err;
        struct queued_req *queued;
        struct actor *next_in_flight;
        int fail_stage, fail_errno;
        char fail_msg[48];
        char *exec_desc;      /* "PROGRAM as USER", said when execve fails */
        int wstatus;          /* the program's (from the shim's report) */
        int shim_status;      /* the shim's own */
        enum cstage ended_in; /* the cascade stage during which it ended */
        int64_t t_request, t_sent, t_replied, t_started, t_exited, t_removed;
        char reason[160];
};

/* A cascade as the supervisor holds it: its subtree and its node. */
struct ccasc {
        struct cascade c;
        struct actor *root; /* NULL: the whole tree */
        struct ccasc *outer;
        int events_fd; /* the node's cgroup.events (for the tree: the supervisor's own fd) */
        struct watch w_events;
        struct ccasc *next;
};

/* An output fd's queue, with its watch for "can take more". */
struct sup_outq {
        struct outq q;
        struct watch w;
        bool watching;
        bool blocked; /* at CORRAL_OUTQ_DATA_MAX: drains that wait do not read */
        bool gone;    /* its reader is gone: the drains into it are closed */
        bool said_failed;
};

struct admin_conn; /* admin.c */

struct corral_sup {
        struct corral_sup_options opt; /* strings and profiles not owned: see the copies */
        struct sup_profile *profiles;
        size_t nprofiles;
        struct cg_mounts host;
        struct cg_delegation deleg;
        struct zygote zy;
        struct watch w_zygote, w_zygote_pid, w_child, w_timer, w_tree;
        struct sup_outq out, errq;
        uint64_t events_lost;
        struct registry reg;
        struct cg_node base, tree_node;
        /* On the heap, sized or made when used: PATH_MAX arrays here made this struct 56 KiB,
         * zeroed (every page faulted in) at each open, for paths of a few dozen bytes. */
        char *v1_tree[CG_NCTRL];                /* <v1 own>/corral/<tree>.<id>, NULL when not v1 */
        struct cg_node *v1_tree_node[CG_NCTRL]; /* that group, once a profile limited it */
        struct rlimit caller_nofile;            /* restored for programs after we raise ours */
        /* the actor table: ids from 1, never reused */
        struct actor **by_id;
        struct actor *top; /* the first top-level actor; siblings follow */
        struct actor *in_flight_head, *in_flight_tail;
        struct queued_req *queue_head, *queue_tail;
        struct ccasc *cascades;
        struct ccasc *tree_casc; /* the cascade on the whole tree, once requested */
        int64_t timer_armed_us;  /* what the timer is set to (0: disarmed) */
        int64_t frozen_since_us; /* the user froze the tree (job control): no deadline runs */
        int64_t t0_us, t_empty, t_removed;
        uint32_t nactors, cap_actors;
        uint32_t next_req;
        int n_in_flight;
        int epfd, cfd, tfd; /* epoll, SIGCHLD signalfd, the cascade timer */
        int tree_events_fd;
        int tree_netns_fd; /* PrivateNetwork=tree: the tree's network namespace, made at the
                            * first spawn that asks for it (-1: none yet) */
        int cap_last;      /* /proc/sys/kernel/cap_last_cap */
        char tree[PROFILE_NAME_MAX + 1];
        char tree_node_name[PROFILE_NAME_MAX + 16]; /* "<tree>.<random id>" */
        bool zygote_writable_wait;                  /* watching the zygote's socket for room too */
        bool paused;                                /* the event queue is too full: no spawn */
        bool tree_created;
        bool cloned_here;  /* zygote_on_demand: the first shim was cloned by us; the rest by it */
        bool late_pending; /* late_housekeeping: the sweep and the admin socket are still due */
        bool said_v1;      /* the hybrid-host event was logged */
        bool runtime_limited; /* a profile of the tree sets RuntimeMaxSec= */
        bool done, stuck;
        bool quiet; /* done, and only the output queues are watched */
        /* the admin socket (admin.c) */
        int admin_fd;
        struct watch w_admin;
        struct admin_conn *admins;
        int nadmins;
        char *admin_path; /* NULL until it listens */
        void (*admin_tap)(struct corral_sup *s, const struct corral_event *e);
        bool force_killed; /* its tree's node vanished under it: `corral kill --force` */
};

/* ---- events.c ---- */
/* A record with the tree and (when a is not NULL) the actor filled in, and the time. */
void ev_init(struct corral_sup *s, struct corral_event *e, enum corral_ev_type type,
             const struct actor *a);
void ev_emit(struct corral_sup *s, struct corral_event *e);
void ev_error(struct corral_sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The output queues: open on the caller's fds, flushed when writable, closed at the end. */
void outqs_open(struct corral_sup *s);
void outq_on_writable(struct corral_sup *s, struct sup_outq *q);
void outqs_update(struct corral_sup *s); /* watches, drains, the paused state, events-lost */
/* How an actor's `log` output is read now, the watch on its pipes to match (outqs_update
 * calls it when a queue changes; call it when the actor's state does), and its drops as
 * output-dropped events. */
enum drain_mode output_mode(const struct actor *a);
void output_watch(struct corral_sup *s, struct actor *a);
void output_report_drops(struct corral_sup *s, struct actor *a);
int outqs_flush(struct corral_sup *s, int timeout_ms);
void outqs_close(struct corral_sup *s);

/* ---- ctl_send.c: the control channel's life and what the supervisor sends ---- */
int ctl_open(struct corral_sup *s, struct actor *a, int *actor_end, struct cerr *err);
void ctl_close(struct corral_sup *s, struct actor *a, const char *why); /* why: an event */
void ctl_flush(struct corral_sup *s, struct actor *a); /* the channel can take more */
struct nlmsghdr *ctl_msg(char *buf, uint16_t type, uint32_t seq);
void ctl_send(struct corral_sup *s, struct actor *a, const struct nlmsghdr *h);
void ctl_send_error(struct corral_sup *s, struct actor *a, uint32_t seq, const char *stage,
                    int errnum, const char *text);
/* What a parent is told: its SPAWN became this child (seq); the child's execve succeeded
 * (SPAWNED); it said HELLO (CHILD_READY); it failed to spawn (ERROR); its subtree is gone
 * (CHILD_EXITED). Each at most once, and never CHILD_EXITED before SPAWNED. */
void ctl_child_requested(struct corral_sup *s, struct actor *child, uint32_t seq);
void ctl_child_spawned(struct corral_sup *s, struct actor *child);
void ctl_child_hello(struct corral_sup *s, struct actor *child);
void ctl_child_failed(struct corral_sup *s, struct actor *child);
void ctl_child_exited(struct corral_sup *s, struct actor *child, int exit_code);
/* Its cascade is stuck (processes survive the kill; its nodes stay): the parent hears it as
 * CHILD_EXITED with reason `stuck` and the pids, rather than never. */
void ctl_child_stuck(struct corral_sup *s, struct actor *child, int exit_code, const char *pids);
/* Stage 1 of a cascade: CANCEL, with the time left before it escalates. */
void ctl_cancel(struct corral_sup *s, struct actor *a, uint64_t time_left_us);

/* ---- ctl.c: what the supervisor reads on a control channel ---- */
struct ctl_spawn {
        uint32_t seq;
        const char *name, *profile; /* point into msg */
        const char *argv[CORRAL_STRINGS_MAX + 1];
        const char *env[CORRAL_STRINGS_MAX + 1];
        const char *fd_names[CORRAL_FDS_MAX + 1];
        int argc, envc, nnames;
        struct sup_fd pass[CORRAL_FDS_MAX]; /* the engine's to close */
        int npass;
        char msg[CORRAL_MSG_MAX];
};
/* Decode and validate one message (the attributes' types and lengths, the lists' entries):
 * 0 with tb[] filled, -1 when malformed. Pure: the fuzz target calls it. */
int ctl_decode(const struct nlmsghdr *h, size_t n, const struct nlattr **tb);
/* Reads up to *budget messages and answers what it can; returns 1 with a SPAWN that passed
 * its checks in *sp (the engine spawns it and closes its fds), 0 when done for this turn. */
int ctl_read(struct corral_sup *s, struct actor *a, int *budget, struct ctl_spawn *sp);

/* ---- admin.c: the admin socket ---- */
/* Listen on <registry dir>/<tree>.sock (the registry's name is claimed, so a file there is a
 * dead supervisor's). */
int admin_open(struct corral_sup *s, struct cerr *err);
void admin_on_listen(struct corral_sup *s);
void admin_on_conn(struct corral_sup *s, struct admin_conn *c, uint32_t events);
/* After each turn: cancels whose subtree is gone are answered DONE. */
void admin_progress(struct corral_sup *s);
/* Every connection answered (a cancel still waiting: DONE) and closed, the socket unlinked. */
void admin_close(struct corral_sup *s);

/* ---- housekeeping.c: the orphan sweep (each orphan an event); late_housekeeping's sweep and
 * admin socket, once ---- */
int sup_sweep_orphans(struct corral_sup *s, struct cerr *err);
void sup_late_open(struct corral_sup *s);

/* ---- actors.c ---- */
int sup_watch(struct corral_sup *s, int fd, uint32_t events, struct watch *w, enum watch_kind kind,
              void *p);
void sup_unwatch(struct corral_sup *s, int fd);
struct actor *actor_new(struct corral_sup *s, struct actor *parent, const char *name,
                        const struct sup_profile *prof, struct cerr *err);
struct actor *actor_get(const struct corral_sup *s, uint32_t id);
void actor_free(struct corral_sup *s, struct actor *a);
bool actor_live(const struct actor *a);
/* Visit a and everything below it (parents before children). */
void actor_walk(struct actor *a, void (*fn)(struct actor *, void *), void *ctx);
/* Every actor of the tree (top-level ones and their subtrees). */
void actors_walk(struct corral_sup *s, void (*fn)(struct actor *, void *), void *ctx);
void actor_close_fds(struct corral_sup *s, struct actor *a);
/* Drain what is left of its output (all writers gone) and report what was dropped. */
void actor_finish_output(struct corral_sup *s, struct actor *a);
/* Its node, self/ and v1 groups, removed (they must be empty). */
int actor_remove_node(struct corral_sup *s, struct actor *a, struct cerr *err);
/* Every node of the tree that is left, by its known path, leaf first, then the tree's own. */
int actors_remove_tree_nodes(struct corral_sup *s, struct cerr *err);
/* The shim is gone: reap it, read what it left in the pipes, decide the reason, report. */
void actor_ended(struct corral_sup *s, struct actor *a, enum cstage stage);
void actor_spawn_failed(struct corral_sup *s, struct actor *a, int stage, int e, const char *label);
int actor_exit_code(const struct actor *a);
void actor_on_exec(struct corral_sup *s, struct actor *a);
/* Output or a control message came: the program runs; while its exec pipe is still open,
 * `started` is said first. */
void actor_on_output_first(struct corral_sup *s, struct actor *a);
void actor_on_report(struct corral_sup *s, struct actor *a);
void actor_emit_started(struct corral_sup *s, struct actor *a);
/* What its node uses now (an absent value: not available on this host). */
struct actor_stats {
        bool has_memory, has_pids, has_cpu;
        uint64_t memory, pids, cpu_us;
};
void actor_read_stats(const struct corral_sup *s, const struct actor *a, struct actor_stats *st);
/* corral_sup_signal() on an actor (NULL: ESRCH). */
int actor_signal(struct corral_sup *s, struct actor *a, int sig);

/* ---- spawn.c ---- */
/* A spawn the supervisor cloned itself: what the zygote's reply would have said. */
struct spawn_here {
        bool cloned; /* rep and pidfd are set: the engine takes them as the zygote's reply */
        struct spec_reply rep;
        int pidfd;
};
/* Build the actor's request (nodes, limits, pipes, stdio, credentials) and hand it to the
 * zygote (or its queue), forking the zygote first when it is not running yet; or, for the
 * first spawn with zygote_on_demand, clone it here (*here). A program that cannot be found
 * fails the actor, not the call. */
int spawn_actor(struct corral_sup *s, struct actor *a, const struct corral_spawn *req,
                struct spawn_here *here, struct cerr *err);
/* The zygote's socket and pidfd into the epoll set (once it is forked). */
int spawn_watch_zygote(struct corral_sup *s, struct cerr *err);
/* Send queued requests while the zygote's socket takes them. */
void spawn_send_queued(struct corral_sup *s);
/* The zygote is gone: requests not answered will never be. */
void spawn_drop_queue(struct corral_sup *s);
const struct sup_profile *spawn_profile(struct corral_sup *s, const char *name);

/* ---- spawn_limits.c ---- */
/* The profile's limits for actor a (ns/cgroup_limits.h): v2 files on its node, a controller
 * enabled on each level above it (the base, the tree's node, every ancestor actor's node); a
 * v1 group nested in its parent's, placed by the zygote (leaf_fd: the actor's self/). */
int spawn_apply_limits(struct corral_sup *s, struct actor *a, int leaf_fd, struct spec_builder *b,
                       struct cerr *err);

/* ---- env.c: the program's environment into the request ---- */
struct identity;
int spawn_build_env(struct corral_sup *s, struct actor *a, const struct corral_spawn *req,
                    const struct identity *id, struct spec_builder *b, uint32_t *envc,
                    struct cerr *err);

/* ---- paths.c: ReadWritePaths=, BindPaths=, BindReadOnlyPaths= as detached mounts ---- */
int spawn_add_paths(const struct actor *a, struct spec_builder *b, int fds[SPEC_MAX_RW],
                    struct cerr *err);

/* ---- teardown.c ---- */
/* Start (or merge into, or escalate) the cascade on root's subtree (NULL: the whole tree). */
int teardown_request(struct corral_sup *s, struct actor *root, enum cascade_mode how,
                     const char *why);
/* The same, each stage of a cascade it starts at most grace_us (0: the profile's timeouts;
 * `corral kill --grace`). A cascade already running keeps its own. */
int teardown_request_grace(struct corral_sup *s, struct actor *root, enum cascade_mode how,
                           const char *why, uint64_t grace_us);
/* After anything happened: every cascade looks at its subtree again. */
void teardown_progress(struct corral_sup *s);
void teardown_on_timer(struct corral_sup *s);
/* The tree frozen by its user (0: thawed again): deadlines stop, and move on by the time it
 * spent frozen. */
void teardown_frozen(struct corral_sup *s, bool frozen);
/* corral_sup_freeze(): the tree's cgroup.freeze, then teardown_frozen() and an event. */
int teardown_freeze(struct corral_sup *s, bool freeze, const char *why);
void teardown_on_node(struct corral_sup *s, struct ccasc *cc);
/* A spawn that lands while its subtree is being torn down is part of the cascade: it gets the
 * stage's action now (SIGINT, SIGTERM, or SIGKILL at the kill stage: cgroup.kill written before
 * it existed missed it); in stage 1 its parent, told SPAWNED, cancels it. */
void teardown_landed(struct corral_sup *s, struct actor *a);
/* The stage of the innermost running cascade covering a, or CS_IDLE. */
enum cstage teardown_stage_of(const struct corral_sup *s, const struct actor *a);
/* Something ended inside the tree: an actor whose node is empty is removed now. */
void teardown_actor_ended(struct corral_sup *s, struct actor *a);
void teardown_free(struct corral_sup *s);

#endif
