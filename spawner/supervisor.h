/* The supervisor engine: one tree of actors, many in flight, each cancelled subtree its own
 * cascade (DESIGN §3a, §6). Every consumer (corral run, the benchmark, tests) uses only
 * this API: open, spawn, dispatch, cancel, close; what happens comes back as event records
 * (struct corral_event) handed to the consumer's sink, which decides how they read.
 *
 * Process-wide effects of corral_sup_open() (the library is meant for a process that is a
 * supervisor, and says so here rather than surprise its host):
 * - Every fd the process inherited above 2 becomes CLOEXEC, and every fd the engine opens is.
 * - The soft RLIMIT_NOFILE goes up to the hard limit (spawned programs get the caller's back);
 *   below CORRAL_MIN_NOFILE the open fails with EMFILE.
 * - SIGCHLD goes back to its default disposition and is blocked, read from a signalfd of the
 *   engine's own (a shim that stops is seen there); SIGPIPE is ignored (output goes through
 *   non-blocking queues, and a gone reader is EPIPE, not death).
 * - Shims are children of the calling process (the zygote clones them with CLONE_PARENT, so
 *   that waitid on their pidfds works here; with zygote_on_demand the first is cloned by the
 *   calling thread itself): a waitpid(-1) or a SIGCHLD handler that reaps in the embedding
 *   program would steal their exit statuses.
 * - The zygote is forked by the calling thread, and dies with that thread
 *   (PR_SET_PDEATHSIG follows the thread, not the process): open (and, with
 *   zygote_on_demand, spawn) from the thread that lives as long as the supervisor.
 * - On pure cgroup v2, the calling process moves into <own>/supervisor (DESIGN §7).
 * Everything is undone or released by corral_sup_close() except the leaf move, the signal
 * mask and dispositions, and the fd flags. */
#ifndef CORRAL_SPAWNER_SUPERVISOR_H
#define CORRAL_SPAWNER_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct termios;
struct winsize;

#include "../ns/err.h"
#include "../policy/profile.h"
#include "cascade.h"
#include "spec.h"

/* The fewest open files (RLIMIT_NOFILE, after the soft limit is raised to the hard one) a
 * supervisor runs one actor with: a plain run holds about 22 (epoll, signalfd, timerfd, the
 * zygote's socket and pidfd, the registry lock, cgroup nodes and cgroup.events, the actor's
 * pidfd and pipes), more with v1 limits, `log` stdio and --fd. Below it corral refuses at
 * start with EMFILE rather than fail half-way through a spawn. */
#define CORRAL_MIN_NOFILE 64

/* Output queues (one per output fd): bounded, written without blocking while any actor
 * lives, flushed with a time bound at the end. Actor output (`log` stdio) may fill a queue
 * only to CORRAL_OUTQ_DATA_MAX, so events always find room up to CORRAL_OUTQ_MAX; past that
 * they are counted and one `events-lost` record says how many. While the event queue is
 * above CORRAL_OUTQ_DATA_MAX the engine reads no actor output and takes no spawn (EAGAIN);
 * timers and cascades go on. */
#define CORRAL_OUTQ_MAX      (1024 * 1024)
#define CORRAL_OUTQ_DATA_MAX (512 * 1024)
#define CORRAL_FLUSH_MS      2000 /* corral_sup_close()'s bound on the final flush */

/* ---- events: records, formatted by the consumer ---- */

enum corral_ev_type {
        CORRAL_EV_STARTED,        /* the program's execve succeeded */
        CORRAL_EV_SPAWN_FAILED,   /* a step of the spawn failed (the actor then exits) */
        CORRAL_EV_EXITED,         /* the actor's shim was reaped: reason, status */
        CORRAL_EV_CASCADE,        /* a cascade entered a stage */
        CORRAL_EV_OUTPUT_DROPPED, /* actor output its queue could not take */
        CORRAL_EV_STUCK,          /* a kill deadline passed with processes left */
        CORRAL_EV_REMOVED,        /* the tree's nodes are gone */
        CORRAL_EV_ORPHAN,         /* what a dead supervisor left: removed, or left */
        CORRAL_EV_WARNING,        /* a profile key this host cannot apply */
        CORRAL_EV_HOST,           /* how this host is used (v1 controllers on a hybrid host) */
        CORRAL_EV_ERROR,          /* something went wrong that is not an actor's end */
        CORRAL_EV_EVENTS_LOST,    /* records the event queue could not take */
        CORRAL_EV_SIGNAL,         /* a signal passed on to an actor, or one not acted on */
        CORRAL_EV_CHANNEL_CLOSED, /* an actor's control channel was closed by the supervisor */
        CORRAL_EV_FREEZE,         /* the tree was frozen (job control) or thawed */
};

