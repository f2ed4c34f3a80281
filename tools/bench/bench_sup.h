/* The benchmark's supervisor (tools/bench/, `make bench`): a thin loop over the engine's
 * own API (spawner/supervisor.h), as corral run is. One supervisor, set up once, spawns
 * top-level actors one at a time through the real path (engine -> zygote -> clone3 -> shim)
 * and times each step from the engine's own records (corral_sup_actor); the kill measurement
 * is the cascade's kill stage on the tree (corral_sup_cancel with CM_KILL).
 *
 * After bench_sup_kill() the tree is gone and only bench_sup_close() remains. Events go to
 * err_fd as text when given.
 *
 * Trees of actors (tools/bench/trees.c) take the other way in: top-level actors started
 * without waiting (bench_sup_start), each actor's start and end handed to a hook as it
 * happens, the engine run until the caller's condition holds (bench_sup_wait) or for a
 * while (bench_sup_idle), every actor's times read back afterwards (bench_sup_times), and
 * the whole tree cancelled, gracefully or not (bench_sup_cancel_tree). */
#ifndef CORRAL_TOOLS_BENCH_SUP_H
#define CORRAL_TOOLS_BENCH_SUP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../ns/err.h"
#include "../../policy/profile.h"

struct bench_sup;

/* What became of an actor, any actor of the tree (the actors' own children included) */
enum bench_ev_kind { BENCH_EV_STARTED, BENCH_EV_SPAWN_FAILED, BENCH_EV_EXITED };

struct bench_event {
        enum bench_ev_kind kind;
        uint32_t actor, parent; /* parent 0: a top-level actor */
        int exit_code;          /* BENCH_EV_EXITED: corral run's convention */
};

typedef void (*bench_event_fn)(void *ctx, const struct bench_event *e);

struct bench_sup_options {
        const struct profile *profile; /* every actor's profile (copied) */
        const char *tree_name;         /* NULL: "bench-<pid>-<n>" */
        int out_fd, err_fd;            /* actor output and the event log; -1: /dev/null */
        /* When set and it becomes non-zero (a signal handler), waits give up with ECANCELED. */
        volatile sig_atomic_t *stop;
        int timeout_ms;          /* bound on each wait; 0: 10000 */
        bench_event_fn on_actor; /* may be NULL; called from inside the engine's dispatch */
        void *actor_ctx;
};

/* Monotonic microseconds (CLOCK_MONOTONIC) of each step of one spawn; 0 when not reached. */
struct bench_spawn_times {
        int64_t t_request; /* before the actor's node is created */
        int64_t t_sent;    /* the request went to the zygote (nodes, limits, pipes done) */
        int64_t t_replied; /* the zygote's reply (pid and pidfd) was handled */
        int64_t t_started; /* exec pipe EOF: the program's execve succeeded ("started") */
        int64_t t_reaped;  /* the shim was reaped and the program's status read */
        int64_t t_removed; /* the actor's nodes (v2 and any v1) were removed */
        pid_t pid;         /* the shim, in our namespace */
        bool have_status;
        int wstatus; /* the program's, as waitpid(2) encodes it */
};

struct bench_kill_times {
        int64_t t_request; /* the kill stage was entered (cgroup.kill written right after) */
        int64_t t_empty;   /* the supervisor saw populated 0 */
        int64_t t_removed; /* every node of the tree removed */
};

int bench_sup_open(struct bench_sup **out, const struct bench_sup_options *o, struct cerr *err);

/* Spawn argv as one actor and wait until it has started (exec pipe EOF). With wait_exit,
 * also wait until it exits and remove its nodes (the supervisor is then ready for the next
 * spawn); without, the actor keeps running until bench_sup_kill() or bench_sup_close().
 * A spawn failure is an error naming the stage. */
int bench_sup_spawn(struct bench_sup *b, char *const *argv, bool wait_exit,
                    struct bench_spawn_times *t, struct cerr *err);

/* The running actor's v2 self/ leaf (NULL when none), the tree's v2 node, the zygote's pid
 * (for its CPU time: /proc/PID/schedstat). */
const char *bench_sup_actor_leaf(const struct bench_sup *b);
const char *bench_sup_tree_path(const struct bench_sup *b);
pid_t bench_sup_zygote_pid(const struct bench_sup *b);

/* The cascade's kill stage on the whole tree (DESIGN §6 stage 4, then 5): cgroup.kill, wait
 * for populated 0, remove the nodes. */
int bench_sup_kill(struct bench_sup *b, struct bench_kill_times *t, struct cerr *err);

/* Start argv as a top-level actor and return at once with its id (many may run at once);
 * what becomes of it comes to the hook. */
int bench_sup_start(struct bench_sup *b, char *const *argv, uint32_t *id, struct cerr *err);

/* Run the engine until done(ctx) holds; ETIMEDOUT after timeout_ms. */
int bench_sup_wait(struct bench_sup *b, bool (*done)(void *ctx), void *ctx, int timeout_ms,
                   struct cerr *err);

/* Run the engine for ms milliseconds; *wakeups: how often it woke before the end. */
int bench_sup_idle(struct bench_sup *b, int ms, long *wakeups, struct cerr *err);

/* An actor's steps, from the engine's own records (monotonic µs, 0 when not reached) */
struct bench_actor_times {
        int64_t t_request, t_started, t_exited, t_removed;
        bool ended, removed;
        int exit_code;
};

int bench_sup_times(const struct bench_sup *b, uint32_t id, struct bench_actor_times *t);

/* The whole tree cancelled, gracefully (the cascade from stage 1: CANCEL to the top-level
 * actors, whose runtimes cancel their own children) or by its kill stage; returns once its
 * nodes are gone. */
int bench_sup_cancel_tree(struct bench_sup *b, bool graceful, struct bench_kill_times *t,
                          struct cerr *err);

/* Everything goes, whatever state the supervisor is in: a live actor is killed (tree
 * cgroup.kill) and reaped, nodes in every hierarchy removed, the zygote stopped, the registry
 * record released. Safe on NULL. */
void bench_sup_close(struct bench_sup *b);

#endif
