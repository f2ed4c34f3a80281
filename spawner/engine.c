/* The supervisor engine's API (supervisor.h): dispatch, spawn, cancel, what it knows, close;
 * and the handlers of every fd it watches. The rest lives by concern: open.c (opening),
 * actors.c (the table), spawn.c (requests), teardown.c (cascades), events.c (records and
 * output queues). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ns/fdpass.h"
#include "../ns/clone.h"
#include "../ns/signals.h"
#include "../ns/spare_ns.h"
#include "../ns/syscalls.h"
#include "../ns/timeutil.h"
#include "shim.h"
#include "sup.h"

/* ---- ends of actors ---- */

/* A child's end the parent would call a failure (DESIGN §6: anything but `exited 0` outside a
 * cascade), unless the parent asked for the cancel, or it came from OnChildFailure=
 * cancel-parent. */
static bool child_failed(const struct actor *a)
{
        if (a->excused)
                return false;
        if (a->state == AS_SPAWN_FAILED)
                return true;
        return !a->asked_by_parent && (a->ended_in != CS_IDLE || actor_exit_code(a) != 0);
}

/* OnChildFailure= of the parent's profile: the supervisor acts at once (one-cancels-all
 * without the runtime writing it); `notify` leaves it to CHILD_EXITED. A parent already
 * cancelling is past deciding. */
static void on_child_failure(struct corral_sup *s, struct actor *a)
{
        struct actor *p = a->parent;
        char why[CASCADE_WHY_MAX];

        if (!p || p->ended || teardown_stage_of(s, p) != CS_IDLE || !child_failed(a))
                return;
        switch (p->prof->p.on_child_failure) {
        case ON_CHILD_FAILURE_NOTIFY:
                break;
        case ON_CHILD_FAILURE_CANCEL_SIBLINGS:
                snprintf(why, sizeof why, "sibling %s-%u failed (OnChildFailure=cancel-siblings)",
                         a->name, a->id);
                for (struct actor *c = p->first_child; c; c = c->next_sibling) {
                        if (c == a || c->node_removed || teardown_stage_of(s, c) != CS_IDLE)
                                continue;
                        c->asked_by_parent = true;
                        teardown_request(s, c, CM_GRACEFUL, why);
                }
                break;
        case ON_CHILD_FAILURE_CANCEL_PARENT:
                snprintf(why, sizeof why, "child %s-%u failed (OnChildFailure=cancel-parent)",
                         a->name, a->id);
                p->excused = true; /* not a failure for its own parent */
                teardown_request(s, p, CM_GRACEFUL, why);
                break;
        }
}

/* An actor's end known: its node goes when nothing is left in it; what is left (children, or
 * processes that entered its node) never outlives it: a cascade on its node. The tree's end
 * follows the actor that ends it (corral run's program). */
static void after_end(struct corral_sup *s, struct actor *a)
{
        teardown_actor_ended(s, a);
        if (a->ends_tree)
                teardown_request(s, NULL, CM_GRACEFUL,
                                 "leftover processes after the program exited");
        else if (!a->node_removed && a->node_fd >= 0)
                /* (inside a running cascade too: a nested one, on its own timeouts, capped) */
                teardown_request(s, a, CM_GRACEFUL,
                                 a->first_child ? "it exited with children left: an actor never "
                                                  "outlives its parent"
                                                : "leftover processes after the program exited");
        on_child_failure(s, a);
}

static void end_actor(struct corral_sup *s, struct actor *a)
{
        actor_ended(s, a, teardown_stage_of(s, a));
        after_end(s, a);
}

static void on_pidfd(struct corral_sup *s, struct actor *a)
{
        struct cerr err = {0};
        int status = WSTATUS_UNKNOWN;

        if (a->ended || a->pidfd < 0)
                return;
        if (pidfd_wait(a->pidfd, 0, &status, &err) == 0)
                return; /* spurious */
        a->shim_status = status;
        end_actor(s, a);
}