struct corral_event {
        enum corral_ev_type type;
        int64_t time_us;   /* since corral_sup_open() */
        const char *tree;  /* the tree's name */
        const char *actor; /* the actor's name, NULL for an event of the tree */
        uint32_t actor_id;
        uint32_t parent_id; /* 0: a top-level actor */
        union {
                struct {
                        pid_t pid;        /* the shim, in the supervisor's namespace */
                        const char *node; /* its self/ leaf */
                        bool fallback;    /* clone() + cgroup.procs instead of clone3 */
                        int v1_moves;     /* cgroup.procs migrations into v1 groups */
                        /* the seccomp filters it runs under, its ancestors' and its own
                         * (each program once), and their length as the kernel counts it
                         * against its limit of 32,768 instructions */
                        uint32_t seccomp_filters, seccomp_insns;
                        bool seccomp_stacked; /* one of them is an ancestor's */
                } started;
                struct {
                        const char *stage; /* "execve", "mount-proc", "zygote" ... */
                        int errnum;
                } spawn_failed;
                struct {
                        const char *reason; /* "exited 0", "interrupted (exited 130)" ... */
                        int wstatus;        /* the program's (or the shim's) wait status */
                        int exit_code;      /* corral run's convention (128+N for signal N) */
                        int64_t duration_us;
                } exited;
                struct {
                        enum cstage stage;
                        const char *why;
                        const char *hold; /* NULL, or "held", "released", "budget spent",
                                           * "overridden": the hold of the stage */
                } cascade;
                struct {
                        const char *stream; /* "stdout", "stderr" */
                        uint64_t bytes, of;
                } output_dropped;
                struct {
                        const char *node;
                        const char *pids; /* "pid:wchan,..." */
                } stuck;
                struct {
                        const char *node;
                        int64_t teardown_us; /* -1 when no cascade ran */
                } removed;
                struct {
                        bool removed;
                        const char *orphan; /* its tree, NULL when its record is unreadable */
                        const char *record;
                        pid_t supervisor_pid;
                        bool populated; /* processes remain (when not removed) */
                        const char *error;
                } orphan;
                struct {
                        const char *profile;
                        const char *message;
                } warning;
                struct {
                        bool frozen;
                        const char *why; /* "SIGTSTP to corral", "SIGCONT to corral" */
                } freeze;
                struct {
                        const char *message;
                        const char *v1; /* "memory,pids" */
                } host;
                struct {
                        const char *message;
                } error;
                struct {
                        uint64_t count;
                } events_lost;
                struct {
                        const char *why;
                } channel_closed;
                struct {
                        int signo;
                        const char *action; /* "forwarded", "ignored" */
                        const char *why;    /* NULL, or why it was not acted on */
                } signal;
        } u;
};

/* Called during corral_sup_open() and corral_sup_dispatch(), for each event in order. The
 * record and its strings live only during the call. The sink writes what it makes of it
 * with corral_sup_write_events() (or anywhere it likes). */
struct corral_sup;
typedef void (*corral_event_fn)(struct corral_sup *s, const struct corral_event *ev, void *ctx);

/* ---- opening ---- */

struct corral_sup_options {
        const char *tree_name; /* valid (sup_name_valid) */
        /* profiles the tree's actors may run with (copied); the first is the default */
        const struct profile *profiles;
        size_t nprofiles;
        int out_fd, err_fd;       /* actor output (`log`) and event lines; -1: none */
        const char *registry_dir; /* NULL: /run/corral */
        bool sweep_orphans;       /* remove what dead supervisors left, first (events; see
                                   * late_housekeeping) */
        corral_event_fn on_event; /* may be NULL */
        void *event_ctx;
        /* No spawn server at open: the supervisor clones its first shim itself (after the
         * tree's registry record and nodes exist, as for every spawn), and forks the zygote
         * at the first spawn after that one. For a supervisor that is still small then
         * (corral run): a zygote forked from a large process copies its page tables at each
         * clone, the cost the zygote exists to keep flat (DESIGN §4b). */
        bool zygote_on_demand;
        /* The orphan sweep and the admin socket wait for the first spawn: they are made right
         * after its clone (or at the first dispatch, should that come first), while the new
         * shim does its mounts on another CPU (corral run). Until then `corral ps` finds the
         * tree's record without a socket and lists the tree as unresponsive; either failing
         * is then an error event, not a failed open. */
        bool late_housekeeping;
        /* test hooks: force the fallback paths so tests can prove they work */
        bool force_clone_fallback;
        bool force_fd_walk;
        int loopback_ifindex; /* 0: lo (1); tests name a missing device to prove the error path */
};

