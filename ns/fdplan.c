#include "fdplan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "syscalls.h"

#define TEMP(slot) (-(slot)-1)
#define IS_TEMP(x) ((x) < 0)
#define SLOT(x)    (-(x)-1)

static int emit(struct fdplan *p, enum fdplan_opkind kind, int src, int dst)
{
        if (p->nops == (int)(sizeof p->ops / sizeof p->ops[0]))
                return -1;
        p->ops[p->nops++] = (struct fdplan_op){.kind = kind, .src = src, .dst = dst};
        return 0;
}

int fdplan_compute(struct fdplan *p, const struct fdplan_move *moves, int n, struct cerr *err)
{
        int src[FDPLAN_MAX], dst[FDPLAN_MAX];
        int npend = 0;

        memset(p, 0, sizeof *p);
        p->max_target = -1;
        if (n < 0 || n > FDPLAN_MAX)
                return cerr_set(err, E2BIG, CERR_FDPLAN, "%d fds to pass; at most %d", n,
                                FDPLAN_MAX);
        for (int i = 0; i < n; i++) {
                if (moves[i].src < 0)
                        return cerr_set(err, EBADF, CERR_FDPLAN, "source fd %d is invalid",
                                        moves[i].src);
                if (moves[i].dst < 0 || moves[i].dst >= FDPLAN_MAX_TARGET)
                        return cerr_set(err, EBADF, CERR_FDPLAN,
                                        "target fd %d is out of range 0..%d", moves[i].dst,
                                        FDPLAN_MAX_TARGET - 1);
                if (p->is_target[moves[i].dst])
                        return cerr_set(err, EINVAL, CERR_FDPLAN,
                                        "fd %d is the target of two moves", moves[i].dst);
                p->is_target[moves[i].dst] = true;
                if (moves[i].dst > p->max_target)
                        p->max_target = moves[i].dst;
                if (moves[i].src == moves[i].dst) {
                        emit(p, FDOP_CLEAR_CLOEXEC, moves[i].src, moves[i].dst);
                } else {
                        src[npend] = moves[i].src;
                        dst[npend] = moves[i].dst;
                        npend++;
                }
        }

        /* Sequentialize the parallel move: a move may run once no other pending move still
         * reads its target. When none can, every pending target is some move's source: a
         * cycle. Park one such source in a temporary and go on. */
        while (npend > 0) {
                bool progress = false;

                for (int i = 0; i < npend;) {
                        bool blocked = false;

                        for (int j = 0; j < npend && !blocked; j++)
                                blocked = j != i && src[j] == dst[i];
                        if (blocked) {
                                i++;
                                continue;
                        }
                        if (emit(p, FDOP_DUP2, src[i], dst[i]) < 0)
                                return cerr_set(err, E2BIG, CERR_FDPLAN, "plan too long");
                        src[i] = src[npend - 1];
                        dst[i] = dst[npend - 1];
                        npend--;
                        progress = true;
                }
                if (!progress) {
                        int busy = dst[0];
                        int slot = p->ntemps++;

                        if (emit(p, FDOP_DUP_TEMP, busy, slot) < 0)
                                return cerr_set(err, E2BIG, CERR_FDPLAN, "plan too long");
                        for (int j = 0; j < npend; j++) {
                                if (src[j] == busy)
                                        src[j] = TEMP(slot);
                        }
                }
        }
        return 0;
}

static int fail(struct cerr *err, int e, const char *what)
{
        /* No formatting: this runs after clone. */
        if (err) {
                err->errnum = e;
                err->stage = CERR_FDPLAN;
                memset(err->msg, 0, sizeof err->msg);
                strncpy(err->msg, what, sizeof err->msg - 1);
        }
        return -1;
}

static int mark_rest_cloexec_range(const struct fdplan *p)
{
        int lo = 0;

        for (int fd = 0; fd <= p->max_target; fd++) {
                if (p->is_target[fd]) {
                        if (fd > lo && sys_close_range((unsigned)lo, (unsigned)fd - 1,
                                                       CLOSE_RANGE_CLOEXEC) < 0)
                                return -1;
                        lo = fd + 1;
                }
        }
        return sys_close_range((unsigned)lo, ~0U, CLOSE_RANGE_CLOEXEC);
}

static int mark_rest_cloexec_walk(const struct fdplan *p, int dirfd)
{
        char buf[4096];
        long n;

        if (dirfd < 0)
                dirfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -1;
        if (lseek(dirfd, 0, SEEK_SET) < 0)
                return -1;
        while ((n = sys_getdents64(dirfd, buf, sizeof buf)) > 0) {
                for (long off = 0; off < n;) {
                        struct sys_dirent64 *d = (struct sys_dirent64 *)(buf + off);
                        const char *s = d->d_name;
                        int fd = 0;

                        off += d->d_reclen;
                        if (*s < '0' || *s > '9')
                                continue;
                        for (; *s >= '0' && *s <= '9'; s++)
                                fd = fd * 10 + (*s - '0');
                        if (fd < FDPLAN_MAX_TARGET && p->is_target[fd])
                                continue;
                        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
                                return -1;
                }
        }
        return n < 0 ? -1 : 0;
}

int fdplan_apply(const struct fdplan *p, int *private_fds, int nprivate, int proc_fd_dir,
                 enum fdplan_path *path, struct cerr *err)
{
        int temps[FDPLAN_MAX];
        int above = p->max_target + 1;

        if (path)
                *path = FDPLAN_PATH_NONE;
        for (int i = 0; i < nprivate; i++) {
                int fd = private_fds[i];

                if (fd >= 0 && fd < FDPLAN_MAX_TARGET && p->is_target[fd]) {
                        int nfd = fcntl(fd, F_DUPFD_CLOEXEC, above);

                        if (nfd < 0)
                                return fail(err, errno, "applying the fd allowlist: moving an fd");
                        private_fds[i] = nfd; /* the old number is replaced by its dup2 below */
                }
        }
        if (proc_fd_dir >= 0 && proc_fd_dir < FDPLAN_MAX_TARGET && p->is_target[proc_fd_dir]) {
                proc_fd_dir = fcntl(proc_fd_dir, F_DUPFD_CLOEXEC, above);
                if (proc_fd_dir < 0)
                        return fail(err, errno, "applying the fd allowlist: moving an fd");
        }
        for (int i = 0; i < p->nops; i++) {
                const struct fdplan_op *op = &p->ops[i];
                int s = IS_TEMP(op->src) ? temps[SLOT(op->src)] : op->src;

                switch (op->kind) {
                case FDOP_DUP_TEMP:
                        temps[op->dst] = fcntl(s, F_DUPFD_CLOEXEC, above);
                        if (temps[op->dst] < 0)
                                return fail(err, errno, "applying the fd allowlist: moving an fd");
                        break;
                case FDOP_DUP2:
                        if (dup2(s, op->dst) < 0)
                                return fail(err, errno, "applying the fd allowlist: moving an fd");
                        break;
                case FDOP_CLEAR_CLOEXEC:
                        if (fcntl(s, F_SETFD, 0) < 0)
                                return fail(err, errno, "applying the fd allowlist: moving an fd");
                        break;
                }
        }
        if (!p->force_walk && mark_rest_cloexec_range(p) == 0) {
                if (path)
                        *path = FDPLAN_PATH_CLOSE_RANGE;
                return 0;
        }
        if (mark_rest_cloexec_walk(p, proc_fd_dir) < 0)
                return fail(err, proc_fd_dir < 0 ? ENOSYS : errno,
                            "applying the fd allowlist: closing the rest");
        if (path)
                *path = FDPLAN_PATH_PROC_WALK;
        return 0;
}
