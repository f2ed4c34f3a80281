/* The benchmark's supervisor (bench_sup.h): the engine's API and nothing else. */
#include "bench_sup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../spawner/supervisor.h"
#include "../events_fmt.h"

struct bench_sup {
        struct corral_sup *s;
        struct profile prof;
        bool have_prof;
        int devnull;
        bool events; /* events as text to err_fd */
        volatile sig_atomic_t *stop;
        int timeout_ms;
        uint32_t actor; /* the actor of the last spawn, 0 when none */
        bench_event_fn on_actor;
        void *actor_ctx;
};

static int64_t now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_event(struct corral_sup *s, const struct corral_event *e, void *ctx)
{
        const struct bench_sup *b = ctx;
        char line[EVENT_LINE_MAX];

        if (b->on_actor && e->actor_id) {
                struct bench_event be = {.actor = e->actor_id, .parent = e->parent_id};

                be.kind = e->type == CORRAL_EV_STARTED        ? BENCH_EV_STARTED
                          : e->type == CORRAL_EV_SPAWN_FAILED ? BENCH_EV_SPAWN_FAILED
                                                              : BENCH_EV_EXITED;
                if (e->type == CORRAL_EV_EXITED)
                        be.exit_code = e->u.exited.exit_code;
                if (e->type == CORRAL_EV_STARTED || e->type == CORRAL_EV_SPAWN_FAILED ||
                    e->type == CORRAL_EV_EXITED)
                        b->on_actor(b->actor_ctx, &be);
        }
        if (b->events)
                corral_sup_write_events(s, line, event_format(e, false, line, sizeof line));
}

int bench_sup_open(struct bench_sup **out, const struct bench_sup_options *o, struct cerr *err)
{
        static unsigned seq;
        struct bench_sup *b = calloc(1, sizeof *b);
        struct corral_sup_options so = {0};
        char tree[PROFILE_NAME_MAX + 1];

        *out = NULL;
        if (!b)
                return cerr_set(err, ENOMEM, CERR_ALLOC, "bench supervisor");
        b->stop = o->stop;
        b->on_actor = o->on_actor;
        b->actor_ctx = o->actor_ctx;
        b->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
        b->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (b->devnull < 0) {
                cerr_set(err, errno, CERR_OPEN, "/dev/null");
                goto fail;
        }
        if (profile_copy(&b->prof, o->profile, err) < 0)
                goto fail;
        b->have_prof = true;
        if (o->tree_name)
                snprintf(tree, sizeof tree, "%s", o->tree_name);
        else
                snprintf(tree, sizeof tree, "bench-%d-%u", (int)getpid(), ++seq);
        b->events = o->err_fd >= 0;
        so.tree_name = tree;
        so.profiles = &b->prof;
        so.nprofiles = 1;
        so.out_fd = o->out_fd >= 0 ? o->out_fd : b->devnull;
        so.err_fd = o->err_fd >= 0 ? o->err_fd : b->devnull;
        so.on_event = on_event;
        so.event_ctx = b; /* (no orphan sweep: the bench sweeps its own) */
        if (corral_sup_open(&b->s, &so, err) < 0)
                goto fail;
        *out = b;
        return 0;
fail:
        bench_sup_close(b);
        return -1;
}

enum until { U_REPLIED, U_STARTED, U_REMOVED, U_DONE };

static bool reached(const struct bench_sup *b, enum until u)
{
        struct corral_actor_info i;

        if (u == U_DONE)
                return corral_sup_done(b->s);
        if (!b->actor || corral_sup_actor(b->s, b->actor, &i) < 0)
                return true;
        switch (u) {
        case U_REPLIED:
                return i.t_replied || i.ended;
        case U_STARTED:
                return i.state != CORRAL_ACTOR_STARTING || i.ended;
        case U_REMOVED:
                return i.ended && i.node_removed;
        case U_DONE:
                break;
        }
        return true;
}

/* The engine's loop, until u holds (or the bound passes). */
static int loop_until(struct bench_sup *b, enum until u, struct cerr *err)
{
        int64_t deadline = now_us() + (int64_t)b->timeout_ms * 1000;

        while (!reached(b, u)) {
                int64_t left = deadline - now_us();

                if (b->stop && *b->stop)
                        return cerr_set(err, ECANCELED, CERR_BENCH, "interrupted");
                if (left <= 0)
                        return cerr_set(err, ETIMEDOUT, CERR_BENCH, "no progress in %d ms",
                                        b->timeout_ms);
                if (corral_sup_dispatch(b->s, (int)(left / 1000) + 1, err) < 0)
                        return -1;
        }
        return 0;
}

int bench_sup_spawn(struct bench_sup *b, char *const *argv, bool wait_exit,
                    struct bench_spawn_times *t, struct cerr *err)
{
        struct corral_spawn req = {.name = "a", .argv = argv};
        struct corral_actor_info i;

