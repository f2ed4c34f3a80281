#include "spare_ns.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>

#include "netns.h"

/* the clone flag of each kind; the calling thread alone moves (ns/netns.c) */
static const int kinds[SPARE_N] = {[SPARE_NET] = CLONE_NEWNET, [SPARE_IPC] = CLONE_NEWIPC};

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

void ns_spares_init(struct ns_spares *sp)
{
        for (int k = 0; k < SPARE_N; k++) {
                sp->fd[k] = -1;
                sp->wanted[k] = false;
        }
}

unsigned ns_spares_enter(struct ns_spares *sp, uint64_t *flags, int saved[SPARE_N])
{
        unsigned used = 0;

        for (int k = 0; k < SPARE_N; k++)
                saved[k] = -1;
        if (*flags & CLONE_NEWUSER)
                return 0;
        for (int k = 0; k < SPARE_N; k++) {
                if (!(*flags & (uint64_t)kinds[k]))
                        continue;
                sp->wanted[k] = true;
                if (sp->fd[k] < 0)
                        continue;
                if (ns_enter(sp->fd[k], kinds[k], &saved[k]) < 0) {
                        /* (a spare that cannot be entered is no spare: the clone makes one) */
                        close_fd(&sp->fd[k]);
                        continue;
                }
                *flags &= ~(uint64_t)kinds[k];
                used |= 1u << k;
        }
        return used;
}

int ns_spares_leave(struct ns_spares *sp, unsigned used, int saved[SPARE_N])
{
        int rc = 0, e = 0;

        for (int k = 0; k < SPARE_N; k++) {
                if (!(used & (1u << k)))
                        continue;
                if (ns_leave(&saved[k], kinds[k]) < 0 && rc == 0) {
                        rc = -1;
                        e = errno;
                }
                /* the child's now, and only the child's (or, when the clone failed, nobody's:
                 * it goes all the same, and the next idle moment makes another) */
                close_fd(&sp->fd[k]);
        }
        errno = e;
        return rc;
}

void ns_spares_child(struct ns_spares *sp, int saved[SPARE_N])
{
        for (int k = 0; k < SPARE_N; k++) {
                close_fd(&saved[k]);
                close_fd(&sp->fd[k]);
        }
}

bool ns_spares_short(const struct ns_spares *sp)
{
        for (int k = 0; k < SPARE_N; k++) {
                if (sp->wanted[k] && sp->fd[k] < 0)
                        return true;
        }
        return false;
}

int ns_spares_refill(struct ns_spares *sp)
{
        for (int k = 0; k < SPARE_N; k++) {
                int own;

                if (!sp->wanted[k] || sp->fd[k] >= 0)
                        continue;
                own = ns_open_own(kinds[k]);
                if (own < 0)
                        continue;
                if (unshare(kinds[k]) < 0) {
                        /* (never made, then: every clone of this kind makes its own) */
                        sp->wanted[k] = false;
                        close(own);
                        continue;
                }
                sp->fd[k] = ns_open_own(kinds[k]);
                if (ns_leave(&own, kinds[k]) < 0) {
                        int e = errno;

                        close_fd(&sp->fd[k]);
                        errno = e;
                        return -1;
                }
        }
        return 0;
}
