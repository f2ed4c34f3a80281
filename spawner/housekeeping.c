/* What a supervisor does for the host beside its own tree: sweeping what dead supervisors
 * left (each orphan an event) and its admin socket. corral_sup_open does both, or, with
 * late_housekeeping, leaves them for right after the first clone (sup_late_open). */

#include "gc.h"
#include "registry.h"
#include "sup.h"

/* What a dead supervisor left: removed when empty; otherwise left for `corral gc` (its
 * shims may still be dying: a run does not wait for another tree). Each orphan is an event. */
static void report_orphan(const struct gc_report *r, void *ctx)
{
        struct corral_sup *s = ctx;
        char buf[CERR_MSG_MAX + 64];
        struct corral_event e;

        ev_init(s, &e, CORRAL_EV_ORPHAN, NULL);
        e.u.orphan.removed = r->outcome == GC_REMOVED;
        e.u.orphan.orphan = r->e ? r->e->tree : NULL;
        e.u.orphan.record = r->record;
        e.u.orphan.supervisor_pid = r->e ? r->e->supervisor_pid : 0;
        e.u.orphan.populated = r->outcome == GC_POPULATED;
        if (r->outcome != GC_REMOVED && r->outcome != GC_POPULATED)
                e.u.orphan.error = cerr_str(&r->err, buf, sizeof buf);
        ev_emit(s, &e);
}

int sup_sweep_orphans(struct corral_sup *s, struct cerr *err)
{
        static const struct gc_options no_wait = {0};
        const char *dir = s->opt.registry_dir ? s->opt.registry_dir : registry_default_dir();

        return gc_sweep(dir, &no_wait, report_orphan, s, err);
}

/* The tree runs by now: a failure is said, and the tree goes on (reachable by `corral kill
 * --force` alone when it has no admin socket). */
void sup_late_open(struct corral_sup *s)
{
        char buf[CERR_MSG_MAX + 64];
        struct cerr err = {0};

        if (!s->late_pending)
                return;
        s->late_pending = false;
        if (s->opt.sweep_orphans && sup_sweep_orphans(s, &err) < 0)
                ev_error(s, "sweeping orphans: %s", cerr_str(&err, buf, sizeof buf));
        err = (struct cerr){0};
        if (admin_open(s, &err) < 0) {
                admin_close(s);
                ev_error(s,
                         "opening the admin socket: %s (corral ps and kill cannot reach this tree; "
                         "kill --force can)",
                         cerr_str(&err, buf, sizeof buf));
        }
}
