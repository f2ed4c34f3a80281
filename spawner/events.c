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

/* While the event queue is past the data mark, no actor output is read: its pipes leave
 * epoll's interest until the queue drains. */
static void set_paused(struct corral_sup *s, bool paused)
{
        if (paused == s->paused)
                return;
        s->paused = paused;
        for (uint32_t i = 1; i <= s->nactors; i++) {
                struct actor *a = s->by_id[i];
                struct drain *d[2] = {a ? a->out : NULL, a ? a->err : NULL};
                struct watch *w[2] = {a ? &a->w_out : NULL, a ? &a->w_err : NULL};

                for (int k = 0; k < 2; k++) {
                        struct epoll_event ev = {.events = paused ? 0 : EPOLLIN, .data.ptr = w[k]};

                        if (d[k] && d[k]->fd >= 0)
                                epoll_ctl(s->epfd, EPOLL_CTL_MOD, d[k]->fd, &ev);
                }
        }
}

void outqs_update(struct corral_sup *s)
{
        watch_queue(s, &s->out);
        watch_queue(s, &s->errq);
        set_paused(s, outq_pending(&s->errq.q) > CORRAL_OUTQ_DATA_MAX);
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
