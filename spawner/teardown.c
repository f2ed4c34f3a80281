/* Cascades applied (DESIGN §6): one per cancelled subtree, each stepped by the pure function
 * of cascade.c with the facts gathered here, and its actions carried out here: the stage
 * event, signals through each live shim, cgroup.kill on the subtree's node, the stuck report,
 * the removal of nodes. One timer, armed at the earliest deadline of them all. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../ns/clone.h"
#include "../ns/timeutil.h"
#include "../policy/units.h"
#include "sup.h"

static bool covers(const struct ccasc *cc, const struct actor *a)
{
        if (!cc->root)
                return true;
        for (; a; a = a->parent) {
                if (a == cc->root)
                        return true;
        }
        return false;
}

/* Visit every actor of cc's subtree (parents before children). */
static void subtree_walk(struct corral_sup *s, const struct ccasc *cc,
                         void (*fn)(struct actor *, void *), void *ctx)
{
        if (cc->root)
                actor_walk(cc->root, fn, ctx);
        else
                actors_walk(s, fn, ctx);
}

/* ---- the facts of a subtree ---- */

struct facts_walk {
        bool live, settled, held;
};

static void facts_visit(struct actor *a, void *ctx)
{
        struct facts_walk *f = ctx;

        f->live |= !a->dead;
        f->settled &= a->ended;
        f->held |= a->holds && !a->ended;
}

static int node_populated(const struct corral_sup *s, const struct ccasc *cc)
{
        char buf[128];
        long long v;
        ssize_t n;

        if (cc->root && cc->root->node_removed)
                return 0;
        n = pread(cc->events_fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        (void)s;
        return cg_kv_get(buf, "populated", &v) == 0 ? v != 0 : -1;
}

static struct cascade_facts facts(struct corral_sup *s, const struct ccasc *cc)
{
        struct facts_walk f = {.live = false, .settled = true, .held = false};
        struct cascade_facts out;

        subtree_walk(s, cc, facts_visit, &f);
        out.live = f.live;
        out.settled = f.settled;
        out.held = f.held;
        out.populated = node_populated(s, cc);
        return out;
}

/* ---- actions ---- */

static struct ccasc *covering(const struct corral_sup *s, const struct actor *a);

/* A stage's signal to one actor: the shim forwards it to the program; a stopped shim forwards
 * nothing, so stage 3 wakes it (SIGTERM waits pending) */
static void stage_signal(struct actor *a, int sig)
{
        pidfd_signal(a->pidfd, sig, NULL);
        if (sig == SIGTERM)
                pidfd_signal(a->pidfd, SIGCONT, NULL);
}

static void mark_cancelling(struct actor *a, void *ctx)
{
        if (a->state == AS_RUNNING) {
                a->state = AS_CANCELLING;
                output_watch(ctx, a); /* its output is read on now, and dropped if need be */
        }
}

struct signal_walk {
        struct corral_sup *s;
        const struct ccasc *cc;
        int sig;
        enum cstage stage;
};

static void signal_visit(struct actor *a, void *ctx)
{
        const struct signal_walk *w = ctx;
        const struct ccasc *inner;

        if (a->dead || a->pidfd < 0)
                return;
        mark_cancelling(a, w->s);
        /* a nested cascade that got there on its own schedule signalled it already */
        inner = covering(w->s, a);
        if (inner && inner != w->cc && inner->c.stage >= w->stage)
                return;
        stage_signal(a, w->sig);
}

static void signal_subtree(struct corral_sup *s, struct ccasc *cc, int sig)
{
        struct signal_walk w = {
            .s = s, .cc = cc, .sig = sig, .stage = sig == SIGINT ? CS_INTERRUPT : CS_TERMINATE};

        subtree_walk(s, cc, signal_visit, &w);
}

/* The subtree's heads: its root, or where the root has ended (an actor that exited with
 * children left, the tree's program), the first live actors below it. */
static void each_head(struct actor *a, void (*fn)(struct actor *, void *), void *ctx)
{
        if (!a->ended) {
                fn(a, ctx);
                return;
        }
        for (struct actor *c = a->first_child; c; c = c->next_sibling)
                each_head(c, fn, ctx);
}

static void heads_walk(struct corral_sup *s, const struct ccasc *cc,
                       void (*fn)(struct actor *, void *), void *ctx)
{
        if (cc->root) {
                each_head(cc->root, fn, ctx);
                return;
        }
        for (struct actor *a = s->top; a; a = a->next_sibling)
                each_head(a, fn, ctx);
}

/* It said HELLO: it gets CANCEL. (Also when it closed its channel since: a runtime that is
 * shutting down does that last, and stage 1 is the stage it is ending in.) */
static bool can_cancel(const struct actor *a)
{
        return a->said_hello && !a->dead;
}

static void hello_visit(struct actor *a, void *ctx)
{
        *(bool *)ctx |= can_cancel(a);
}

struct cancel_walk {
        struct corral_sup *s;
        struct ccasc *cc;
        uint64_t left;
};

static void cancel_visit(struct actor *a, void *ctx)
{
        struct cancel_walk *w = ctx;

        if (can_cancel(a)) {
                ctl_cancel(w->s, a, w->left);
                return;
        }
        /* one that never said HELLO skips stage 1: a nested cascade starts it at stage 2 */
        if (!a->dead && a != w->cc->root)
                teardown_request(w->s, a, CM_GRACEFUL,
                                 "stage 1 of its parent's cascade: it "
                                 "never said HELLO");
}

/* Stage 1: CANCEL with the time left to each head that said HELLO; the subtree's actors are
 * cancelling from now on. */
static void cancel_heads(struct corral_sup *s, struct ccasc *cc)
{
        int64_t now = mono_us();
        struct cancel_walk w = {
            .s = s,
            .cc = cc,
            .left = cc->c.deadline_us > now ? (uint64_t)(cc->c.deadline_us - now) : 0};

        subtree_walk(s, cc, mark_cancelling, s);
        heads_walk(s, cc, cancel_visit, &w);
}

static struct cg_node subtree_node(const struct corral_sup *s, const struct ccasc *cc)
{
        struct cg_node n = {.fd = cc->root ? cc->root->node_fd : s->tree_node.fd};

        snprintf(n.path, sizeof n.path, "%s", cc->root ? cc->root->node : s->tree_node.path);
        return n;
}

static void kill_node(struct corral_sup *s, struct ccasc *cc)
{
        struct cg_node n = subtree_node(s, cc);
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];

        if (cg_node_kill(&n, &err) < 0 && err.errnum != ENOENT)
                ev_error(s, "%s", cerr_str(&err, buf, sizeof buf));
}

