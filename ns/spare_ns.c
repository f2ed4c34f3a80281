#include "spare_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

/* thread-self, as ns/netns.c: only the calling thread moves */
static const struct {
        int flag;
        const char *own;
} kinds[SPARE_N] = {
    [SPARE_NET] = {CLONE_NEWNET, "/proc/thread-self/ns/net"},
    [SPARE_IPC] = {CLONE_NEWIPC, "/proc/thread-self/ns/ipc"},
};

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
                if (!(*flags & (uint64_t)kinds[k].flag))
                        continue;
                sp->wanted[k] = true;
                if (sp->fd[k] < 0)
                        continue;
                saved[k] = open(kinds[k].own, O_RDONLY | O_CLOEXEC);
                if (saved[k] < 0)
                        continue;
                if (setns(sp->fd[k], kinds[k].flag) < 0) {
                        /* (a spare that cannot be entered is no spare: the clone makes one) */
                        close_fd(&saved[k]);
                        close_fd(&sp->fd[k]);
                        continue;
                }
                *flags &= ~(uint64_t)kinds[k].flag;
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
                if (setns(saved[k], kinds[k].flag) < 0 && rc == 0) {
                        rc = -1;
                        e = errno;
                }
                close_fd(&saved[k]);
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
                own = open(kinds[k].own, O_RDONLY | O_CLOEXEC);
                if (own < 0)
                        continue;
                if (unshare(kinds[k].flag) < 0) {
                        /* (never made, then: every clone of this kind makes its own) */
                        sp->wanted[k] = false;
                        close(own);
                        continue;
                }
                sp->fd[k] = open(kinds[k].own, O_RDONLY | O_CLOEXEC);
                if (setns(own, kinds[k].flag) < 0) {
                        int e = errno;

                        close(own);
                        close_fd(&sp->fd[k]);
                        errno = e;
                        return -1;
                }
                close(own);
        }
        return 0;
}