struct corral_sup;

/* Host discovery, the pure-v2 leaf move, the zygote (forked now, while the process is small,
 * unless zygote_on_demand), epoll, the tree's node and registry record (after sweeping orphans when
 * asked), the admin socket (those two later with late_housekeeping), and the warnings of the first
 * profile for this host. */
int corral_sup_open(struct corral_sup **out, const struct corral_sup_options *o, struct cerr *err);

/* Everything goes: live actors are killed (the tree's cgroup.kill) and reaped, the nodes in
 * every hierarchy removed unless the tree is stuck, the zygote stopped, the registry record
 * released (kept when stuck, so the tree stays findable), queues flushed (bounded). */
void corral_sup_close(struct corral_sup *s);

/* ---- spawning ---- */

struct sup_fd {
        int fd;
        char name[64]; /* LISTEN_FDNAMES entry ("unknown" when not named) */
};

enum {
        CORRAL_SPAWN_ENDS_TREE = 1u << 0, /* the tree is cancelled when this actor exits */
        /* stdio is a pty from the actor's own devpts, the program its session leader with the
         * pty as its controlling terminal; the master comes back (corral_sup_take_pty) */
        CORRAL_SPAWN_PTY = 1u << 1,
};

struct corral_spawn {
        uint32_t parent;     /* 0: a top-level actor of the tree */
        const char *name;    /* the actor's name (sup_name_valid) */
        const char *profile; /* NULL: the first profile */
        char *const *argv;
        char *const *env;          /* NULL, or KEY=VALUE added last (they override) */
        const struct sup_fd *pass; /* renumbered from 3 (LISTEN_FDS) */
        int npass;
        unsigned flags; /* CORRAL_SPAWN_* */
        /* CORRAL_SPAWN_PTY: the slave's modes and window size (NULL: the kernel's defaults) */
        const struct termios *pty_mode;
        const struct winsize *pty_size;
};

/* Starts the spawn and returns at once with the actor's id; what becomes of it comes as
 * events. A program that cannot be found or executed is an actor that fails (spawn-failed,
 * exited); an error here means nothing was started (bad request, the event queue full:
 * EAGAIN, corral's own failure). Requests the zygote cannot take now wait in a queue. */
int corral_sup_spawn(struct corral_sup *s, const struct corral_spawn *req, uint32_t *id,
                     struct cerr *err);

/* ---- running ---- */

/* The engine's epoll fd, for a caller's own poll loop: readable when dispatch has work. */
int corral_sup_fd(const struct corral_sup *s);

/* One turn: waits up to timeout_ms (-1: no bound) for something to happen and handles it.
 * Returns the number of things handled (0 on timeout), -1 on corral's own failure. */
int corral_sup_dispatch(struct corral_sup *s, int timeout_ms, struct cerr *err);

/* Cancel a subtree (actor 0: the whole tree) with a cascade on its root's timeouts: start it
 * (graceful: or merge into a running one; escalate: or skip to the next stage; kill: or go
 * straight to the kill stage). `why` is said in the cascade event. */
int corral_sup_cancel(struct corral_sup *s, uint32_t actor, enum cascade_mode how, const char *why);

/* The tree is gone (removed) or stuck. */
bool corral_sup_done(const struct corral_sup *s);

/* Job control: freeze the whole tree (cgroup.freeze of its node) or thaw it. While frozen by
 * its user, no cascade deadline or RuntimeMaxSec= runs (they move on by the time it stood
 * still); a cascade requested meanwhile thaws it first. A FREEZE event says each change. */
int corral_sup_freeze(struct corral_sup *s, bool freeze, const char *why);

/* Send sig to an actor's program (through its shim, which forwards what comes from outside
 * its namespace: SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGINT, SIGTERM); a `signal`
 * event says so. An actor still starting gets it once its shim is there. -1 with ESRCH when
 * the actor has ended, EINVAL for a signal the shim does not forward. */