static void report_stuck(struct corral_sup *s, struct ccasc *cc)
{
        struct cg_node n = subtree_node(s, cc);
        char pids[1024] = "";
        struct corral_event e;

        cg_stuck_pids(n.path, pids, sizeof pids);
        ev_init(s, &e, CORRAL_EV_STUCK, cc->root);
        e.u.stuck.node = n.path;
        e.u.stuck.pids = pids;
        ev_emit(s, &e);
        if (cc->root) {
                ctl_child_stuck(s, cc->root, actor_exit_code(cc->root), pids);
        } else {
                s->stuck = true;
                s->done = true;
        }
}

/* Spawns never answered (the zygote is gone, or the kill deadline passed with the node
 * empty): nothing of them can be left. */
static void give_up_visit(struct actor *a, void *ctx)
{
        struct corral_sup *s = ctx;

        if (a->ended || !a->in_flight)
                return;
        actor_spawn_failed(s, a, STAGE_NONE, EPIPE, "zygote");
        a->waiting = 0;
        actor_ended(s, a, teardown_stage_of(s, a));
}

static void give_up(struct corral_sup *s, struct ccasc *cc)
{
        subtree_walk(s, cc, give_up_visit, s);
}

/* A subtree cascade's own cgroup.events (the tree's is the supervisor's, closed with it). */
static void close_events(struct corral_sup *s, struct ccasc *cc)
{
        if (cc->events_fd >= 0) {
                sup_unwatch(s, cc->events_fd);
                close(cc->events_fd);
        }
        cc->events_fd = -1;
}

