/* The control channel's supervisor end, and what the supervisor sends on it (DESIGN §8,
 * PROTOCOL.md): one SOCK_SEQPACKET socketpair per actor, whose other end is the actor's fd
 * 3+N. Nothing here blocks: what an actor does not read waits in a bounded queue, and an
 * actor that lets it fill loses its channel (an event says why). What the supervisor reads
 * from the channel is ctl.c's. */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corral.h"
#include "sup.h"

#define CTL_QUEUE_MAX 1024 /* messages waiting for an actor that does not read */

struct ctl_out {
        struct ctl_out *next;
        size_t len;
        char buf[];
};

int ctl_open(struct corral_sup *s, struct actor *a, int *actor_end, struct cerr *err)
{
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &a->w_ctl};
        struct stat st;
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return cerr_set(err, errno, CERR_SPAWN, "the control channel (socketpair)");
        /* ours never blocks; the actor's end blocks or not as its runtime decides */
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        if (fstat(sv[1], &st) == 0)
                a->ctl_peer_ino = st.st_ino;
        a->w_ctl.kind = W_CTL;
        a->w_ctl.p = a;
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, sv[0], &ev) < 0) {
                int e = errno;

                close(sv[0]);
                close(sv[1]);
                return cerr_set(err, e, CERR_SPAWN, "epoll_ctl (the control channel)");
        }
        a->ctl_fd = sv[0];
        *actor_end = sv[1];
        return 0;
}

void ctl_close(struct corral_sup *s, struct actor *a, const char *why)
{
        if (a->ctl_fd < 0)
                return;
        close(a->ctl_fd); /* (which takes it out of the epoll set) */
        a->ctl_fd = -1;
        while (a->ctl_q) {
                struct ctl_out *o = a->ctl_q;

                a->ctl_q = o->next;
                free(o);
        }
        a->ctl_q_tail = NULL;
        a->ctl_qn = 0;
        if (why) {
                struct corral_event e;

                ev_init(s, &e, CORRAL_EV_CHANNEL_CLOSED, a);
                e.u.channel_closed.why = why;
                ev_emit(s, &e);
        }
}

/* ---- sending ---- */

static void watch_out(struct corral_sup *s, struct actor *a)
{
        struct epoll_event ev = {.events = EPOLLIN | (a->ctl_q ? EPOLLOUT : 0),
                                 .data.ptr = &a->w_ctl};

        epoll_ctl(s->epfd, EPOLL_CTL_MOD, a->ctl_fd, &ev);
}

