/* The cancel cascade on a tree (DESIGN §6): every stage has a deadline, so teardown is
 * bounded by the sum of the stage timeouts plus the kernel's kill latency; it never hangs.
 *
 *   cancel (IPC; skipped for actors that never said HELLO) -> interrupt (SIGINT through each
 *   shim) -> terminate (SIGTERM + SIGCONT) -> kill (cgroup.kill, repeated while populated)
 *   -> stuck (reported with the pids left) ; reap (remove the nodes) once empty.
 *
 * Signals only reach actors through their shims; once no actor is alive there is nobody to
 * ask politely, and whatever still populates the tree (a process moved into it from outside)
 * goes straight to the kill stage. */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../ns/clone.h"
#include "../ns/signals.h"
#include "../ns/timeutil.h"
#include "sup.h"

#define KILL_RECHECK_US 50000 /* re-write cgroup.kill while populated, at most this often */

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

static bool any_live(struct supervisor *s)
{
        return s->root && actor_live(s->root);
}

static const struct profile *timeouts(struct supervisor *s)
{
        return &s->root->prof;
}

static void signal_actors(struct supervisor *s, int sig)
{
        struct actor *a = s->root;

        if (a && actor_live(a) && a->pidfd >= 0) {
                pidfd_signal(a->pidfd, sig,
                             NULL); /* the shim forwards it (and SIGCONT after TERM) */
                /* a stopped shim forwards nothing: stage 3 wakes it (SIGTERM waits pending) */
                if (sig == SIGTERM)
                        pidfd_signal(a->pidfd, SIGCONT, NULL);
        }
}

static void kill_tree(struct supervisor *s)
{
        struct cerr err = {0};

        if (cg_node_kill(&s->tree_node, &err) < 0 && err.errnum != ENOENT) {
                struct ev e;
                char buf[600];

                ev_begin(&e, s, "error", NULL);
                ev_str(&e, "message", cerr_str(&err, buf, sizeof buf));
                ev_end(&e);
        }
        s->kill_recheck_us = mono_us() + KILL_RECHECK_US;
}

static void enter(struct supervisor *s, enum cstage stage, const char *why)
{
        const struct profile *p = timeouts(s);
        int64_t now = mono_us();
        struct ev e;

        s->stage = stage;
        if (!s->casc_start_us)
                s->casc_start_us = now;
        ev_begin(&e, s, "cascade", NULL);
        ev_str(&e, "stage", cstage_name(stage));
        ev_str(&e, "why", why);
        ev_end(&e);
        switch (stage) {
        case CS_CANCEL:
                s->deadline_us = now + (int64_t)p->timeout_cancel;
                break;
        case CS_INTERRUPT:
                signal_actors(s, SIGINT);
                s->deadline_us = now + (int64_t)p->timeout_interrupt;
                break;
        case CS_TERMINATE:
                signal_actors(s, SIGTERM);
                s->deadline_us = now + (int64_t)p->timeout_terminate;
                break;
        case CS_KILL:
                kill_tree(s);
                s->deadline_us = now + (int64_t)p->timeout_kill;
                break;
        default:
                break;
        }
        cascade_arm_timer(s);
}

/* The first stage that applies: cancel only for actors that said HELLO (none can yet). */
static void start(struct supervisor *s, const char *why)
{
        if (!any_live(s))
                enter(s, CS_KILL, why);
        else if (s->root->said_hello)
                enter(s, CS_CANCEL, why);
        else
                enter(s, CS_INTERRUPT, why);
}

static void escalate(struct supervisor *s, const char *why)
{
        switch (s->stage) {
        case CS_CANCEL:
                enter(s, CS_INTERRUPT, why);
                break;
        case CS_INTERRUPT:
                enter(s, CS_TERMINATE, why);
                break;
        case CS_TERMINATE:
                enter(s, CS_KILL, why);
                break;
        default:
                break;
        }
}

/* Straight to the kill stage (cgroup.kill on the tree, then populated 0, then the nodes go),
 * skipping the polite stages: what a third signal does, for callers that want only the kill
 * (the benchmark's teardown measurement; `corral kill --force` through a supervisor). */
void cascade_kill_now(struct supervisor *s, const char *why)
{
        if (s->done || !s->root || s->stage >= CS_KILL)
                return;
        enter(s, CS_KILL, why);
        cascade_progress(s);
}

void cascade_start(struct supervisor *s, const char *why)
{
        if (s->done || s->stage != CS_IDLE)
                return; /* a running cascade's deadlines already bound what follows */
        start(s, why);
        cascade_progress(s);
}

void cascade_on_signal(struct supervisor *s, int sig)
{
        char why[64];

        s->signals_seen++;
        snprintf(why, sizeof why, "%s to corral (%d)", sig_name(sig), s->signals_seen);
        if (s->stage == CS_IDLE)
                start(s, why);
        else if (s->signals_seen >= 3 && s->stage < CS_KILL)
                enter(s, CS_KILL, why); /* a third signal: straight to the kill */
        else
                escalate(s, why); /* a second one skips a stage */
        cascade_progress(s);
}

/* The pids left in the tree and what each is blocked in, "pid:wchan,...": every cgroup.procs
 * below the tree's node, walked without a shell (a node path in a command line would be one
 * quote away from running something as root). nftw() takes no context: one walk at a time. */
static struct {
        char *buf;
        size_t off, cap;
} stuck_pids;