int corral_sup_signal(struct corral_sup *s, uint32_t actor, int sig);

/* A record of the consumer's own through the same sink (the time and tree filled in). */
void corral_sup_emit(struct corral_sup *s, struct corral_event *e);

/* Bytes of actor output and event records still queued for the output fds. Once the tree is
 * done, a consumer that must lose nothing dispatches until this is 0 (a queue whose reader
 * is gone drops what it holds); corral_sup_close() flushes for CORRAL_FLUSH_MS at most. */
size_t corral_sup_output_pending(const struct corral_sup *s);

/* ---- what the engine knows ---- */

enum corral_actor_state {
        CORRAL_ACTOR_STARTING,
        CORRAL_ACTOR_RUNNING,
        CORRAL_ACTOR_CANCELLING, /* a cascade covers it and it still runs */
        CORRAL_ACTOR_EXITED,
        CORRAL_ACTOR_SPAWN_FAILED, /* then also exited: its end is known */
};

/* corral_actor_info.spare_ns: which of the actor's namespaces the zygote had made before
 * the request came (exactly what the clone would have made; a spawn does not wait for it) */
#define CORRAL_SPARE_NET 1u
#define CORRAL_SPARE_IPC 2u

struct corral_actor_info {
        enum corral_actor_state state;
        bool ended;        /* exited or spawn-failed, and reported */
        bool node_removed; /* its node (and v1 groups) are gone */
        pid_t pid;         /* the shim, 0 until the zygote answered */
        bool fallback;     /* clone() + cgroup.procs */
        unsigned spare_ns; /* born in namespaces its zygote made ahead: CORRAL_SPARE_* */
        int exit_code;     /* corral run's convention, once ended */
        bool have_status;  /* the program's own wait status came from its shim */
        bool timed_out;    /* its RuntimeMaxSec= expired (corral run then exits 124) */
        int wstatus;
        char spawn_error[512]; /* "spawn failed at execve: No such file or directory" */
        const char *leaf;      /* its self/ leaf in v2, while it has a node */
        int64_t t_request, t_sent, t_replied, t_started, t_exited, t_removed; /* monotonic µs */
};

int corral_sup_actor(const struct corral_sup *s, uint32_t id, struct corral_actor_info *info);

/* Forget an actor that has ended, whose node is gone and which has no children: its record
 * goes (its id is never reused). An engine that spawns for a long time keeps the records of
 * ended actors until their consumer is done with them. -1 (EBUSY) when it has not ended. */
int corral_sup_release(struct corral_sup *s, uint32_t id);

struct corral_tree_info {
        const char *name;
        const char *node; /* the tree's v2 node */
        pid_t zygote;     /* -1 while there is none (zygote_on_demand) */
        bool stuck;
        int in_flight;     /* spawns the zygote has not answered yet (sent or queued) */
        int queued;        /* of those, waiting for room in the zygote's socket */
        int64_t t_empty;   /* when the engine saw the tree's node empty (monotonic µs) */
        int64_t t_removed; /* when its nodes were gone */
        bool force_killed; /* its node was removed from outside (`corral kill --force`) */
};

void corral_sup_tree(const struct corral_sup *s, struct corral_tree_info *info);

/* The event sink's way out: event lines go to the event queue (the err fd's), never written
 * with a blocking call. Returns 0, or -1 when the queue was full (the bytes are dropped and
 * counted: an events-lost record follows once there is room). */
int corral_sup_write_events(struct corral_sup *s, const void *buf, size_t len);

/* The pty master of an actor spawned with CORRAL_SPAWN_PTY, once it has started (the
 * STARTED event): the caller owns it from here (and relays it). -1 before, after, or for
 * an actor without one. Closing it hangs the program's terminal up (SIGHUP). */
int corral_sup_take_pty(struct corral_sup *s, uint32_t id);

/* The host checks of a profile's path keys that a spawn makes (a missing path without `-`, a
 * planted symlink, a destination that does not exist, a mount inside an inaccessible path),
 * without mounting anything: `corral policy check` reports them in the same words. */
struct profile;
int corral_profile_check_paths(const struct profile *p, struct cerr *err);

/* Tree and actor names: [A-Za-z0-9_.-]{1,64}, not starting with '.', and not a cgroup
 * controller prefix (cgroup.*, memory.* ...) that could collide with an interface file. */
bool sup_name_valid(const char *name);

#endif