void ctl_send(struct corral_sup *s, struct actor *a, const struct nlmsghdr *h)
{
        struct ctl_out *o;

        if (a->ctl_fd < 0)
                return;
        if (!a->ctl_q && send(a->ctl_fd, h, h->nlmsg_len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
                return;
        if (!a->ctl_q && errno != EAGAIN) {
                ctl_close(s, a, NULL); /* its end is gone (EPIPE): nothing to say it on */
                return;
        }
        if (a->ctl_qn >= CTL_QUEUE_MAX || !(o = malloc(sizeof *o + h->nlmsg_len))) {
                ctl_close(s, a, "the actor does not read its channel: its queue is full");
                return;
        }
        o->next = NULL;
        o->len = h->nlmsg_len;
        memcpy(o->buf, h, h->nlmsg_len);
        if (a->ctl_q_tail)
                a->ctl_q_tail->next = o;
        else
                a->ctl_q = o;
        a->ctl_q_tail = o;
        a->ctl_qn++;
        watch_out(s, a);
}

void ctl_flush(struct corral_sup *s, struct actor *a)
{
        while (a->ctl_q && a->ctl_fd >= 0) {
                struct ctl_out *o = a->ctl_q;

                if (send(a->ctl_fd, o->buf, o->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                        if (errno != EAGAIN)
                                ctl_close(s, a, NULL);
                        return;
                }
                a->ctl_q = o->next;
                if (!a->ctl_q)
                        a->ctl_q_tail = NULL;
                a->ctl_qn--;
                free(o);
        }
        if (a->ctl_fd >= 0)
                watch_out(s, a);
}

struct nlmsghdr *ctl_msg(char *buf, uint16_t type, uint32_t seq)
{
        struct nlmsghdr *h = mnl_nlmsg_put_header(buf);

        h->nlmsg_type = type;
        h->nlmsg_seq = seq;
        return h;
}

void ctl_send_error(struct corral_sup *s, struct actor *a, uint32_t seq, const char *stage,
                    int errnum, const char *text)
{
        char buf[CTL_SMALL_MSG + CERR_MSG_MAX];
        struct nlmsghdr *h = ctl_msg(buf, CORRAL_MSG_ERROR, seq);

        mnl_attr_put_strz(h, CORRAL_A_STAGE, stage);
        mnl_attr_put_u32(h, CORRAL_A_ERRNO, (uint32_t)errnum);
        mnl_attr_put_strz(h, CORRAL_A_TEXT, text);
        ctl_send(s, a, h);
}

/* ---- what a parent is told about its children ---- */

static void tell_ready(struct corral_sup *s, struct actor *child)
{
        char buf[CTL_SMALL_MSG];
        struct nlmsghdr *h = ctl_msg(buf, CORRAL_MSG_CHILD_READY, 0);

        mnl_attr_put_u32(h, CORRAL_A_CHILD_ID, child->id);
        ctl_send(s, child->parent, h);
}

void ctl_child_requested(struct corral_sup *s, struct actor *child, uint32_t seq)
{
        child->spawn_seq = seq ? seq : UINT32_MAX;
        /* (a program that could not be found has failed already, inside the spawn call) */
        if (child->state == AS_SPAWN_FAILED)
                ctl_child_failed(s, child);
}

void ctl_child_spawned(struct corral_sup *s, struct actor *child)
{
        char buf[CTL_SMALL_MSG];
        struct nlmsghdr *h;

        if (!child->parent || !child->spawn_seq || child->told_spawned)
                return;
        child->told_spawned = true;
        h = ctl_msg(buf, CORRAL_MSG_SPAWNED, child->spawn_seq);
        mnl_attr_put_u32(h, CORRAL_A_CHILD_ID, child->id);
        mnl_attr_put_strz(h, CORRAL_A_NAME, child->name);
        ctl_send(s, child->parent, h);
        if (child->said_hello)
                tell_ready(s, child); /* its HELLO came first */
}

void ctl_child_hello(struct corral_sup *s, struct actor *child)
{
        if (child->parent && child->told_spawned)
                tell_ready(s, child);
        /* else: said with SPAWNED */
}

void ctl_child_failed(struct corral_sup *s, struct actor *child)
{
        if (!child->parent || !child->spawn_seq || child->told_spawned)
                return;
        child->told_spawned = true; /* its answer: no CHILD_EXITED follows an ERROR */
        child->told_exited = true;
        ctl_send_error(s, child->parent, child->spawn_seq, child->fail_msg, child->fail_errno,
                       child->reason);
}

/* "exited 3" -> "exited"; "interrupted (signaled SIGINT)" -> "interrupted" */
static void reason_word(const char *reason, char *out, size_t len)
{
        size_t n = strcspn(reason, " (");

        snprintf(out, len, "%.*s", (int)n, reason);
}

static void tell_exited(struct corral_sup *s, struct actor *child, int exit_code, const char *stuck)
{
        char buf[CTL_SMALL_MSG + sizeof child->reason + 160];
        char word[32], text[sizeof child->reason + 160];
        struct nlmsghdr *h;
        int st = child->have_report ? child->wstatus : child->shim_status;

        if (!child->parent || !child->told_spawned || child->told_exited)
                return;
        child->told_exited = true;
        h = ctl_msg(buf, CORRAL_MSG_CHILD_EXITED, 0);
        mnl_attr_put_u32(h, CORRAL_A_CHILD_ID, child->id);
        reason_word(stuck ? "stuck" : child->reason, word, sizeof word);
        if (stuck)
                snprintf(text, sizeof text, "stuck: %.120s (%s)", stuck,
                         child->ended ? child->reason : "still running");
        else
                snprintf(text, sizeof text, "%s", child->reason);
        mnl_attr_put_strz(h, CORRAL_A_REASON, word);
        mnl_attr_put_strz(h, CORRAL_A_TEXT, text);
        mnl_attr_put_u32(h, CORRAL_A_EXIT_CODE, (uint32_t)exit_code);
        mnl_attr_put_u32(h, CORRAL_A_SIGNAL, WIFSIGNALED(st) ? (uint32_t)WTERMSIG(st) : 0);
        mnl_attr_put_strz(h, CORRAL_A_STAGE, cstage_name(child->ended_in));
        mnl_attr_put_u64(h, CORRAL_A_DURATION_US,
                         child->t_started && child->t_exited > child->t_started
                             ? (uint64_t)(child->t_exited - child->t_started)
                             : 0);
        ctl_send(s, child->parent, h);
}

void ctl_child_exited(struct corral_sup *s, struct actor *child, int exit_code)
{
        tell_exited(s, child, exit_code, NULL);
}

void ctl_child_stuck(struct corral_sup *s, struct actor *child, int exit_code, const char *pids)
{
        tell_exited(s, child, exit_code, pids);
}

void ctl_cancel(struct corral_sup *s, struct actor *a, uint64_t time_left_us)
{
        char buf[CTL_SMALL_MSG];
        struct nlmsghdr *h = ctl_msg(buf, CORRAL_MSG_CANCEL, 0);

        mnl_attr_put_u64(h, CORRAL_A_TIME_LEFT_US, time_left_us);
        ctl_send(s, a, h);
}