/* Bottom-up: children first, then the actor; output finished (losses reported) first. */
static void reap_actor(struct corral_sup *s, struct actor *a)
{
        struct cerr err = {0};

        for (struct actor *c = a->first_child; c; c = c->next_sibling)
                reap_actor(s, c);
        actor_finish_output(s, a);
        actor_close_fds(s, a);
        actor_remove_node(s, a, &err);
}

static void reap(struct corral_sup *s, struct ccasc *cc)
{
        struct cerr err = {0};
        char buf[CERR_MSG_MAX + 64];
        struct corral_event e;
        int64_t now = mono_us();

        if (cc->root) {
                reap_actor(s, cc->root);
                /* a removed node's cgroup.events would report an error for ever */
                close_events(s, cc);
                return;
        }
        s->t_empty = now;
        /* every actor's output finished and fds closed; the tree's nodes go in one walk */
        for (uint32_t i = 1; i <= s->nactors; i++) {
                struct actor *a = s->by_id[i];

                if (a) {
                        actor_finish_output(s, a);
                        actor_close_fds(s, a);
                }
        }
        if (actors_remove_tree_nodes(s, &err) < 0) {
                ev_error(s, "%s", cerr_str(&err, buf, sizeof buf));
                s->stuck = true;
        } else {
                /* v1 groups hold no process once v2 says empty (every process is in both);
                 * a tree's v1 group exists only once a profile limited it (its fd is open
                 * from then on), and every actor's v1 group is below it */
                for (int c = 0; c < CG_NCTRL; c++) {
                        if (s->v1_tree[c] && s->v1_tree_node[c] && s->v1_tree_node[c]->fd >= 0 &&
                            cg_remove_tree(s->v1_tree[c], &err) < 0) {
                                ev_error(s, "%s", cerr_str(&err, buf, sizeof buf));
                                s->stuck = true;
                        }
                }
                s->t_removed = mono_us();
                for (uint32_t i = 1; i <= s->nactors; i++) {
                        if (s->by_id[i] && !s->by_id[i]->node_removed) {
                                s->by_id[i]->node_removed = true;
                                s->by_id[i]->t_removed = s->t_removed;
                        }
                }
                ev_init(s, &e, CORRAL_EV_REMOVED, NULL);
                e.u.removed.node = s->tree_node.path;
                e.u.removed.teardown_us = cc->c.start_us ? mono_us() - cc->c.start_us : -1;
                ev_emit(s, &e);
        }
        s->done = true;
}

static void step(struct corral_sup *s, struct ccasc *cc, struct cascade_in *in);

/* A stage entered by cc: the nested cascades behind it move there too (silently). */
static void pull_nested(struct corral_sup *s, struct ccasc *cc)
{
        for (struct ccasc *n = s->cascades; n; n = n->next) {
                struct cascade_in in = {
                    .ev = CE_OUTER, .outer_stage = cc->c.stage, .cap_us = cc->c.deadline_us};

                if (n->outer == cc && cascade_active(&n->c)) {
                        in.f = facts(s, n);
                        step(s, n, &in);
                }
        }
}

static void apply(struct corral_sup *s, struct ccasc *cc, const struct cascade_out *out)
{
        for (int i = 0; i < out->n; i++) {
                struct corral_event e;

                switch (out->a[i].act) {
                case CA_ENTER:
                        ev_init(s, &e, CORRAL_EV_CASCADE, cc->root);
                        e.u.cascade.stage = out->a[i].stage;
                        e.u.cascade.why = out->why;
                        ev_emit(s, &e);
                        if (out->a[i].stage == CS_INTERRUPT)
                                signal_subtree(s, cc, SIGINT);
                        else if (out->a[i].stage == CS_TERMINATE)
                                signal_subtree(s, cc, SIGTERM);
                        else if (out->a[i].stage == CS_KILL)
                                kill_node(s, cc);
                        else if (out->a[i].stage == CS_CANCEL)
                                cancel_heads(s, cc);
                        pull_nested(s, cc);
                        break;
                case CA_HOLD:
                case CA_HOLD_END:
                        ev_init(s, &e, CORRAL_EV_CASCADE, cc->root);
                        e.u.cascade.stage = out->a[i].stage;
                        e.u.cascade.why =
                            out->a[i].act == CA_HOLD ? "an actor of the subtree holds (HOLD)" : "";
                        e.u.cascade.hold = out->a[i].act == CA_HOLD ? "held" : out->hold_how;
                        ev_emit(s, &e);
                        break;
                case CA_KILL_AGAIN:
                        kill_node(s, cc);
                        break;
                case CA_STUCK:
                        report_stuck(s, cc);
                        break;
                case CA_GIVE_UP:
                        give_up(s, cc);
                        break;
                case CA_REAP:
                        reap(s, cc);
                        break;
                }
        }
}

