/* The benchmark entry point: one supervisor, many sequential spawns (see bench_api.h).
 *
 * Setup mirrors supervisor_run() step for step (the tree itself through sup_setup_tree());
 * everything per spawn and per kill is the supervisor's own code: actor_spawn(), the
 * zygote, the shim, the actor_on_* handlers, cascade_kill_now() and the reap stage. When
 * supervisor_run() gains a setup step, add it here too. */
#include "bench_api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../ns/clone.h"
#include "../ns/creds.h"
#include "../ns/timeutil.h"
#include "sup.h"

struct bench_sup {
        struct supervisor s;
        struct sup_options opt;
        struct profile prof;
        bool have_prof;
        int devnull;
        volatile sig_atomic_t *stop;
        int timeout_ms;
};

static void bench_init(struct bench_sup *b)
{
        sup_init(&b->s, &b->opt);
        b->devnull = -1;
}

int bench_sup_open(struct bench_sup **out, const struct bench_sup_options *o, struct cerr *err)
{
        static unsigned seq;
        struct bench_sup *b = calloc(1, sizeof *b);
        struct supervisor *s;

        *out = NULL;
        if (!b)
                return cerr_set(err, ENOMEM, "alloc", "bench supervisor");
        s = &b->s;
        bench_init(b);
        b->stop = o->stop;
        b->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
        b->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (b->devnull < 0) {
                cerr_set(err, errno, "open", "/dev/null");
                goto fail;
        }
        if (profile_copy(&b->prof, o->profile, err) < 0)
                goto fail;
        b->have_prof = true;
        b->opt.profile = &b->prof;
        b->opt.out_fd = o->out_fd >= 0 ? o->out_fd : b->devnull;
        b->opt.err_fd = o->err_fd >= 0 ? o->err_fd : b->devnull;
        b->opt.tree_name = s->tree;
        outstream_open(&s->out, b->opt.out_fd);
        outstream_open(&s->errs, b->opt.err_fd);
        getrlimit(RLIMIT_NOFILE, &s->caller_nofile);
        if (o->tree_name)
                snprintf(s->tree, sizeof s->tree, "%s", o->tree_name);
        else
                snprintf(s->tree, sizeof s->tree, "bench-%d-%u", (int)getpid(), ++seq);
        if (!sup_name_valid(s->tree)) {
                cerr_set(err, EINVAL, "usage", "invalid tree name '%s'", s->tree);
                goto fail;
        }

        if (sup_start(s, &b->prof, err) < 0)
                goto fail;
        /* without the orphan sweep: the bench sweeps its own */
        if (sup_setup_tree(s, false, err) < 0)
                goto fail;
        *out = b;
        return 0;
fail:
        bench_sup_close(b);
        return -1;
}

/* The supervisor's dispatch, minus signals (the caller owns them). Outside the kill stage a
 * cgroup.events wake-up is only consumed: an actor's exit must not end the tree. */
/* The supervisor's own dispatch, but for cgroup.events outside a kill: the bench watches its
 * actors one at a time and must not let the cascade reap the tree between spawns (the file
 * is still read, which re-arms it). */
static void dispatch(struct supervisor *s, struct watch *w, uint32_t events, bool killing)
{
        if (w->kind == W_TREE_EVENTS && !killing)
                (void)sup_tree_populated(s);
        else
                sup_dispatch(s, w, events);
}

enum until { U_REPLIED, U_STARTED, U_FINISHED, U_DONE };

static bool reached(const struct supervisor *s, enum until u)
{
        const struct actor *a = s->root;

        switch (u) {
        case U_REPLIED:
                return !a || a->replied;
        case U_STARTED:
                return !a || a->started || a->spawn_failed || a->finished;
        case U_FINISHED:
                return !a || a->finished;
        case U_DONE:
                return s->done;
        }
        return true;
}

/* Run the event loop until u holds. In the kill stage (U_DONE), *t_empty gets the time of
 * the turn in which the supervisor found the tree empty and removed it. */
