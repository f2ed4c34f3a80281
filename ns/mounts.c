#include "mounts.h"

#include <limits.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "safepath.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

const char *mounts_step_name(enum mounts_step s)
{
        static const char *const names[] = {
            [MOUNTS_PRIVATE] = "mount-private",
            [MOUNTS_PROC] = "mount-proc",
            [MOUNTS_PROTECT_KERNEL] = "mount-protect-kernel",
            [MOUNTS_CGROUP_VIEW] = "mount-cgroup-view",
            [MOUNTS_MASK] = "mount-mask",
            [MOUNTS_PROTECT_SYSTEM] = "mount-protect-system",
            [MOUNTS_RW_PATHS] = "mount-read-write-paths",
            [MOUNTS_PRIVATE_TMP] = "mount-private-tmp",
            [MOUNTS_PRIVATE_IPC] = "mount-private-ipc",
            [MOUNTS_PRIVATE_DEVICES] = "mount-private-devices",
            [MOUNTS_TMPFS] = "mount-temporary-file-system",
            [MOUNTS_READ_ONLY] = "mount-read-only",
            [MOUNTS_INACCESSIBLE] = "mount-inaccessible",
        };

        return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "mount";
}

/* The flags a remount must keep: in a user namespace, mounts inherited from the host are
 * locked and a remount that drops nosuid/nodev/noexec/atime flags is refused. */
static unsigned long kept_flags(const char *path)
{
        struct statvfs sv;
        unsigned long f = 0;

        if (statvfs(path, &sv) < 0)
                return 0;
        if (sv.f_flag & ST_NOSUID)
                f |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                f |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                f |= MS_NOEXEC;
        if (sv.f_flag & ST_NOATIME)
                f |= MS_NOATIME;
        if (sv.f_flag & ST_NODIRATIME)
                f |= MS_NODIRATIME;
        if (sv.f_flag & ST_RELATIME)
                f |= MS_RELATIME;
        return f;
}

static int remount_one(const char *mnt, bool readonly)
{
        unsigned long f = MS_REMOUNT | MS_BIND | kept_flags(mnt) | (readonly ? MS_RDONLY : 0);

        return mount(NULL, mnt, NULL, f, NULL);
}

/* Kernels before 5.12: remount the mount at path and each one below it, from mountinfo. No
 * stdio: a fixed buffer and a line-by-line scan of the raw file. */
static int readonly_walk(const char *path, bool readonly)
{
        static char buf[256 * 1024];
        size_t pl = strlen(path);
        ssize_t n, got = 0;
        int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        int rc = 0;

        if (fd < 0)
                return -1;
        while ((n = read(fd, buf + got, sizeof buf - 1 - (size_t)got)) > 0)
                got += n;
        close(fd);
        buf[got] = '\0';
        for (char *line = buf; line && *line;) {
                char *nl = strchr(line, '\n');
                char *f = line;

                if (nl)
                        *nl = '\0';
                /* field 5 is the mount point (escapes are left alone: paths we protect have
                 * none) */
                for (int i = 0; i < 4 && f; i++) {
                        f = strchr(f, ' ');
                        if (f)
                                f++;
                }
                if (f) {
                        char *end = strchr(f, ' ');

                        if (end)
                                *end = '\0';
                        if (strncmp(f, path, pl) == 0 &&
                            (f[pl] == '\0' || f[pl] == '/' || strcmp(path, "/") == 0) &&
                            remount_one(f, readonly) < 0 && errno != EINVAL && errno != ENOENT)
                                rc = -1;
                }
                line = nl ? nl + 1 : NULL;
        }
        return rc;
}

int mounts_set_readonly(const char *path, bool readonly)
{
        struct mount_attr attr = {0};

        if (readonly)
                attr.attr_set = MOUNT_ATTR_RDONLY;
        else
                attr.attr_clr = MOUNT_ATTR_RDONLY;
        if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) == 0)
                return 0;
        if (errno != ENOSYS)
                return -1;
        return readonly_walk(path, readonly);
}

/* A path the host lacks (/efi, /proc/kcore without CONFIG_PROC_KCORE) is skipped: the mount
 * onto it says so with ENOENT, one path walk where an lstat first took two. (An lstat checked
 * nothing more: the mount follows a symlink either way.) */
static int unless_absent(int rc)
{
        return rc < 0 && errno == ENOENT ? 0 : rc;
}

/* A directory becomes its own mount (so that flags on it do not touch its parent mount), then
 * read-only; one the host lacks is skipped. */
