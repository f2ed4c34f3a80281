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

/* The stage's schedule: its own timeout, never past the enclosing cascade's deadline. */
static void schedule(struct cascade *c, enum cstage s, int64_t now)
{
        c->deadline_us = now + (int64_t)stage_timeout(c, s);
        if (c->cap_us && c->deadline_us > c->cap_us)
                c->deadline_us = c->cap_us;
        if (s == CS_KILL)
                c->kill_recheck_us = now + CASCADE_KILL_RECHECK_US;
}

static void enter(struct cascade *c, enum cstage s, const char *why, int64_t now,
                  struct cascade_out *out)
{
        c->stage = s;
        if (!c->start_us)
                c->start_us = now;
        schedule(c, s, now);
        snprintf(out->why, sizeof out->why, "%s", why ? why : "");
        add(out, CA_ENTER, s);
}

/* The first stage that applies: cancel only when the subtree root said HELLO; with nobody
 * left to ask or signal, the kill. */
static void start(struct cascade *c, const struct cascade_facts *f, const char *why, int64_t now,
                  struct cascade_out *out)
{
        if (!f->live)
                enter(c, CS_KILL, why, now, out);
        else if (c->hello)
                enter(c, CS_CANCEL, why, now, out);
        else
                enter(c, CS_INTERRUPT, why, now, out);
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
                        start(c, &in->f, in->why, now, out);
                return;
        }
        switch (in->mode) {
        case CM_GRACEFUL:
                /* merged: the earlier deadline stays, and nothing is said twice */
                if (in->cap_us && (!c->cap_us || in->cap_us < c->cap_us))
                        c->cap_us = in->cap_us;
                if (c->cap_us && c->deadline_us > c->cap_us)
                        c->deadline_us = c->cap_us;
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
        if (c->stage == CS_KILL && now >= c->deadline_us) {
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

static void on_outer(struct cascade *c, const struct cascade_in *in, int64_t now)
{
        if (in->cap_us)
                c->cap_us = in->cap_us;
        if (in->outer_stage > c->stage && in->outer_stage <= CS_KILL) {
                /* escalated with it, silently: the outer stage's action covered our actors */
                c->stage = in->outer_stage;
                if (!c->start_us)
                        c->start_us = now;
                schedule(c, c->stage, now);
        } else if (c->cap_us && c->deadline_us > c->cap_us) {
                c->deadline_us = c->cap_us;
        }
}

void cascade_step(struct cascade *c, const struct cascade_in *in, int64_t now,
                  struct cascade_out *out)
{
        struct cascade_facts f = in->f;

        out->n = 0;
        out->why[0] = '\0';
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
                        on_outer(c, in, now);
                break;
        case CE_UPDATE:
                break;
        }
        if (c->stage == CS_KILL && in->ev == CE_UPDATE && f.populated == 1 &&
            now >= c->kill_recheck_us) {
                add(out, CA_KILL_AGAIN, CS_KILL);
                c->kill_recheck_us = now + CASCADE_KILL_RECHECK_US;
        }
        progress(c, &f, now, out);
}

int64_t cascade_wakeup(const struct cascade *c)
{
        int64_t when;

        if (!cascade_active(c))
                return 0;
        when = c->deadline_us;
        if (c->stage == CS_KILL && c->kill_recheck_us < when)
                when = c->kill_recheck_us;
        return when;
}