static int loop_until(struct bench_sup *b, enum until u, int64_t *t_empty, struct cerr *err)
{
        struct supervisor *s = &b->s;
        int64_t deadline = mono_us() + (int64_t)b->timeout_ms * 1000;
        bool killing = u == U_DONE;

        while (!reached(s, u)) {
                struct epoll_event evs[16];
                int64_t left = deadline - mono_us();
                int n;

                if (b->stop && *b->stop)
                        return cerr_set(err, ECANCELED, "bench", "interrupted");
                if (left <= 0)
                        return cerr_set(err, ETIMEDOUT, "bench", "no progress in %d ms",
                                        b->timeout_ms);
                n = epoll_wait(s->epfd, evs, 16, (int)(left / 1000) + 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cerr_set(err, errno, "epoll", "epoll_wait");
                for (int i = 0; i < n; i++) {
                        int64_t stamp = mono_us();

                        dispatch(s, evs[i].data.ptr, evs[i].events, killing);
                        if (killing && s->done && t_empty && !*t_empty)
                                *t_empty = stamp;
                        /* the rest of the batch may name an actor that is about to go */
                        if (reached(s, u))
                                return 0;
                }
                if (killing) {
                        int64_t stamp = mono_us();

                        cascade_progress(s);
                        if (s->done && t_empty && !*t_empty)
                                *t_empty = stamp;
                }
        }
        return 0;
}

static void actor_free(struct supervisor *s, struct actor *a)
{
        if (!a)
                return;
        actor_close(s, a);
        profile_free(&a->prof);
        if (s->root == a)
                s->root = NULL;
        free(a);
}

/* An exited actor's nodes: v2 node (with self/) and its v1 mirrors. */
static int remove_actor_nodes(struct actor *a, struct cerr *err)
{
        int rc = 0;

        if (a->node.path[0] && cg_remove_tree(a->node.path, err) < 0)
                rc = -1;
        for (int c = 0; c < CG_NCTRL; c++) {
                if (a->v1node[c].path[0] && cg_remove_tree(a->v1node[c].path, err) < 0)
                        rc = -1;
        }
        return rc;
}

int bench_sup_spawn(struct bench_sup *b, char *const *argv, bool wait_exit,
                    struct bench_spawn_times *t, struct cerr *err)
{
        struct supervisor *s = &b->s;
        struct actor *a;

        memset(t, 0, sizeof *t);
        if (s->root || s->done || s->stage != CS_IDLE)
                return cerr_set(err, EBUSY, "bench", "one actor at a time, before any kill");
        t->t_request = mono_us();
        a = calloc(1, sizeof *a);
        if (!a)
                return cerr_set(err, ENOMEM, "alloc", "actor");
        a->id = ++s->next_id;
        snprintf(a->name, sizeof a->name, "a");
        if (profile_copy(&a->prof, &b->prof, err) < 0) {
                free(a);
                return -1;
        }
        s->root = a;
        if (actor_spawn(s, a, argv, err) < 0) {
                struct cerr e2 = {0};

                actor_close(s, a);
                remove_actor_nodes(a, &e2);
                actor_free(s, a);
                return -1;
        }
        t->t_sent = mono_us();
        if (loop_until(b, U_REPLIED, NULL, err) < 0)
                return -1; /* the actor stays: bench_sup_close() deals with it */
        t->t_replied = mono_us();
        if (loop_until(b, U_STARTED, NULL, err) < 0)
                return -1;
        t->pid = a->pid;
        if (a->started)
                t->t_started = mono_us();
        if (a->spawn_failed || (a->finished && !a->started)) {
                struct cerr e2 = {0};

                cerr_set(err, a->fail_errno, "spawn", "%s",
                         a->reason[0] ? a->reason : "the actor died before it started");
                if (loop_until(b, U_FINISHED, NULL, &e2) == 0) {
                        actor_close(s, a);
                        remove_actor_nodes(a, &e2);
                        actor_free(s, a);
                }
                return -1;
        }
        if (!wait_exit)
                return 0;
        if (loop_until(b, U_FINISHED, NULL, err) < 0)
                return -1;
        t->t_reaped = mono_us();
        t->have_status = a->have_report;
        t->wstatus = a->wstatus;
        actor_close(s, a);
        if (remove_actor_nodes(a, err) < 0)
                return -1;
        t->t_removed = mono_us();
        actor_free(s, a);
        return 0;
}

const char *bench_sup_actor_leaf(const struct bench_sup *b)
{
        return b->s.root ? b->s.root->self.path : NULL;
}

const char *bench_sup_tree_path(const struct bench_sup *b)
{
        return b->s.tree_node.path;
}

pid_t bench_sup_zygote_pid(const struct bench_sup *b)
{
        return b->s.zy.pid;
}

int bench_sup_kill(struct bench_sup *b, struct bench_kill_times *t, struct cerr *err)
{
        struct supervisor *s = &b->s;

        memset(t, 0, sizeof *t);
        if (!s->root || s->done)
                return cerr_set(err, EINVAL, "bench", "no running actor to kill");
        t->t_request = mono_us();
        cascade_kill_now(s, "bench");
        if (s->done)
                t->t_empty = mono_us();
        if (loop_until(b, U_DONE, &t->t_empty, err) < 0)
                return -1;
        t->t_removed = mono_us();
        if (s->stuck)
                return cerr_set(err, EBUSY, "bench", "the tree is stuck");
        return 0;
}

/* Whatever is left: a live or in-flight actor, the tree in every hierarchy. */
void bench_sup_close(struct bench_sup *b)
{
        struct supervisor *s;
        struct cerr err = {0};
        struct actor *a;

        if (!b)
                return;
        s = &b->s;
        a = s->root;
        if (a && !a->replied && s->zy.sock >= 0) {
                int saved = b->timeout_ms;

                b->timeout_ms = 2000; /* a reply in flight names a pid we must reap */
                b->stop = NULL;
                loop_until(b, U_REPLIED, NULL, &err);
                b->timeout_ms = saved;
        }
        if (s->zy.pid > 0)
                zygote_stop(&s->zy); /* from here on, nothing new lands in the tree */
        if (s->tree_created && access(s->tree_node.path, F_OK) == 0) {
                struct cg_node n;

                if (cg_node_open(&n, s->tree_node.path, &err) == 0) {
                        if (cg_node_populated(&n, &err) != 0) {
                                cg_node_kill(&n, &err);
                                cg_node_wait_empty(&n, 5000, &err);
                        }
                        cg_node_close(&n);
                }
        }
        if (a) {
                if (a->pidfd >= 0)
                        pidfd_wait(a->pidfd, 5000, NULL, &err);
                actor_free(s, a);
        }
        if (s->tree_events_fd >= 0)
                close(s->tree_events_fd);
        cg_node_close(&s->tree_node);
        cg_node_close(&s->base);
        for (int c = 0; c < CG_NCTRL; c++)
                cg_node_close(&s->v1_tree_node[c]);
        if (s->tree_created) {
                cg_remove_tree(s->tree_node.path, &err);
                for (int c = 0; c < CG_NCTRL; c++) {
                        if (s->v1_tree[c][0])
                                cg_remove_tree(s->v1_tree[c], &err);
                }
        }
        if (s->reg.fd >= 0)
                registry_release(&s->reg);
        if (s->epfd >= 0)
                close(s->epfd);
        if (s->tfd >= 0)
                close(s->tfd);
        outstream_close(&s->out);
        outstream_close(&s->errs);
        seccomp_fprog_free(&s->bpf);
        if (b->have_prof)
                profile_free(&b->prof);
        if (b->devnull >= 0)
                close(b->devnull);
        free(b);
}
