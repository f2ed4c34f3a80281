/* Event records to the consumer's sink, and the output queues they and actor output go
 * through (supervisor.h: CORRAL_OUTQ_*). No formatting here: tools/ decides how events read. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "../ns/timeutil.h"
#include "sup.h"

void ev_init(struct corral_sup *s, struct corral_event *e, enum corral_ev_type type,
             const struct actor *a)
{
        memset(e, 0, sizeof *e);
        e->type = type;
        e->time_us = mono_us() - s->t0_us;
        e->tree = s->tree;
        if (a) {
                e->actor = a->name;
                e->actor_id = a->id;
                e->parent_id = a->parent ? a->parent->id : 0;
        }
}

void ev_emit(struct corral_sup *s, struct corral_event *e)
{
        if (s->admin_tap)
                s->admin_tap(s, e);
        if (s->opt.on_event)
                s->opt.on_event(s, e, s->opt.event_ctx);
}

void ev_error(struct corral_sup *s, const char *fmt, ...)
{
        struct corral_event e;
        char msg[CERR_MSG_MAX + 64];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        ev_init(s, &e, CORRAL_EV_ERROR, NULL);
        e.u.error.message = msg;
        ev_emit(s, &e);
}

int corral_sup_write_events(struct corral_sup *s, const void *buf, size_t len)
{
        if (s->errq.q.s.failed)
                return 0; /* stderr cannot be written: there is nowhere to say so either */
        if (outq_push(&s->errq.q, buf, len, CORRAL_OUTQ_MAX, true) == len) {
                outqs_update(s);
                return 0;
        }
        s->events_lost++;
        return -1;
}

void outqs_open(struct corral_sup *s)
{
        outq_open(&s->out.q, s->opt.out_fd);
        outq_open(&s->errq.q, s->opt.err_fd);
}

/* Watch a queue's fd for room only while something waits in it (level-triggered). */
static void watch_queue(struct corral_sup *s, struct sup_outq *q)
{
        int fd = outstream_pollable_fd(&q->q.s);
        bool want = outq_pending(&q->q) > 0 && fd >= 0;

        if (want == q->watching || s->epfd < 0)
                return;
        if (want) {
                struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = &q->w};

                q->w.kind = W_OUTQ;
                q->w.p = q;
                q->watching = epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
        } else {
                epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
                q->watching = false;
        }
}

/* Outside a cascade an actor's `log` output waits while its queue is full (backpressure: its
 * pipe fills and its writes block); once a cascade signalled it, or with LogOverflow=drop,
 * its output is read on and what the queue cannot take is dropped and reported. */
enum drain_mode output_mode(const struct actor *a)
{
        return a->prof->p.log_overflow == LOG_OVERFLOW_DROP || a->state == AS_CANCELLING
                   ? DRAIN_DROP
                   : DRAIN_WAIT;
}

/* EPOLLIN on an actor's pipe while it may be read now. Once the queue's reader is gone, the
 * read end is closed: the actor's next write meets EPIPE (and SIGPIPE), as in a pipeline. */
static void drain_watch(struct corral_sup *s, struct drain *d, struct watch *w,
                        enum drain_mode mode)
{
        struct epoll_event ev = {.data.ptr = w};
        bool want;

        if (!d || d->fd < 0)
                return;
        if (d->dst->s.gone) {
                drain_close(d); /* (closing takes it out of the epoll set) */
                return;
        }
        want = mode == DRAIN_DROP || !drain_blocked(d);
        if (want == d->reading)
                return;
        ev.events = want ? EPOLLIN : 0;
        if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, d->fd, &ev) == 0)
                d->reading = want;
}

void output_watch(struct corral_sup *s, struct actor *a)
{
        enum drain_mode mode = output_mode(a);

        drain_watch(s, a->out, &a->w_out, mode);
        drain_watch(s, a->err, &a->w_err, mode);
}