static void step(struct corral_sup *s, struct ccasc *cc, struct cascade_in *in)
{
        struct cascade_out out;

        cascade_step(&cc->c, in, mono_us(), &out);
        apply(s, cc, &out);
}

/* RuntimeMaxSec=: an actor still running towards its expiry. */
static bool runtime_pending(const struct actor *a)
{
        return a && a->runtime_deadline_us && !a->ended && !a->timed_out;
}

/* The earliest expiry (0: none). A walk of the actors, after every event: only in a tree
 * whose profiles set RuntimeMaxSec= at all. */
static int64_t runtime_wakeup(const struct corral_sup *s)
{
        int64_t when = 0;

        for (uint32_t i = 1; s->runtime_limited && i <= s->nactors; i++) {
                const struct actor *a = s->by_id[i];

                if (runtime_pending(a) && (!when || a->runtime_deadline_us < when))
                        when = a->runtime_deadline_us;
        }
        return when;
}

/* Every actor whose RuntimeMaxSec= has expired: its subtree's cascade (the tree's, for the
 * actor that ends the tree), and its end is reported `timed-out`. */
static void runtime_expired(struct corral_sup *s)
{
        int64_t now = mono_us();

        for (uint32_t i = 1; s->runtime_limited && i <= s->nactors && !s->done; i++) {
                struct actor *a = s->by_id[i];
                char why[CASCADE_WHY_MAX], d[32];

                if (!runtime_pending(a) || a->runtime_deadline_us > now)
                        continue;
                a->timed_out = true;
                snprintf(why, sizeof why, "RuntimeMaxSec=%s expired",
                         units_format_duration(a->prof->p.runtime_max, d, sizeof d));
                teardown_request(s, a->ends_tree ? NULL : a, CM_GRACEFUL, why);
        }
}