        memset(t, 0, sizeof *t);
        if (b->actor && (corral_sup_actor(b->s, b->actor, &i) < 0 || !i.node_removed))
                return cerr_set(err, EBUSY, CERR_BENCH, "one actor at a time, before any kill");
        if (b->actor)
                corral_sup_release(b->s, b->actor);
        t->t_request = now_us();
        if (corral_sup_spawn(b->s, &req, &b->actor, err) < 0)
                return -1;
        if (loop_until(b, U_REPLIED, err) < 0 || loop_until(b, U_STARTED, err) < 0)
                return -1; /* the actor stays: bench_sup_close() deals with it */
        corral_sup_actor(b->s, b->actor, &i);
        t->t_sent = i.t_sent;
        t->t_replied = i.t_replied;
        t->t_started = i.t_started;
        t->pid = i.pid;
        if (!i.t_started) {
                struct cerr e2 = {0};

                cerr_set(err, 0, CERR_SPAWN, "%s",
                         i.spawn_error[0] ? i.spawn_error : "the actor died before it started");
                loop_until(b, U_REMOVED, &e2);
                return -1;
        }
        if (!wait_exit)
                return 0;
        if (loop_until(b, U_REMOVED, err) < 0)
                return -1;
        corral_sup_actor(b->s, b->actor, &i);
        t->t_reaped = i.t_exited;
        t->have_status = i.have_status;
        t->wstatus = i.wstatus;
        t->t_removed = i.t_removed;
        /* its record goes: a thousand spawns must not grow the bench process (the fork-style
         * baselines measured in it copy its page tables) */
        corral_sup_release(b->s, b->actor);
        b->actor = 0;
        return 0;
}

const char *bench_sup_actor_leaf(const struct bench_sup *b)
{
        struct corral_actor_info i;

        return b->actor && corral_sup_actor(b->s, b->actor, &i) == 0 ? i.leaf : NULL;
}

const char *bench_sup_tree_path(const struct bench_sup *b)
{
        struct corral_tree_info t;

        corral_sup_tree(b->s, &t);
        return t.node;
}

pid_t bench_sup_zygote_pid(const struct bench_sup *b)
{
        struct corral_tree_info t;

        corral_sup_tree(b->s, &t);
        return t.zygote;
}

static int cancel_tree(struct bench_sup *b, enum cascade_mode how, struct bench_kill_times *t,
                       struct cerr *err)
{
        struct corral_tree_info ti;

        memset(t, 0, sizeof *t);
        t->t_request = now_us();
        corral_sup_cancel(b->s, 0, how, "bench");
        if (loop_until(b, U_DONE, err) < 0)
                return -1;
        corral_sup_tree(b->s, &ti);
        t->t_empty = ti.t_empty;
        t->t_removed = ti.t_removed;
        if (ti.stuck)
                return cerr_set(err, EBUSY, CERR_BENCH, "the tree is stuck");
        return 0;
}

int bench_sup_kill(struct bench_sup *b, struct bench_kill_times *t, struct cerr *err)
{
        if (!b->actor || corral_sup_done(b->s)) {
                memset(t, 0, sizeof *t);
                return cerr_set(err, EINVAL, CERR_BENCH, "no running actor to kill");
        }
        return cancel_tree(b, CM_KILL, t, err);
}

int bench_sup_cancel_tree(struct bench_sup *b, bool graceful, struct bench_kill_times *t,
                          struct cerr *err)
{
        if (corral_sup_done(b->s)) {
                memset(t, 0, sizeof *t);
                return cerr_set(err, EINVAL, CERR_BENCH, "the tree is gone already");
        }
        return cancel_tree(b, graceful ? CM_GRACEFUL : CM_KILL, t, err);
}

int bench_sup_start(struct bench_sup *b, char *const *argv, uint32_t *id, struct cerr *err)
{
        static unsigned seq;
        char name[32];
        struct corral_spawn req = {.name = name, .argv = argv};

        snprintf(name, sizeof name, "t%u", ++seq);
        return corral_sup_spawn(b->s, &req, id, err);
}

int bench_sup_wait(struct bench_sup *b, bool (*done)(void *ctx), void *ctx, int timeout_ms,
                   struct cerr *err)
{
        int64_t deadline = now_us() + (int64_t)timeout_ms * 1000;

        while (!done(ctx)) {
                int64_t left = deadline - now_us();

                if (b->stop && *b->stop)
                        return cerr_set(err, ECANCELED, CERR_BENCH, "interrupted");
                if (left <= 0)
                        return cerr_set(err, ETIMEDOUT, CERR_BENCH, "not done in %d ms",
                                        timeout_ms);
                if (corral_sup_dispatch(b->s, (int)(left / 1000) + 1, err) < 0)
                        return -1;
        }
        return 0;
}

int bench_sup_idle(struct bench_sup *b, int ms, long *wakeups, struct cerr *err)
{
        int64_t end = now_us() + (int64_t)ms * 1000;

        *wakeups = 0;
        for (int64_t left; (left = end - now_us()) > 0;) {
                if (b->stop && *b->stop)
                        return cerr_set(err, ECANCELED, CERR_BENCH, "interrupted");
                if (corral_sup_dispatch(b->s, (int)((left + 999) / 1000), err) < 0)
                        return -1;
                /* back before its time: something woke the engine */
                *wakeups += now_us() < end;
        }
        return 0;
}

int bench_sup_times(const struct bench_sup *b, uint32_t id, struct bench_actor_times *t)
{
        struct corral_actor_info i;

        memset(t, 0, sizeof *t);
        if (corral_sup_actor(b->s, id, &i) < 0)
                return -1;
        t->t_request = i.t_request;
        t->t_started = i.t_started;
        t->t_exited = i.t_exited;
        t->t_removed = i.t_removed;
        t->ended = i.ended;
        t->removed = i.node_removed;
        t->exit_code = i.exit_code;
        return 0;
}

void bench_sup_close(struct bench_sup *b)
{
        if (!b)
                return;
        corral_sup_close(b->s);
        if (b->have_prof)
                profile_free(&b->prof);
        if (b->devnull >= 0)
                close(b->devnull);
        free(b);
}