void output_report_drops(struct corral_sup *s, struct actor *a)
{
        struct drain *d[2] = {a->out, a->err};

        for (int i = 0; i < 2; i++) {
                struct corral_event e;

                if (!d[i] || !d[i]->dropped)
                        continue;
                ev_init(s, &e, CORRAL_EV_OUTPUT_DROPPED, a);
                e.u.output_dropped.stream = i == 0 ? "stdout" : "stderr";
                e.u.output_dropped.bytes = d[i]->dropped;
                e.u.output_dropped.of = d[i]->bytes;
                d[i]->dropped = 0;
                ev_emit(s, &e);
        }
}

/* A queue went full or has room again, or lost its reader: every drain into it looks again. */
static void queue_changed(struct corral_sup *s, struct sup_outq *q)
{
        bool blocked = outq_pending(&q->q) >= CORRAL_OUTQ_DATA_MAX;

        if (blocked == q->blocked && q->q.s.gone == q->gone)
                return;
        q->blocked = blocked;
        q->gone = q->q.s.gone;
        for (uint32_t i = 1; i <= s->nactors; i++) {
                if (s->by_id[i])
                        output_watch(s, s->by_id[i]);
        }
}

/* Writing to one of the consumer's fds failed (not EPIPE: ENOSPC, EIO...): said once, in the
 * other queue's events when it is the output's. Program output for it is dropped from now on,
 * each drop an output-dropped event. */
static void say_failed(struct corral_sup *s, struct sup_outq *q, const char *which)
{
        if (!q->q.s.failed || q->said_failed)
                return;
        q->said_failed = true;
        ev_error(s,
                 "writing to corral's %s failed: %s; %llu bytes queued for it were lost, and "
                 "program output to it is dropped from now on",
                 which, strerror(q->q.s.failed), (unsigned long long)q->q.discarded);
}

void outqs_update(struct corral_sup *s)
{
        watch_queue(s, &s->out);
        watch_queue(s, &s->errq);
        say_failed(s, &s->out, "stdout");
        say_failed(s, &s->errq, "stderr");
        queue_changed(s, &s->out);
        queue_changed(s, &s->errq);
        /* while the event queue is past the data mark, the engine takes no spawn */
        s->paused = outq_pending(&s->errq.q) > CORRAL_OUTQ_DATA_MAX;
        /* once there is room again, say how many records were lost (itself an event) */
        if (s->events_lost && outq_pending(&s->errq.q) < CORRAL_OUTQ_DATA_MAX) {
                struct corral_event e;

                ev_init(s, &e, CORRAL_EV_EVENTS_LOST, NULL);
                e.u.events_lost.count = s->events_lost;
                s->events_lost = 0;
                ev_emit(s, &e);
        }
}

void outq_on_writable(struct corral_sup *s, struct sup_outq *q)
{
        outq_flush(&q->q);
        outqs_update(s);
}

int outqs_flush(struct corral_sup *s, int timeout_ms)
{
        int64_t deadline = mono_ms() + timeout_ms;
        struct sup_outq *qs[2] = {&s->out, &s->errq};

        for (int i = 0; i < 2; i++) {
                while (outq_flush(&qs[i]->q) > 0) {
                        int fd = outstream_pollable_fd(&qs[i]->q.s);
                        int64_t left = deadline - mono_ms();

                        if (fd < 0 || left <= 0)
                                return -1;
                        if (poll(&(struct pollfd){.fd = fd, .events = POLLOUT}, 1, (int)left) < 0 &&
                            errno != EINTR)
                                return -1;
                }
        }
        return 0;
}

void outqs_close(struct corral_sup *s)
{
        struct sup_outq *qs[2] = {&s->out, &s->errq};

        for (int i = 0; i < 2; i++) {
                int fd = outstream_pollable_fd(&qs[i]->q.s);

                if (qs[i]->watching && s->epfd >= 0 && fd >= 0)
                        epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
                qs[i]->watching = false;
                outq_close(&qs[i]->q);
        }
}
