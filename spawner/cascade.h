/* The cancel cascade of one subtree (DESIGN §6), as data and one pure function.
 *
 *   cancel (IPC; only when the subtree root said HELLO) -> interrupt (SIGINT through each
 *   shim) -> terminate (SIGTERM + SIGCONT) -> kill (cgroup.kill, written again while the node
 *   is populated) -> stuck (reported, the nodes stay) ; reap (remove the nodes) once empty
 *
 * Every stage has a deadline, so teardown is bounded by the sum of the stage timeouts plus the
 * kernel's kill latency. cascade_step() takes the cascade, what happened and the facts about
 * its subtree, and says what to do; it does no I/O (s6-supervise's state x event table, as a
 * function). The supervisor applies the actions: signals to shims, cgroup.kill, events,
 * removal of nodes. Unit tests drive it with no process or cgroup at all (test_spawner).
 *
 * Nesting: a cascade started inside a running one (a parent cancelling its child while the
 * tree is being cancelled) runs on its own subtree root's timeouts, but its deadlines never
 * pass the enclosing cascade's current one (the cap), and when the enclosing cascade moves to
 * a stage, a nested one behind it moves there too, silently: the outer stage's action already
 * reached every actor below it. A second request for a subtree that is already cancelling
 * merges into the running cascade: the earlier deadline stays, no event is repeated.
 *
 * Hold: while an actor of the subtree holds (HOLD: a debugger is attached), a stage does not
 * escalate; the time held comes out of one budget per cascade (TimeoutHoldSec of the subtree
 * root's profile), and once it is spent, or a second signal overrides it, the stage goes on
 * with the time it had left when the hold began. */
#ifndef CORRAL_SPAWNER_CASCADE_H
#define CORRAL_SPAWNER_CASCADE_H

#include <stdbool.h>
#include <stdint.h>

enum cstage { CS_IDLE, CS_CANCEL, CS_INTERRUPT, CS_TERMINATE, CS_KILL, CS_STUCK, CS_DONE };

const char *cstage_name(enum cstage s);    /* "interrupt" */
const char *cstage_outcome(enum cstage s); /* "interrupted" */

#define CASCADE_KILL_RECHECK_US                                                                    \
        50000 /* re-write cgroup.kill while populated, at most this often                          \
               */

struct cascade_timeouts {
        uint64_t cancel, interrupt, terminate, kill; /* microseconds, each > 0 */
        uint64_t hold;                               /* the hold budget (0: no hold) */
};

struct cascade {
        enum cstage stage;
        struct cascade_timeouts t; /* the subtree root's */
        int64_t start_us;          /* when the first stage was entered (0: not yet) */
        int64_t deadline_us;       /* when the current stage escalates (or, in kill, is stuck) */
        int64_t cap_us;            /* the enclosing cascade's deadline, 0 when none: at it, the
                                    * enclosing cascade moves this one (no escalation of its own) */
        int64_t kill_recheck_us;   /* kill stage: when cgroup.kill may be written again */
        bool hello;                /* the subtree root said HELLO: stage 1 applies */
        int64_t stage_start_us;    /* when the current stage began (moved on by holds) */
        /* the hold: since when, and the budget used before (all of it once overridden) */
        int64_t hold_since_us, hold_used_us;
        bool holding;
};

/* What the subtree looks like now; the supervisor gathers it before each step. */
struct cascade_facts {
        bool live;     /* an actor of the subtree still runs (its shim can be signalled) */
        bool settled;  /* the fate of every actor is known: no spawn awaits its reply */
        int populated; /* the node: 1 populated, 0 empty, -1 unknown */
        bool held;     /* an actor of the subtree holds (HOLD, not yet RELEASE) */
};

enum cascade_ev {
        CE_REQUEST, /* someone asks for the subtree's end (mode, why, cap) */
        CE_TIMER,   /* the clock reached cascade_wakeup() (or later) */
        CE_UPDATE,  /* only the facts changed (an exit, cgroup.events) */
        CE_OUTER,   /* the enclosing cascade entered outer_stage, with deadline cap */
};

enum cascade_mode {
        CM_GRACEFUL, /* start at the first stage that applies; if running, merge */
        CM_ESCALATE, /* start; if running, skip to the next stage (a second signal) */
        CM_KILL,     /* straight to the kill stage (a third signal, a forced cancel) */
};

struct cascade_in {
        enum cascade_ev ev;
        enum cascade_mode mode;  /* CE_REQUEST */
        const char *why;         /* CE_REQUEST: said in the stage event */
        int64_t cap_us;          /* CE_REQUEST, CE_OUTER: the enclosing deadline (0: none) */
        enum cstage outer_stage; /* CE_OUTER; CE_REQUEST: the enclosing one's (or CS_IDLE) */
        struct cascade_facts f;
};

enum cascade_act {
        CA_ENTER,      /* stage entered: say so (why), and do its action: CS_CANCEL sends CANCEL,
                        * CS_INTERRUPT SIGINT to every live actor, CS_TERMINATE SIGTERM and
                        * SIGCONT, CS_KILL writes cgroup.kill */
        CA_KILL_AGAIN, /* write cgroup.kill again (a node made after the last write) */
        CA_STUCK,      /* the kill deadline passed and the node is still populated */
        CA_GIVE_UP,    /* empty, but a spawn never answered: nothing of it can be left */
        CA_REAP,       /* every actor has ended and the node is empty: remove the nodes */
        CA_HOLD,       /* a hold began (say so) */
        CA_HOLD_END,   /* it ended: why says how (released, budget spent, overridden) */
};

#define CASCADE_MAX_ACTS 8
#define CASCADE_WHY_MAX  96

struct cascade_out {
        int n;
        struct {
                enum cascade_act act;
                enum cstage stage; /* CA_ENTER */
        } a[CASCADE_MAX_ACTS];
        char why[CASCADE_WHY_MAX]; /* of the CA_ENTER actions */
        const char *hold_how;      /* of CA_HOLD_END: "released", "budget spent", "overridden" */
};

void cascade_init(struct cascade *c, const struct cascade_timeouts *t, bool hello);

/* One step: apply what happened at `now`, append the actions to *out (out->n is reset). A
 * cascade in CS_DONE or CS_STUCK does nothing more. */
void cascade_step(struct cascade *c, const struct cascade_in *in, int64_t now,
                  struct cascade_out *out);

/* When the cascade needs a CE_TIMER next (absolute monotonic µs), or 0 for never. */
int64_t cascade_wakeup(const struct cascade *c);

/* Still running (started, not yet done or stuck). */
bool cascade_active(const struct cascade *c);

#endif
