/* The cascade's transitions (see cascade.h): no I/O, no clock of its own. */
#include "cascade.h"

#include <stdio.h>
#include <string.h>

const char *cstage_name(enum cstage s)
{
        switch (s) {
        case CS_CANCEL:
                return "cancel";
        case CS_INTERRUPT:
                return "interrupt";
        case CS_TERMINATE:
                return "terminate";
        case CS_KILL:
                return "kill";
        case CS_STUCK:
                return "stuck";
        case CS_DONE:
                return "done";
        case CS_IDLE:
                break;
        }
        return "idle";
}

const char *cstage_outcome(enum cstage s)
{
        switch (s) {
        case CS_CANCEL:
                return "cancelled";
        case CS_INTERRUPT:
                return "interrupted";
        case CS_TERMINATE:
                return "terminated";
        case CS_KILL:
                return "killed";
        default:
                return "exited";
        }
}

void cascade_init(struct cascade *c, const struct cascade_timeouts *t, bool hello)
{
        memset(c, 0, sizeof *c);
        c->t = *t;
        c->hello = hello;
}

bool cascade_active(const struct cascade *c)
{
        return c->stage >= CS_CANCEL && c->stage <= CS_KILL;
}

static uint64_t stage_timeout(const struct cascade *c, enum cstage s)
{
        switch (s) {
        case CS_CANCEL:
                return c->t.cancel;
        case CS_INTERRUPT:
                return c->t.interrupt;
        case CS_TERMINATE:
                return c->t.terminate;
        case CS_KILL:
                return c->t.kill;
        default:
                return 0;
        }
}

static void add(struct cascade_out *out, enum cascade_act act, enum cstage stage)
{
        if (out->n < CASCADE_MAX_ACTS) {
                out->a[out->n].act = act;
                out->a[out->n].stage = stage;
                out->n++;
        }
}

/* The stage's deadline: its own timeout from when it began (moved on by the time held),
 * never past the enclosing cascade's deadline. */
static void reschedule(struct cascade *c)
{
        if (c->holding)
                return; /* the budget's end is the deadline meanwhile */
        c->deadline_us = c->stage_start_us + (int64_t)stage_timeout(c, c->stage);
        if (c->cap_us && c->deadline_us > c->cap_us)
                c->deadline_us = c->cap_us;
}

static void schedule(struct cascade *c, enum cstage s, int64_t now)
{
        c->stage = s;
        c->stage_start_us = now;
        reschedule(c);
        if (s == CS_KILL)
                c->kill_recheck_us = now + CASCADE_KILL_RECHECK_US;
}

/* The enclosing deadline comes first: at it, the enclosing cascade escalates and moves this
 * one with it (so a nested cascade never escalates on its own at the same moment). */
static bool capped(const struct cascade *c)
{
        return c->cap_us && !c->holding &&
               c->stage_start_us + (int64_t)stage_timeout(c, c->stage) >= c->cap_us;
}

/* ---- the hold ---- */

static void hold_begin(struct cascade *c, int64_t now, struct cascade_out *out)
{
        if (c->holding || c->stage >= CS_KILL || c->hold_used_us >= (int64_t)c->t.hold)
                return;
        c->holding = true;
        c->hold_since_us = now;
        /* the stage waits; the timer now marks the end of the budget */
        c->deadline_us = now + ((int64_t)c->t.hold - c->hold_used_us);
        add(out, CA_HOLD, c->stage);
}

/* The stage goes on with the time it had left (never past the enclosing deadline). */
static void hold_end(struct cascade *c, const char *how, int64_t now, struct cascade_out *out)
{
        if (!c->holding)
                return;
        c->holding = false;
        c->hold_used_us += now - c->hold_since_us;
        c->stage_start_us += now - c->hold_since_us; /* the stage resumes where it was */
        if (c->hold_used_us > (int64_t)c->t.hold || strcmp(how, "overridden") == 0)
                c->hold_used_us = (int64_t)c->t.hold;
        reschedule(c);
        out->hold_how = how;
        add(out, CA_HOLD_END, c->stage);
}

static void enter(struct cascade *c, enum cstage s, const char *why, int64_t now,
                  struct cascade_out *out)
{
        hold_end(c, "overridden", now, out);
        if (!c->start_us)
                c->start_us = now;
        schedule(c, s, now);
        snprintf(out->why, sizeof out->why, "%s", why ? why : "");
        add(out, CA_ENTER, s);
}

/* The first stage that applies: cancel only when the subtree root said HELLO; with nobody
 * left to ask or signal, the kill; never behind the enclosing cascade (its stage's action
 * reached these actors already). */
static void start(struct cascade *c, const struct cascade_in *in, int64_t now,
                  struct cascade_out *out)
{
        enum cstage first = !in->f.live ? CS_KILL : c->hello ? CS_CANCEL : CS_INTERRUPT;

        if (in->outer_stage > first && in->outer_stage <= CS_KILL)
                first = in->outer_stage;
        enter(c, first, in->why, now, out);
}

static void escalate(struct cascade *c, const char *why, int64_t now, struct cascade_out *out)
{
        if (c->stage >= CS_CANCEL && c->stage < CS_KILL)
                enter(c, (enum cstage)(c->stage + 1), why, now, out);
}