static int stuck_visit(const char *dir, const struct stat *st, int type, struct FTW *ftw)
{
        char procs[PATH_MAX + 16], line[512];
        FILE *f;

        (void)st;
        (void)ftw;
        if (type != FTW_D)
                return 0;
        snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
        f = fopen(procs, "re");
        while (f && fgets(line, sizeof line, f) && stuck_pids.off < stuck_pids.cap - 64) {
                char wchan[64] = "?", wpath[64];
                int pid = atoi(line);
                FILE *w;

                snprintf(wpath, sizeof wpath, "/proc/%d/wchan", pid);
                w = fopen(wpath, "re");
                if (w) {
                        if (!fgets(wchan, sizeof wchan, w))
                                snprintf(wchan, sizeof wchan, "?");
                        fclose(w);
                }
                stuck_pids.off += (size_t)snprintf(stuck_pids.buf + stuck_pids.off,
                                                   stuck_pids.cap - stuck_pids.off, "%s%d:%s",
                                                   stuck_pids.off ? "," : "", pid, wchan);
        }
        if (f)
                fclose(f);
        return 0;
}

static void report_stuck(struct supervisor *s)
{
        char pids[1024] = "";
        struct ev e;

        s->stuck = true;
        s->stage = CS_STUCK;
        ev_begin(&e, s, "stuck", NULL);
        ev_str(&e, "node", s->tree_node.path);
        stuck_pids.buf = pids;
        stuck_pids.off = 0;
        stuck_pids.cap = sizeof pids;
        nftw(s->tree_node.path, stuck_visit, 8, FTW_PHYS);
        ev_str(&e, "pids", pids);
        ev_end(&e);
        s->done = true;
}

static void reap(struct supervisor *s)
{
        struct cerr err = {0};
        char buf[600];
        struct ev e;

        if (s->root)
                actor_close(s, s->root);
        sup_unwatch(s, s->tree_events_fd);
        cg_node_close(&s->tree_node);
        if (cg_remove_tree(s->tree_node.path, &err) < 0) {
                ev_begin(&e, s, "error", NULL);
                ev_str(&e, "message", cerr_str(&err, buf, sizeof buf));
                ev_end(&e);
                s->stuck = true;
        } else {
                /* v1 groups hold no process once v2 says empty (every process is in both) */
                for (int c = 0; c < CG_NCTRL; c++) {
                        if (s->v1_tree[c][0] && cg_remove_tree(s->v1_tree[c], &err) < 0) {
                                ev_begin(&e, s, "error", NULL);
                                ev_str(&e, "message", cerr_str(&err, buf, sizeof buf));
                                ev_end(&e);
                                s->stuck = true;
                        }
                }
                ev_begin(&e, s, "removed", NULL);
                ev_str(&e, "node", s->tree_node.path);
                if (s->casc_start_us)
                        ev_int(&e, "teardown_ms", (mono_us() - s->casc_start_us) / 1000);
                ev_end(&e);
        }
        s->stage = CS_DONE;
        s->done = true;
}

/* Called after every event: decide whether the tree is done or a stage must change. */
void cascade_progress(struct supervisor *s)
{
        int populated;

        if (s->done || !s->root)
                return;
        /* Nothing ends while the root's fate is unknown (its spawn may be in flight). */
        if (!s->root->finished)
                return;
        populated = sup_tree_populated(s);
        if (populated == 0) {
                reap(s);
                return;
        }
        if (s->stage == CS_IDLE)
                start(s, "leftover processes after the program exited");
        else if (s->stage < CS_KILL && !any_live(s))
                enter(s, CS_KILL, "no actor left to signal; processes remain");
}

void cascade_on_timer(struct supervisor *s)
{
        int64_t now = mono_us();
        uint64_t ticks;

        (void)!read(s->tfd, &ticks, sizeof ticks);
        if (s->done)
                return;
        if (s->stage == CS_KILL && now >= s->deadline_us) {
                if (sup_tree_populated(s) != 0) {
                        report_stuck(s);
                        return;
                }
                /* empty, but a spawn never answered: nothing of it can be left, give up on it */
                if (s->root && !s->root->replied)
                        actor_zygote_lost(s);
        } else if (s->stage != CS_IDLE && s->stage < CS_KILL && now >= s->deadline_us) {
                char why[64];

                snprintf(why, sizeof why, "%s timeout", cstage_name(s->stage));
                escalate(s, why);
        }
        if (s->stage == CS_KILL && now >= s->kill_recheck_us && sup_tree_populated(s) == 1)
                kill_tree(s); /* a node created after the last write is not covered by it */
        cascade_progress(s);
        cascade_arm_timer(s);
}

void cascade_on_tree_event(struct supervisor *s)
{
        /* Always re-read: kernfs keeps cgroup.events readable for POLLPRI until the file is
         * read again, so an event left unread makes epoll_wait return at once, forever. */
        int populated = sup_tree_populated(s);

        if (s->stage == CS_KILL && populated == 1)
                kill_tree(s);
        cascade_progress(s);
}

void cascade_arm_timer(struct supervisor *s)
{
        struct itimerspec its = {0};
        int64_t when = 0;

        if (!s->done && s->stage != CS_IDLE && s->stage != CS_STUCK) {
                when = s->deadline_us;
                if (s->stage == CS_KILL && s->kill_recheck_us < when)
                        when = s->kill_recheck_us;
        }
        if (when > 0) {
                its.it_value.tv_sec = when / 1000000;
                its.it_value.tv_nsec = (when % 1000000) * 1000;
                if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
                        its.it_value.tv_nsec = 1;
        }
        timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}