static void arm_timer(struct corral_sup *s)
{
        struct itimerspec its = {0};
        int64_t when = s->frozen_since_us ? 0 : runtime_wakeup(s);

        for (struct ccasc *cc = s->frozen_since_us ? NULL : s->cascades; cc; cc = cc->next) {
                int64_t w = cascade_wakeup(&cc->c);

                if (w && (!when || w < when))
                        when = w;
        }
        if (when == s->timer_armed_us)
                return; /* already so */
        s->timer_armed_us = when;
        if (when > 0) {
                its.it_value.tv_sec = when / 1000000;
                its.it_value.tv_nsec = (when % 1000000) * 1000;
                if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
                        its.it_value.tv_nsec = 1;
        }
        timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void teardown_landed(struct corral_sup *s, struct actor *a)
{
        switch (teardown_stage_of(s, a)) {
        case CS_INTERRUPT:
                stage_signal(a, SIGINT);
                break;
        case CS_TERMINATE:
                stage_signal(a, SIGTERM);
                break;
        case CS_KILL:
        case CS_STUCK:
                a->sup_killed = true;
                pidfd_signal(a->pidfd, SIGKILL, NULL);
                break;
        default:
                break; /* stage 1: its parent, told SPAWNED, is the one to cancel it */
        }
}

/* The innermost running cascade whose subtree holds a (NULL when none). */
static struct ccasc *covering(const struct corral_sup *s, const struct actor *a)
{
        struct ccasc *best = NULL;
        int best_depth = -2;

        for (struct ccasc *cc = s->cascades; cc; cc = cc->next) {
                int d = cc->root ? cc->root->depth : -1;

                if (cascade_active(&cc->c) && covers(cc, a) && d > best_depth) {
                        best = cc;
                        best_depth = d;
                }
        }
        return best;
}

enum cstage teardown_stage_of(const struct corral_sup *s, const struct actor *a)
{
        const struct ccasc *cc = covering(s, a);

        return cc ? cc->c.stage : CS_IDLE;
}

static const struct profile *timeouts_of(const struct corral_sup *s, const struct actor *root)
{
        if (root)
                return &root->prof->p;
        /* the tree's: its first top-level actor's (corral run's root), else the first profile */
        return s->top ? &s->top->prof->p : &s->profiles[0].p;
}

static struct ccasc *cascade_for(struct corral_sup *s, struct actor *root)
{
        for (struct ccasc *cc = s->cascades; cc; cc = cc->next) {
                if (cc->root == root)
                        return cc;
        }
        return NULL;
}

/* A stage timeout, at most grace (0: no override). */
static uint64_t capped(uint64_t t, uint64_t grace)
{
        return grace && t > grace ? grace : t;
}

static struct ccasc *cascade_new(struct corral_sup *s, struct actor *root, uint64_t grace_us)
{
        const struct profile *p = timeouts_of(s, root);
        struct cascade_timeouts t = {.cancel = capped(p->timeout_cancel, grace_us),
                                     .interrupt = capped(p->timeout_interrupt, grace_us),
                                     .terminate = capped(p->timeout_terminate, grace_us),
                                     .kill = capped(p->timeout_kill, grace_us),
                                     .hold = capped(p->timeout_hold, grace_us)};
        struct ccasc *cc = calloc(1, sizeof *cc);
        bool hello = false;

        if (!cc)
                return NULL;
        cc->root = root;
        heads_walk(s, cc, hello_visit, &hello); /* stage 1 applies when a head can be asked */
        cascade_init(&cc->c, &t, hello);
        cc->events_fd = -1;
        if (!root) {
                cc->events_fd = s->tree_events_fd; /* watched since the tree was made */
        } else if (root->node_fd >= 0) {
                cc->events_fd = openat(root->node_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
                if (cc->events_fd >= 0)
                        sup_watch(s, cc->events_fd, EPOLLPRI, &cc->w_events, W_NODE, cc);
        }
        /* the enclosing cascade, and the ones this one now encloses */
        cc->outer = root ? covering(s, root->parent) : NULL;
        if (root && !root->parent && s->tree_casc && cascade_active(&s->tree_casc->c))
                cc->outer = s->tree_casc;
        for (struct ccasc *n = s->cascades; n; n = n->next) {
                if (n->root && n->root != root && covers(cc, n->root) &&
                    (!n->outer || n->outer == cc->outer))
                        n->outer = cc;
        }
        cc->next = s->cascades;
        s->cascades = cc;
        if (!root)
                s->tree_casc = cc;
        return cc;
}

int teardown_request(struct corral_sup *s, struct actor *root, enum cascade_mode how,
                     const char *why)
{
        return teardown_request_grace(s, root, how, why, 0);
}

int teardown_request_grace(struct corral_sup *s, struct actor *root, enum cascade_mode how,
                           const char *why, uint64_t grace_us)
{
        struct ccasc *cc = cascade_for(s, root);
        struct cascade_in in = {.ev = CE_REQUEST, .mode = how, .why = why};

        if (s->done)
                return 0;
        if (!cc && !(cc = cascade_new(s, root, grace_us)))
                return -1;
        if (cc->outer && cascade_active(&cc->outer->c)) {
                in.cap_us = cc->outer->c.deadline_us;
                in.outer_stage = cc->outer->c.stage;
        }
        in.f = facts(s, cc);
        step(s, cc, &in);
        teardown_progress(s);
        return 0;
}

void teardown_progress(struct corral_sup *s)
{
        for (struct ccasc *cc = s->cascades; cc && !s->done; cc = cc->next) {
                struct cascade_in in = {.ev = CE_UPDATE};

                if (!cascade_active(&cc->c))
                        continue;
                in.f = facts(s, cc);
                step(s, cc, &in);
        }
        arm_timer(s);
}

void teardown_on_timer(struct corral_sup *s)
{
        uint64_t ticks;

        (void)!read(s->tfd, &ticks, sizeof ticks);
        s->timer_armed_us = 0; /* it fired: disarmed */
        runtime_expired(s);
        for (struct ccasc *cc = s->cascades; cc && !s->done; cc = cc->next) {
                struct cascade_in in = {.ev = CE_TIMER};

                if (!cascade_active(&cc->c))
                        continue;
                in.f = facts(s, cc);
                step(s, cc, &in);
        }
        arm_timer(s);
}

static void shift(int64_t *t, int64_t d)
{
        if (*t)
                *t += d;
}

void teardown_frozen(struct corral_sup *s, bool frozen)
{
        int64_t d;

        if (frozen) {
                s->frozen_since_us = mono_us();
                arm_timer(s); /* disarmed */
                return;
        }
        if (!s->frozen_since_us)
                return;
        /* every deadline moves on by the time the tree stood still */
        d = mono_us() - s->frozen_since_us;
        s->frozen_since_us = 0;
        for (struct ccasc *cc = s->cascades; cc; cc = cc->next) {
                struct cascade *c = &cc->c;

                shift(&c->start_us, d);
                shift(&c->deadline_us, d);
                shift(&c->cap_us, d);
                shift(&c->kill_recheck_us, d);
                shift(&c->stage_start_us, d);
                if (c->holding)
                        shift(&c->hold_since_us, d);
        }
        for (uint32_t i = 1; i <= s->nactors; i++) {
                if (s->by_id[i])
                        shift(&s->by_id[i]->runtime_deadline_us, d);
        }
        arm_timer(s);
}

void teardown_on_node(struct corral_sup *s, struct ccasc *cc)
{
        char buf[128];

        /* Always re-read: kernfs keeps cgroup.events readable for POLLPRI until the file is
         * read again, so an event left unread makes epoll_wait return at once, forever. (cc is
         * NULL for the tree's node when no cascade runs on it.) */
        if (cc)
                (void)node_populated(s, cc);
        else
                (void)!pread(s->tree_events_fd, buf, sizeof buf, 0);
        teardown_progress(s);
}

static bool children_left(const struct actor *a)
{
        for (const struct actor *c = a->first_child; c; c = c->next_sibling) {
                if (!c->node_removed)
                        return true;
        }
        return false;
}

void teardown_actor_ended(struct corral_sup *s, struct actor *a)
{
        char buf[128];
        long long v;
        int fd;
        ssize_t n;

        /* once nothing is left in its node (its children's nodes gone too), also inside a
         * cascade: its parent is told CHILD_EXITED now, and a cooperative parent waiting for
         * that is not kept waiting for its own cascade's end */
        if (!a->ended || a->node_removed || children_left(a) || a->node_fd < 0)
                return;
        fd = openat(a->node_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT)
                return;
        if (fd >= 0) {
                n = read(fd, buf, sizeof buf - 1);
                close(fd);
                if (n <= 0)
                        return;
                buf[n] = '\0';
                if (cg_kv_get(buf, "populated", &v) != 0 || v != 0)
                        return;
        }
        /* (no cgroup.events: `corral kill --force` removed its node from outside, once its
         * processes were gone; the node's empty) */
        reap_actor(s, a);
        /* a parent that ended before it may go now */
        if (a->node_removed && a->parent)
                teardown_actor_ended(s, a->parent);
}

void teardown_free(struct corral_sup *s)
{
        while (s->cascades) {
                struct ccasc *cc = s->cascades;

                s->cascades = cc->next;
                if (cc->root)
                        close_events(s, cc);
                free(cc);
        }
        s->tree_casc = NULL;
}

int teardown_freeze(struct corral_sup *s, bool freeze, const char *why)
{
        struct corral_event e;
        struct cerr err = {0};

        if (freeze == (s->frozen_since_us != 0) || s->done)
                return 0;
        if (cg_node_write(&s->tree_node, "cgroup.freeze", freeze ? "1" : "0", &err) < 0) {
                char buf[CERR_MSG_MAX + 64];

                ev_error(s, "%s the tree: %s", freeze ? "freezing" : "thawing",
                         cerr_str(&err, buf, sizeof buf));
                return -1;
        }
        teardown_frozen(s, freeze);
        ev_init(s, &e, CORRAL_EV_FREEZE, NULL);
        e.u.freeze.frozen = freeze;
        e.u.freeze.why = why;
        ev_emit(s, &e);
        return 0;
}