/* A spawn that will never be answered (the zygote is gone): it fails, whatever it was. */
static void fail_unanswered(struct corral_sup *s, struct actor *a)
{
        a->in_flight = false;
        s->n_in_flight--;
        a->dead = true;
        actor_spawn_failed(s, a, STAGE_NONE, EPIPE, "zygote");
        a->waiting = 0;
        end_actor(s, a);
}

static void zygote_lost(struct corral_sup *s)
{
        sup_unwatch(s, s->zy.sock);
        spawn_drop_queue(s);
        while (s->in_flight_head) {
                struct actor *a = s->in_flight_head;

                s->in_flight_head = a->next_in_flight;
                fail_unanswered(s, a);
        }
        s->in_flight_tail = NULL;
        /* queued ones never reached it */
        for (uint32_t i = 1; i <= s->nactors; i++) {
                struct actor *a = s->by_id[i];

                if (a && a->in_flight)
                        fail_unanswered(s, a);
        }
}

/* The zygote died while we still needed it: say how (it was killed, or crashed). */
static void zygote_exited(struct corral_sup *s)
{
        siginfo_t si;

        sup_unwatch(s, s->zy.pidfd);
        memset(&si, 0, sizeof si);
        if (waitid((idtype_t)P_PIDFD, (id_t)s->zy.pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            si.si_pid > 0) {
                if (si.si_code == CLD_EXITED)
                        ev_error(s, "the spawn server (zygote, pid %d) exited with status %d",
                                 (int)si.si_pid, si.si_status);
                else
                        ev_error(s, "the spawn server (zygote, pid %d) died of %s", (int)si.si_pid,
                                 sig_name(si.si_status));
        }
        zygote_lost(s);
}

static struct actor *take_in_flight(struct corral_sup *s, uint32_t req_id, bool unnamed)
{
        struct actor *prev = NULL;

        for (struct actor *a = s->in_flight_head; a; prev = a, a = a->next_in_flight) {
                /* the zygote answers a request it could not even parse with req_id 0: it reads
                 * requests in order, so that is the oldest one it has not answered */
                if (a->req_id != req_id && !unnamed)
                        continue;
                if (prev)
                        prev->next_in_flight = a->next_in_flight;
                else
                        s->in_flight_head = a->next_in_flight;
                if (s->in_flight_tail == a)
                        s->in_flight_tail = prev;
                a->next_in_flight = NULL;
                a->in_flight = false;
                s->n_in_flight--;
                return a;
        }
        return NULL;
}

/* The zygote's reply to a's request (or what the supervisor's own clone said: spawn.c): the
 * shim's pid and pidfd, or why there is none. */
static void land(struct corral_sup *s, struct actor *a, const struct spec_reply *rep, int pidfd)
{
        a->t_replied = mono_us();
        a->fallback = rep->fallback;
        a->spare_ns = rep->spare_ns;
        _Static_assert(CORRAL_SPARE_NET == 1u << SPARE_NET && CORRAL_SPARE_IPC == 1u << SPARE_IPC,
                       "the reply's bits are the API's");
        if (rep->pid > 0 && pidfd >= 0) {
                a->pid = rep->pid;
                a->pidfd = pidfd;
                sup_watch(s, a->pidfd, EPOLLIN, &a->w_pidfd, W_PIDFD, a);
                teardown_landed(s, a);
                for (int sig = 1; a->pending_sigs && sig < 64; sig++) {
                        if (a->pending_sigs & (1ull << sig))
                                pidfd_signal(a->pidfd, sig, NULL);
                }
                a->pending_sigs = 0;
        } else {
                if (pidfd >= 0)
                        close(pidfd);
                a->dead = true;
        }
        if (rep->errnum)
                actor_spawn_failed(s, a, rep->stage, rep->errnum,
                                   rep->stage == STAGE_NONE ? rep->msg : NULL);
        a->waiting &= ~(unsigned)WAIT_REPLY;
        actor_emit_started(s, a);
        if (a->dead)
                end_actor(s, a);
}

static void on_reply(struct corral_sup *s)
{
        struct spec_reply rep;
        struct actor *a;
        int pidfd = -1;
        ssize_t n = fdpass_recv(s->zy.sock, &rep, sizeof rep, &pidfd, MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                zygote_lost(s);
                return;
        }
        a = (size_t)n == sizeof rep && rep.magic == SPEC_MAGIC
                ? take_in_flight(s, rep.req_id, rep.req_id == 0 && rep.errnum)
                : NULL;
        if (!a) {
                if (pidfd >= 0)
                        close(pidfd);
                return; /* not a reply we are waiting for */
        }
        land(s, a, &rep, pidfd);
}

/* A shim that stopped (SIGSTOP from outside: the only signal that can stop it) cannot forward
 * signals or report the program's end: its subtree's cascade starts (the tree's, for the actor
 * whose end ends the tree), and its deadlines bound what follows. */
static void check_stopped(struct corral_sup *s)
{
        struct signalfd_siginfo si;

        while (read(s->cfd, &si, sizeof si) == sizeof si)
                ; /* coalesced anyway: look at every shim */
        for (uint32_t i = 1; i <= s->nactors; i++) {
                struct actor *a = s->by_id[i];
                siginfo_t info;

                if (!a || a->dead || a->pidfd < 0)
                        continue;
                memset(&info, 0, sizeof info);
                if (waitid((idtype_t)P_PIDFD, (id_t)a->pidfd, &info, WSTOPPED | WNOHANG) == 0 &&
                    info.si_pid > 0 && info.si_code == CLD_STOPPED) {
                        char why[96];

                        snprintf(why, sizeof why, "the shim (pid %d) was stopped (%s)",
                                 (int)info.si_pid, sig_name(info.si_status));
                        teardown_request(s, a->ends_tree ? NULL : a, CM_GRACEFUL, why);
                }
        }
}

static void on_output(struct corral_sup *s, struct actor *a, bool is_err)
{
        struct drain *d = is_err ? a->err : a->out;
        int fd = d ? d->fd : -1;

        /* a bounded budget per turn: one flooding actor cannot starve the loop */
        if (d && drain_read(d, 1 << 20, output_mode(a)) == 0)
                sup_unwatch(s, fd);
        outqs_update(s);
        output_report_drops(s, a);
}

/* A SPAWN that passed its checks (ctl.c), spawned below the actor that asked. */
static void spawn_for(struct corral_sup *s, struct actor *a, struct ctl_spawn *sp)
{
        struct corral_spawn req = {.parent = a->id,
                                   .name = sp->name,
                                   .profile = sp->profile,
                                   .argv = (char *const *)sp->argv,
                                   .env = (char *const *)sp->env,
                                   .pass = sp->pass,
                                   .npass = sp->npass};
        struct cerr err = {0};
        char text[CERR_MSG_MAX + 64];
        uint32_t id = 0;

        if (corral_sup_spawn(s, &req, &id, &err) < 0)
                ctl_send_error(s, a, sp->seq, "spawn", err.errnum,
                               cerr_str(&err, text, sizeof text));
        else
                ctl_child_requested(s, actor_get(s, id), sp->seq);
        /* sent to the zygote, or duplicated by a request that waits for room */
        for (int i = 0; i < sp->npass; i++)
                close(sp->pass[i].fd);
}

static void on_ctl(struct corral_sup *s, struct actor *a, uint32_t events)
{
        static struct ctl_spawn sp;
        int budget = CORRAL_TURN_MSGS; /* no actor starves the others */

        if (events & EPOLLOUT)
                ctl_flush(s, a);
        while (ctl_read(s, a, &budget, &sp) > 0)
                spawn_for(s, a, &sp);
}

static void dispatch_one(struct corral_sup *s, struct watch *w, uint32_t events)
{
        switch (w->kind) {
        case W_ZYGOTE:
                if (events & EPOLLIN)
                        on_reply(s);
                else if (events & (EPOLLHUP | EPOLLERR))
                        zygote_lost(s);
                if ((events & EPOLLOUT) && s->zy.sock >= 0)
                        spawn_send_queued(s);
                break;
        case W_ZYGOTE_PID:
                zygote_exited(s);
                break;
        case W_CHILD:
                check_stopped(s);
                break;
        case W_TIMER:
                teardown_on_timer(s);
                break;
        case W_NODE:
                teardown_on_node(s, w->p ? w->p : s->tree_casc);
                break;
        case W_PIDFD:
                on_pidfd(s, w->p);
                break;
        case W_EXEC:
                actor_on_exec(s, w->p);
                break;
        case W_REPORT:
                actor_on_report(s, w->p);
                break;
        case W_OUT:
        case W_ERR:
                /* output means execve succeeded (only the program writes there): `started`
                 * is said first, whichever of the two epoll listed first, and even before the
                 * shim dropped its copy of the exec pipe */
                actor_on_output_first(s, w->p);
                on_output(s, w->p, w->kind == W_ERR);
                break;
        case W_OUTQ:
                outq_on_writable(s, w->p);
                break;
        case W_CTL:
                on_ctl(s, w->p, events);
                break;
        case W_ADMIN:
                admin_on_listen(s);
                break;
        case W_ADMIN_CONN:
                admin_on_conn(s, w->p, events);
                break;
        }
}

/* The tree is done: nothing but the output queues stays in the epoll set (a removed node's
 * cgroup.events reports an error for ever, the zygote's pidfd and the SIGCHLD signalfd may
 * be readable), so that a consumer flushing them waits instead of spinning. */
static void quiesce(struct corral_sup *s)
{
        int fds[] = {s->tree_events_fd, s->tfd, s->zy.sock, s->zy.pidfd, s->cfd};

        for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
                sup_unwatch(s, fds[i]);
        for (struct ccasc *cc = s->cascades; cc; cc = cc->next)
                sup_unwatch(s, cc->events_fd);
        admin_close(s); /* (after the last DONE: admin_progress came first) */
        s->quiet = true;
}

/* `corral kill --force` removed the tree's node under us (while we were stopped, say): every
 * actor is gone with it, and nothing we would do now (cascades, removals, reports of ends)
 * means anything. Done at once, and said by corral_sup_tree(); the record goes at close. The
 * node's path carries its random id, so no other tree can have taken it meanwhile. */
static bool tree_vanished(struct corral_sup *s)
{
        if (!s->tree_created || access(s->tree_node.path, F_OK) == 0 || errno != ENOENT)
                return false;
        s->force_killed = true;
        s->tree_created = false; /* nothing of it to remove */
        s->done = true;
        quiesce(s);
        return true;
}

int corral_sup_dispatch(struct corral_sup *s, int timeout_ms, struct cerr *err)
{
        struct epoll_event evs[32];
        int n;

        if (s->late_pending && !s->done)
                sup_late_open(s); /* (late_housekeeping, and no spawn came first) */
        n = epoll_wait(s->epfd, evs, 32, timeout_ms);
        if (n < 0 && errno == EINTR)
                return 0;
        if (n < 0)
                return cerr_set(err, errno, CERR_EPOLL, "epoll_wait");
        if (n > 0 && !s->done && tree_vanished(s))
                return n;
        for (int i = 0; i < n; i++) {
                const struct watch *w = evs[i].data.ptr;

                /* once the tree is done, only its output queues are left to write */
                if (s->done && w->kind != W_OUTQ)
                        continue;
                dispatch_one(s, evs[i].data.ptr, evs[i].events);
                if (!s->done)
                        teardown_progress(s);
        }
        admin_progress(s);
        if (s->done && !s->quiet)
                quiesce(s);
        return n;
}

int corral_sup_fd(const struct corral_sup *s)
{
        return s->epfd;
}

bool corral_sup_done(const struct corral_sup *s)
{
        return s->done;
}

/* ---- spawning, cancelling ---- */

static void unlink_actor(struct corral_sup *s, struct actor *a);

static void discard_actor(struct corral_sup *s, struct actor *a)
{
        struct cerr e2 = {0};

        actor_close_fds(s, a);
        if (a->node_fd >= 0 || access(a->node, F_OK) == 0)
                actor_remove_node(s, a, &e2);
        unlink_actor(s, a);
        actor_free(s, a);
}

int corral_sup_spawn(struct corral_sup *s, const struct corral_spawn *req, uint32_t *id,
                     struct cerr *err)
{
        struct actor *parent = NULL, *a;
        const struct sup_profile *prof;
        struct spawn_here here;
        int rc;

        if (s->done)
                return cerr_set(err, ESHUTDOWN, CERR_SPAWN, "the tree is gone");
        if (req->parent && !(parent = actor_get(s, req->parent)))
                return cerr_set(err, ENOENT, CERR_SPAWN, "no actor %u to be a parent", req->parent);
        if (!req->name || !sup_name_valid(req->name))
                return cerr_set(err, EINVAL, CERR_SPAWN, "invalid actor name '%s'",
                                req->name ? req->name : "");
        if (!req->argv || !req->argv[0])
                return cerr_set(err, EINVAL, CERR_SPAWN, "no program given");
        if (req->npass < 0 || req->npass > SPEC_MAX_PASS)
                return cerr_set(err, E2BIG, CERR_SPAWN, "at most %d fds can be passed",
                                SPEC_MAX_PASS);
        /* Once a subtree is cancelling, nothing new starts inside it (DESIGN §6). */
        if ((parent && (parent->ended || teardown_stage_of(s, parent) != CS_IDLE)) ||
            (s->tree_casc && cascade_active(&s->tree_casc->c)))
                return cerr_set(err, ECANCELED, CERR_SPAWN,
                                "the parent's subtree is being cancelled");
        if (s->paused)
                return cerr_set(err, EAGAIN, CERR_SPAWN,
                                "the event queue is full (its reader is slow): try again");
        prof = spawn_profile(s, req->profile);
        if (!prof)
                return cerr_set(err, ENOENT, CERR_SPAWN, "no profile '%s' in this tree's policy",
                                req->profile);
        a = actor_new(s, parent, req->name, prof, err);
        if (!a)
                return -1;
        a->ends_tree = req->flags & CORRAL_SPAWN_ENDS_TREE;
        rc = spawn_actor(s, a, req, &here, err);
        sup_late_open(s); /* (late_housekeeping: while the new shim does its mounts) */
        if (rc < 0) {
                discard_actor(s, a); /* nothing was cloned: what we made goes */
                return -1;
        }
        *id = a->id;
        if (here.cloned)
                land(s, a, &here.rep, here.pidfd); /* (which ends it when nothing runs) */
        else if (a->ended)
                after_end(s, a); /* its program could not be found: an actor that failed */
        teardown_progress(s);
        return 0;
}

int corral_sup_cancel(struct corral_sup *s, uint32_t actor, enum cascade_mode how, const char *why)
{
        struct actor *a = NULL;

        if (actor && !(a = actor_get(s, actor)))
                return -1;
        /* a frozen tree could act on nothing the cascade asks: thawed first */
        if (s->frozen_since_us)
                corral_sup_freeze(s, false, "a cascade was requested");
        return teardown_request(s, a, how, why);
}

int corral_sup_freeze(struct corral_sup *s, bool freeze, const char *why)
{
        return teardown_freeze(s, freeze, why);
}

int corral_sup_signal(struct corral_sup *s, uint32_t actor, int sig)
{
        return actor_signal(s, actor_get(s, actor), sig);
}

void corral_sup_emit(struct corral_sup *s, struct corral_event *e)
{
        e->time_us = mono_us() - s->t0_us;
        e->tree = s->tree;
        ev_emit(s, e);
}

size_t corral_sup_output_pending(const struct corral_sup *s)
{
        return outq_pending(&s->out.q) + outq_pending(&s->errq.q);
}

/* ---- what the engine knows ---- */

static enum corral_actor_state public_state(enum actor_state st)
{
        switch (st) {
        case AS_STARTING:
                return CORRAL_ACTOR_STARTING;
        case AS_RUNNING:
                return CORRAL_ACTOR_RUNNING;
        case AS_CANCELLING:
                return CORRAL_ACTOR_CANCELLING;
        case AS_EXITED:
                return CORRAL_ACTOR_EXITED;
        case AS_SPAWN_FAILED:
                break;
        }
        return CORRAL_ACTOR_SPAWN_FAILED;
}

/* An execve that failed with no detail of its own, or a script's (run by its path): the
 * message names the program and user. */
static bool plain_execve(const struct actor *a)
{
        return a->fail_stage == STAGE_EXECVE && a->exec_desc &&
               (strcmp(a->fail_msg, "execve") == 0 || strcmp(a->fail_msg, "execve-script") == 0);
}

int corral_sup_take_pty(struct corral_sup *s, uint32_t id)
{
        struct actor *a = actor_get(s, id);
        int fd;

        if (!a)
                return -1;
        fd = a->pty_master;
        a->pty_master = -1;
        return fd;
}

int corral_sup_actor(const struct corral_sup *s, uint32_t id, struct corral_actor_info *info)
{
        const struct actor *a = actor_get(s, id);

        memset(info, 0, sizeof *info);
        if (!a)
                return -1;
        info->state = public_state(a->state);
        info->ended = a->ended;
        info->node_removed = a->node_removed;
        info->pid = a->pid;
        info->fallback = a->fallback;
        info->spare_ns = a->spare_ns;
        info->exit_code = a->ended ? actor_exit_code(a) : 0;
        info->have_status = a->have_report;
        info->timed_out = a->timed_out;
        info->wstatus = a->wstatus;
        if (a->state == AS_SPAWN_FAILED && a->fail_stage == STAGE_CHDIR &&
            a->prof->p.working_directory)
                snprintf(info->spawn_error, sizeof info->spawn_error,
                         "spawn failed at chdir to %s (WorkingDirectory=, inside the actor's "
                         "mounts): %s",
                         a->prof->p.working_directory, strerror(a->fail_errno));
        else if (a->state == AS_SPAWN_FAILED)
                snprintf(info->spawn_error, sizeof info->spawn_error,
                         "spawn failed at %s%s%s%s: %s", plain_execve(a) ? "execve" : a->fail_msg,
                         plain_execve(a) ? " of " : "", plain_execve(a) ? a->exec_desc : "",
                         strcmp(a->fail_msg, "execve-script") == 0
                             ? ": a script runs by its path, which the actor's own mounts hide "
                               "(a private /tmp, a TemporaryFileSystem= or InaccessiblePaths=)"
                             : "",
                         strerror(a->fail_errno));
        info->leaf = a->node_removed ? NULL : a->leaf;
        info->t_request = a->t_request;
        info->t_sent = a->t_sent;
        info->t_replied = a->t_replied;
        info->t_started = a->t_started;
        info->t_exited = a->t_exited;
        info->t_removed = a->t_removed;
        return 0;
}

static void unlink_actor(struct corral_sup *s, struct actor *a)
{
        struct actor **link = a->parent ? &a->parent->first_child : &s->top;

        while (*link && *link != a)
                link = &(*link)->next_sibling;
        if (*link)
                *link = a->next_sibling;
}

int corral_sup_release(struct corral_sup *s, uint32_t id)
{
        struct actor *a = actor_get(s, id);

        if (!a) {
                errno = ENOENT;
                return -1;
        }
        if (!a->ended || !a->node_removed || a->first_child) {
                errno = EBUSY;
                return -1;
        }
        unlink_actor(s, a);
        actor_free(s, a);
        return 0;
}

void corral_sup_tree(const struct corral_sup *s, struct corral_tree_info *info)
{
        memset(info, 0, sizeof *info);
        info->name = s->tree;
        info->node = s->tree_node.path;
        info->zygote = s->zy.pid;
        info->stuck = s->stuck;
        info->in_flight = s->n_in_flight;
        for (uint32_t i = 1; i <= s->nactors; i++)
                info->queued += s->by_id[i] && s->by_id[i]->queued;
        info->t_empty = s->t_empty;
        info->t_removed = s->t_removed;
        info->force_killed = s->force_killed;
}

/* ---- closing ---- */

/* What is left when the tree did not end by itself: spawns answered first (a reply names a
 * shim we must reap), then no zygote, the tree killed, every shim reaped, the nodes gone. */
static void force_end(struct corral_sup *s)
{
        struct cerr err = {0};
        int64_t end = mono_ms() + 2000;

        while (s->n_in_flight > 0 && s->zy.sock >= 0 && mono_ms() < end &&
               corral_sup_dispatch(s, (int)(end - mono_ms()), &err) >= 0)
                ;
        if (s->zy.pid > 0)
                zygote_stop(&s->zy); /* from here on, nothing new lands in the tree */
        if (s->tree_created && access(s->tree_node.path, F_OK) == 0) {
                if (cg_node_populated(&s->tree_node, &err) != 0) {
                        cg_node_kill(&s->tree_node, &err);
                        cg_node_wait_empty(&s->tree_node, 5000, &err);
                }
        }
        for (uint32_t i = 1; i <= s->nactors; i++) {
                struct actor *a = s->by_id[i];

                if (a && a->pidfd >= 0)
                        pidfd_wait(a->pidfd, 5000, NULL, &err);
        }
        if (s->tree_created) {
                cg_node_close(&s->tree_node);
                cg_remove_tree(s->tree_node.path, &err);
                for (int c = 0; c < CG_NCTRL; c++) {
                        if (s->v1_tree[c])
                                cg_remove_tree(s->v1_tree[c], &err);
                }
        }
}

void corral_sup_close(struct corral_sup *s)
{
        if (!s)
                return;
        admin_close(s);
        if (!s->done)
                force_end(s);
        outqs_flush(s, CORRAL_FLUSH_MS);
        spawn_drop_queue(s);
        teardown_free(s);
        for (uint32_t i = 1; i <= s->nactors; i++) {
                if (s->by_id[i])
                        actor_free(s, s->by_id[i]);
        }
        free(s->by_id);
        if (s->zy.pid > 0)
                zygote_stop(&s->zy);
        if (s->tree_events_fd >= 0)
                close(s->tree_events_fd);
        /* the tree's network namespace goes with its last process once no fd holds it */
        if (s->tree_netns_fd >= 0)
                close(s->tree_netns_fd);
        cg_node_close(&s->tree_node);
        cg_node_close(&s->base);
        for (int c = 0; c < CG_NCTRL; c++) {
                if (s->v1_tree_node[c])
                        cg_node_close(s->v1_tree_node[c]);
                free(s->v1_tree_node[c]);
                free(s->v1_tree[c]);
        }
        /* the record goes only with the tree: a stuck tree stays findable */
        if (!s->stuck && s->reg.fd >= 0)
                registry_release(&s->reg);
        else if (s->reg.fd >= 0)
                close(s->reg.fd);
        outqs_close(s);
        if (s->epfd >= 0)
                close(s->epfd);
        if (s->cfd >= 0)
                close(s->cfd);
        if (s->tfd >= 0)
                close(s->tfd);
        for (size_t i = 0; i < s->nprofiles; i++) {
                if (s->profiles[i].compiled)
                        seccomp_fprog_free(&s->profiles[i].bpf);
                profile_free(&s->profiles[i].p);
        }
        free(s->profiles);
        cg_mounts_free(&s->host);
        free(s);
}