static int bind_self_readonly(const char *path)
{
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return unless_absent(-1);
        return mounts_set_readonly(path, true);
}

static int protect_kernel(void)
{
        /* what container runtimes protect too: knobs read-only, leaks and triggers masked */
        static const char *const read_only[] = {"/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"};
        static const char *const masked_files[] = {
            "/proc/sysrq-trigger", "/proc/kcore",         "/proc/keys",       "/proc/timer_list",
            "/proc/sched_debug",   "/proc/latency_stats", "/proc/timer_stats"};
        static const char *const masked_dirs[] = {"/proc/acpi", "/proc/scsi"};

        for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++) {
                if (bind_self_readonly(read_only[i]) < 0)
                        return -1;
        }
        for (size_t i = 0; i < sizeof masked_files / sizeof masked_files[0]; i++) {
                if (unless_absent(mount("/dev/null", masked_files[i], NULL, MS_BIND, NULL)) < 0)
                        return -1;
        }
        for (size_t i = 0; i < sizeof masked_dirs / sizeof masked_dirs[0]; i++) {
                if (unless_absent(mount("tmpfs", masked_dirs[i], "tmpfs",
                                        MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                        "size=4k,mode=000")) < 0)
                        return -1;
        }
        /* /sys: our copy of it, read-only all the way down */
        return mounts_set_readonly("/sys", true);
}

/* A new IPC namespace still shares the host's /dev/shm and /dev/mqueue as filesystems:
 * give it its own. */
static int private_ipc(void)
{
        if (unless_absent(mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
                                "mode=1777,size=64m")) < 0)
                return -1;
        return unless_absent(
            mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
}

static int cgroup_view(const char *node, bool rw)
{
        /* Bind the node over /sys/fs/cgroup: the host's hierarchies (v2 and every v1 one) stay
         * hidden underneath; the actor sees its own node and nothing else. A bind mount costs
         * no new cgroupfs superblock (mounting one stalls for an RCU grace period). */
        if (mount(node, "/sys/fs/cgroup", NULL, MS_BIND, NULL) < 0)
                return -1;
        return rw ? mounts_set_readonly("/sys/fs/cgroup", false)
                  : mounts_set_readonly("/sys/fs/cgroup", true);
}

static int apply_protect_system(enum mounts_protect_system ps)
{
        static const char *const yes[] = {"/usr", "/boot", "/efi", NULL};
        static const char *const full[] = {"/usr", "/boot", "/efi", "/etc", NULL};
        const char *const *dirs = ps == MOUNTS_PS_YES ? yes : full;

        if (ps == MOUNTS_PS_NO)
                return 0;
        if (ps == MOUNTS_PS_STRICT) {
                /* everything, then /dev back to writable (device nodes, /dev/shm) */
                if (mounts_set_readonly("/", true) < 0)
                        return -1;
                if (unless_absent(mounts_set_readonly("/dev", false)) < 0)
                        return -1;
                return mounts_set_readonly("/proc", false);
        }
        for (; *dirs; dirs++) {
                if (bind_self_readonly(*dirs) < 0)
                        return -1;
        }
        return 0;
}

int mounts_rw_clone(int fd)
{
        return mounts_clone(fd, false);
}

int mounts_clone(int fd, bool ro)
{
        struct mount_attr attr = {.attr_set = ro ? MOUNT_ATTR_RDONLY : 0,
                                  .attr_clr = ro ? 0 : MOUNT_ATTR_RDONLY,
                                  .propagation = MS_PRIVATE};
        int tree =
            open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);

        if (tree < 0)
                return -1;
        if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
                int e = errno;

                close(tree);
                errno = e;
                return -1;
        }
        return tree;
}

/* Each ReadWritePaths= entry arrives as a detached mount the supervisor cloned from the path it
 * resolved with the safe-path rule in the host's namespace (a planted symlink was refused
 * there). It goes on top of the same path here: the mount goes onto an fd, and that fd must
 * name the very directory (device and inode) the clone was made from, or the spawn fails
 * (ESTALE) rather than mount it anywhere else. */
/* A mount point inside a tmpfs of the actor's own (a private /tmp, a TemporaryFileSystem=):
 * walked from "/" without following any symlink, the missing components created (directories,
 * and the last one a file when dir is false). Nothing here is the host's: the supervisor
 * marks only targets at or below such a tmpfs. Returns an O_PATH fd. */