/* After every step: the subtree is gone once every actor's end is known and the node is
 * empty; signals reach processes only through live shims, so with none left the rest goes
 * to the kill stage at once. */
static void progress(struct cascade *c, const struct cascade_facts *f, int64_t now,
                     struct cascade_out *out)
{
        if (!cascade_active(c) || !f->settled)
                return;
        if (f->populated == 0) {
                add(out, CA_REAP, CS_DONE);
                c->stage = CS_DONE;
                return;
        }
        if (c->stage < CS_KILL && !f->live)
                enter(c, CS_KILL, "no actor left to signal; processes remain", now, out);
}

static void on_request(struct cascade *c, const struct cascade_in *in, int64_t now,
                       struct cascade_out *out)
{
        if (c->stage == CS_IDLE) {
                if (in->cap_us)
                        c->cap_us = in->cap_us;
                if (in->f.settled && in->f.populated == 0) {
                        /* nothing to end: the subtree already is (a program that left nothing) */
                        add(out, CA_REAP, CS_DONE);
                        c->stage = CS_DONE;
                        return;
                }
                if (in->mode == CM_KILL)
                        enter(c, CS_KILL, in->why, now, out);
                else
                        start(c, in, now, out);
                return;
        }
        switch (in->mode) {
        case CM_GRACEFUL:
                /* merged: the earlier deadline stays, and nothing is said twice */
                if (in->cap_us && (!c->cap_us || in->cap_us < c->cap_us))
                        c->cap_us = in->cap_us;
                reschedule(c);
                break;
        case CM_ESCALATE:
                escalate(c, in->why, now, out);
                break;
        case CM_KILL:
                if (c->stage < CS_KILL)
                        enter(c, CS_KILL, in->why, now, out);
                break;
        }
}

static void on_timer(struct cascade *c, const struct cascade_in *in, struct cascade_facts *f,
                     int64_t now, struct cascade_out *out)
{
        if (c->holding && now >= c->deadline_us) {
                hold_end(c, "budget spent", now, out);
                f->held = false; /* no second hold from this budget */
        }
        if (c->holding || capped(c)) {
                /* held, or the enclosing cascade's deadline comes first: it moves us */
        } else if (c->stage == CS_KILL && now >= c->deadline_us) {
                if (f->populated != 0) {
                        add(out, CA_STUCK, CS_STUCK);
                        c->stage = CS_STUCK;
                        return;
                }
                if (!f->settled) {
                        /* empty, but a spawn never answered: nothing of it can be left */
                        add(out, CA_GIVE_UP, CS_KILL);
                        f->settled = true; /* the supervisor ends those spawns now */
                }
        } else if (c->stage >= CS_CANCEL && c->stage < CS_KILL && now >= c->deadline_us) {
                char why[CASCADE_WHY_MAX];

                snprintf(why, sizeof why, "%s timeout", cstage_name(c->stage));
                escalate(c, why, now, out);
        }
        /* a node created after the last write is not covered by it */
        if (c->stage == CS_KILL && now >= c->kill_recheck_us && f->populated == 1) {
                add(out, CA_KILL_AGAIN, CS_KILL);
                c->kill_recheck_us = now + CASCADE_KILL_RECHECK_US;
        }
        (void)in;
}

static void on_outer(struct cascade *c, const struct cascade_in *in, int64_t now,
                     struct cascade_out *out)
{
        if (in->cap_us)
                c->cap_us = in->cap_us;
        if (in->outer_stage > c->stage && in->outer_stage <= CS_KILL) {
                /* escalated with it, silently: the outer stage's action covered our actors */
                hold_end(c, "overridden", now, out);
                if (!c->start_us)
                        c->start_us = now;
                schedule(c, in->outer_stage, now);
        } else {
                reschedule(c);
        }
}

void cascade_step(struct cascade *c, const struct cascade_in *in, int64_t now,
                  struct cascade_out *out)
{
        struct cascade_facts f = in->f;

        out->n = 0;
        out->why[0] = '\0';
        out->hold_how = NULL;
        if (c->stage == CS_DONE || c->stage == CS_STUCK)
                return;
        switch (in->ev) {
        case CE_REQUEST:
                on_request(c, in, now, out);
                break;
        case CE_TIMER:
                on_timer(c, in, &f, now, out);
                break;
        case CE_OUTER:
                if (cascade_active(c))
                        on_outer(c, in, now, out);
                break;
        case CE_UPDATE:
                break;
        }
        if (c->stage == CS_KILL && in->ev == CE_UPDATE && f.populated == 1 &&
            now >= c->kill_recheck_us) {
                add(out, CA_KILL_AGAIN, CS_KILL);
                c->kill_recheck_us = now + CASCADE_KILL_RECHECK_US;
        }
        /* a hold begins or ends with the facts (an actor's HOLD, RELEASE, or its end) */
        if (cascade_active(c) && f.held)
                hold_begin(c, now, out);
        else if (cascade_active(c) && c->holding)
                hold_end(c, "released", now, out);
        progress(c, &f, now, out);
}

int64_t cascade_wakeup(const struct cascade *c)
{
        int64_t when;

        if (!cascade_active(c))
                return 0;
        when = capped(c) ? 0 : c->deadline_us;
        if (c->stage == CS_KILL && (!when || c->kill_recheck_us < when))
                when = c->kill_recheck_us;
        return when;
}