static int make_target(const char *path, bool dir)
{
        char comp[NAME_MAX + 1];
        int at = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char *p = path;

        while (at >= 0) {
                size_t n;
                bool last;
                int next;

                while (*p == '/')
                        p++;
                if (!*p)
                        return at; /* (the path was "/") */
                n = strcspn(p, "/");
                if (n > NAME_MAX) {
                        close(at);
                        errno = ENAMETOOLONG;
                        return -1;
                }
                memcpy(comp, p, n);
                comp[n] = '\0';
                p += n;
                last = !p[strspn(p, "/")];
                next = openat(at, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && errno == ENOENT) {
                        if (last && !dir) {
                                next =
                                    openat(at, comp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
                                if (next >= 0) {
                                        close(next);
                                        next = openat(at, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                                }
                        } else if (mkdirat(at, comp, 0755) == 0) {
                                next =
                                    openat(at, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
                        }
                }
                close(at);
                if (next < 0)
                        return -1;
                if (last)
                        return next;
                at = next;
        }
        return -1;
}

/* The target of a mount: the host's own inode (dev, ino) resolved again with the safe-path
 * rule, or (dev 0) made inside a tmpfs of ours. */
static int open_target(const char *path, unsigned long long dev, unsigned long long ino, bool dir)
{
        struct stat st;
        int fd;

        if (!dev)
                return make_target(path, dir);
        fd = safepath_open(path, O_PATH, 0, NULL);
        if (fd < 0)
                return -1;
        if (fstat(fd, &st) < 0 || st.st_dev != dev || st.st_ino != ino) {
                close(fd);
                errno = ESTALE; /* not what the supervisor checked: mount nothing */
                return -1;
        }
        return fd;
}

static int mount_on_fd(const char *src, int fd, const char *type, unsigned long flags,
                       const char *data)
{
        char target[64];

        snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
        return mount(src, target, type, flags, data);
}

/* Each ReadWritePaths= entry arrives as a detached mount the supervisor cloned from the path it
 * resolved with the safe-path rule in the host's namespace (a planted symlink was refused
 * there). It goes on top of the same path here: the mount goes onto an fd, and that fd must
 * name the very directory (device and inode) the clone was made from, or the spawn fails
 * (ESTALE) rather than mount it anywhere else. A bind's target is another path, of the same
 * kind; one inside a tmpfs of ours is created there. */
static int rw_paths(const struct mount_plan *p)
{
        for (int i = 0; p->rw_paths && p->rw_paths[i]; i++) {
                struct stat want, got;
                const char *path = p->rw_paths[i];
                bool is_bind = p->rw_bind & (1ULL << i);
                int target = -1, rc = -1;

                if (fstat(p->rw_fds[i], &want) < 0)
                        return -1;
                if (p->rw_create & (1ULL << i))
                        target = make_target(path, S_ISDIR(want.st_mode));
                else /* a bind's target is named by its own path: not followed if a symlink */
                        target = open(path, O_PATH | O_CLOEXEC | (is_bind ? O_NOFOLLOW : 0));
                if (target < 0)
                        return -1;
                if (fstat(target, &got) < 0) {
                        rc = -1;
                } else if (is_bind ? (want.st_mode & S_IFMT) != (got.st_mode & S_IFMT)
                                   : want.st_dev != got.st_dev || want.st_ino != got.st_ino) {
                        errno = is_bind ? (S_ISDIR(got.st_mode) ? EISDIR : ENOTDIR) : ESTALE;
                        rc = -1;
                } else {
                        rc = move_mount(p->rw_fds[i], "", target, "",
                                        MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
                }
                if (rc < 0) {
                        int e = errno;

                        close(target);
                        errno = e;
                        return -1;
                }
                close(target);
        }
        return 0;
}

/* An empty, read-only, mode-000 file over a non-directory (InaccessiblePaths=): a file of a
 * tmpfs of its own. Kernels from 6.15 clone it straight from the detached tmpfs; older ones
 * refuse a detached mount as a bind source (EINVAL), so there the tmpfs is attached for a
 * moment over the target's own directory, the file bound from it, and the tmpfs detached. */
static int inaccessible_file(const char *path, int target)
{
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), mnt = -1, f, tree, rc = -1;
        char parent[PATH_MAX], src[64];
        int pfd = -1;

        if (fs < 0)
                return -1;
        if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                goto out;
        mnt =
            fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (mnt < 0)
                goto out;
        f = openat(mnt, "inaccessible", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0);
        if (f < 0)
                goto out;
        close(f);
        /* read-only before any bind of it: a bind keeps the flags of the mount it came from */
        if (mount_setattr(mnt, "", AT_EMPTY_PATH, &ro, sizeof ro) < 0)
                goto out;
        tree = open_tree(mnt, "inaccessible", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree >= 0) {
                rc = move_mount(tree, "", target, "",
                                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
                close(tree);
                goto out;
        }
        if (errno != EINVAL)
                goto out;
        /* the older kernels' way: over the parent directory for a moment */
        snprintf(parent, sizeof parent, "%s", path);
        *strrchr(parent, '/') = '\0';
        pfd = safepath_open(parent[0] ? parent : "/", O_PATH | O_DIRECTORY, 0, NULL);
        if (pfd < 0 ||
            move_mount(mnt, "", pfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                goto out;
        snprintf(src, sizeof src, "/proc/self/fd/%d/inaccessible", mnt);
        rc = mount_on_fd(src, target, NULL, MS_BIND, NULL);
        snprintf(src, sizeof src, "/proc/self/fd/%d", mnt);
        if (umount2(src, MNT_DETACH) < 0)
                rc = -1;
out:
        if (pfd >= 0)
                close(pfd);
        if (mnt >= 0)
                close(mnt);
        close(fs);
        return rc;
}

static int apply_op(const struct mount_op *op)
{
        bool dir = op->kind != MOUNT_OP_INACCESSIBLE;
        int fd = open_target(op->path, op->dev, op->ino, dir), rc = -1, e;
        struct stat st;

        if (fd < 0)
                return -1;
        switch (op->kind) {
        case MOUNT_OP_TMPFS:
        case MOUNT_OP_TMPFS_RO:
                rc = mount_on_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV | op->flags, op->data);
                break;
        case MOUNT_OP_READ_ONLY:
                rc = mount_on_fd(op->path, fd, NULL, MS_BIND | MS_REC, NULL);
                if (rc == 0)
                        rc = mounts_set_readonly(op->path, true);
                break;
        case MOUNT_OP_INACCESSIBLE:
                if (fstat(fd, &st) < 0)
                        break;
                if (S_ISDIR(st.st_mode))
                        rc = mount_on_fd("tmpfs", fd, "tmpfs",
                                         MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                         "size=4k,mode=000");
                else
                        rc = inaccessible_file(op->path, fd);
                break;
        }
        e = errno;
        close(fd);
        errno = e;
        return rc;
}

/* ops of one kind, or (want_ro) the read-only tmpfs ops' final remount: of that mount only,
 * so a read-write bind inside it stays writable. */
static int apply_ops(const struct mount_plan *p, bool tmpfs_phase, enum mount_op_kind kind,
                     bool want_ro)
{
        for (unsigned i = 0; i < p->n_ops; i++) {
                const struct mount_op *op = &p->ops[i];
                bool in_phase = tmpfs_phase ? op->kind != MOUNT_OP_INACCESSIBLE : op->kind == kind;

                if (!in_phase)
                        continue;
                if (want_ro) {
                        if (op->kind == MOUNT_OP_TMPFS_RO && remount_one(op->path, true) < 0)
                                return -1;
                } else if (apply_op(op) < 0) {
                        return -1;
                }
        }
        return 0;
}

static int tmpfs_at(const char *path, unsigned long extra, unsigned long long size)
{
        char opts[64];

        if (size)
                snprintf(opts, sizeof opts, "mode=1777,size=%llu", size);
        else
                snprintf(opts, sizeof opts, "mode=1777");
        return mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | extra, opts);
}

/* PrivateDevices=: a small tmpfs on /dev holding bind mounts of the host's harmless nodes
 * (opened before the tmpfs hides them), a devpts instance of its own (its own ptmx: ptys of
 * other actors and of the host stay out of sight), a fresh /dev/shm and, in a new IPC
 * namespace, its own /dev/mqueue (else the host's, as without PrivateDevices=). */
static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define N_DEV_NODES (sizeof dev_nodes / sizeof dev_nodes[0])

static int bind_fd(int fd, const char *target)
{
        char src[64];

        snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
        return mount(src, target, NULL, MS_BIND, NULL);
}

static int private_devices(bool private_ipc)
{
        int fds[N_DEV_NODES], mq = -1, rc = -1;
        static const char *const links[][2] = {{"/dev/fd", "/proc/self/fd"},
                                               {"/dev/stdin", "/proc/self/fd/0"},
                                               {"/dev/stdout", "/proc/self/fd/1"},
                                               {"/dev/stderr", "/proc/self/fd/2"},
                                               {"/dev/ptmx", "pts/ptmx"}};
        size_t i;

        for (i = 0; i < N_DEV_NODES; i++) {
                char path[32];

                snprintf(path, sizeof path, "/dev/%s", dev_nodes[i]);
                fds[i] = open(path, O_PATH | O_CLOEXEC);
        }
        if (!private_ipc)
                mq = open("/dev/mqueue", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=4m") < 0)
                goto out;
        for (i = 0; i < N_DEV_NODES; i++) {
                char path[32];

                if (fds[i] < 0)
                        continue; /* the host has none (a container without /dev/tty) */
                snprintf(path, sizeof path, "/dev/%s", dev_nodes[i]);
                /* the bind's target, an empty file: one call, where open and close took two */
                if (mknod(path, S_IFREG | 0666, 0) < 0 || bind_fd(fds[i], path) < 0)
                        goto out;
        }
        for (i = 0; i < sizeof links / sizeof links[0]; i++) {
                if (symlink(links[i][1], links[i][0]) < 0)
                        goto out;
        }
        if (mkdir("/dev/pts", 0755) < 0 || mkdir("/dev/shm", 01777) < 0 ||
            mkdir("/dev/mqueue", 0755) < 0)
                goto out;
        if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=620") < 0)
                goto out;
        if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") < 0)
                goto out;
        if (private_ipc)
                rc = mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           NULL);
        else
                rc = mq >= 0 ? bind_fd(mq, "/dev/mqueue") : 0;
out:
        for (i = 0; i < N_DEV_NODES; i++) {
                if (fds[i] >= 0)
                        close(fds[i]);
        }
        if (mq >= 0)
                close(mq);
        return rc;
}

int mounts_apply(const struct mount_plan *p, enum mounts_step *failed)
{
        struct stat st;

#define STEP(s, expr)                                                                              \
        do {                                                                                       \
                *failed = (s);                                                                     \
                if ((expr) < 0)                                                                    \
                        return -1;                                                                 \
        } while (0)

        /* Private propagation first, so nothing below leaks back to the host. */
        STEP(MOUNTS_PRIVATE, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
        if (p->fresh_proc)
                STEP(MOUNTS_PROC,
                     mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
        /* ProtectSystem= before the kernel's files: strict makes everything read-only and
         * gives /dev and /proc back, which the kernel protections then narrow again. */
        STEP(MOUNTS_PROTECT_SYSTEM, apply_protect_system(p->protect_system));
        if (p->protect_kernel)
                STEP(MOUNTS_PROTECT_KERNEL, protect_kernel());
        /* (a missing node, unlike a missing /sys/fs/cgroup, must fail: one lstat tells which) */
        if (p->cgroup_view && *p->cgroup_view && lstat("/sys/fs/cgroup", &st) == 0)
                STEP(MOUNTS_CGROUP_VIEW, cgroup_view(p->cgroup_view, p->cgroup_view_rw));
        for (char *const *m = p->mask_dirs; m && *m; m++) {
                STEP(MOUNTS_MASK, unless_absent(mount("tmpfs", *m, "tmpfs",
                                                      MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                                      "size=4k,mode=000")));
        }
        if (p->private_devices)
                STEP(MOUNTS_PRIVATE_DEVICES, private_devices(p->private_ipc));
        if (p->private_ipc && !p->private_devices)
                STEP(MOUNTS_PRIVATE_IPC, private_ipc());
        /* the actor's own tmpfs before the binds, which may mount inside them */
        if (p->private_tmp) {
                STEP(MOUNTS_PRIVATE_TMP, tmpfs_at("/tmp", 0, p->tmp_size));
                STEP(MOUNTS_PRIVATE_TMP, unless_absent(tmpfs_at("/var/tmp", 0, p->tmp_size)));
        }
        STEP(MOUNTS_TMPFS, apply_ops(p, true, MOUNT_OP_TMPFS, false));
        STEP(MOUNTS_RW_PATHS, rw_paths(p));
        /* what must stay hidden goes last, over anything mounted before it */
        STEP(MOUNTS_INACCESSIBLE, apply_ops(p, false, MOUNT_OP_INACCESSIBLE, false));
        STEP(MOUNTS_READ_ONLY, apply_ops(p, true, MOUNT_OP_TMPFS, true));
        return 0;
#undef STEP
}
