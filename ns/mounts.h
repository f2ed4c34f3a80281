/* The mount namespace of an actor (DESIGN §4a), built by its shim right after the clone, in
 * a private copy of the host's mounts. Plain structs in; the failed step out. */
#ifndef CORRAL_NS_MOUNTS_H
#define CORRAL_NS_MOUNTS_H

#include <stdbool.h>

enum mounts_protect_system { MOUNTS_PS_NO, MOUNTS_PS_YES, MOUNTS_PS_FULL, MOUNTS_PS_STRICT };

/* A mount the profile's path keys ask for, besides the binds: TemporaryFileSystem=,
 * InaccessiblePaths= and ProtectHome= (DESIGN §4a). Each names its target by path and, when
 * the target is the host's own, the device and inode the supervisor found there (resolved
 * with the safe-path rule): the shim mounts onto what it opens only if it is that very inode.
 * A target inside a tmpfs of the actor's own (dev 0) is created there instead. */
enum mount_op_kind {
        MOUNT_OP_TMPFS,       /* a tmpfs with `data` as its options */
        MOUNT_OP_TMPFS_RO,    /* the same, made read-only once the binds inside are mounted */
        MOUNT_OP_READ_ONLY,   /* the path, read-only (ProtectHome=read-only) */
        MOUNT_OP_INACCESSIBLE /* an empty mode-000 directory or file over it, read-only */
};

struct mount_op {
        enum mount_op_kind kind;
        unsigned long flags; /* MS_NOEXEC, for a tmpfs */
        unsigned long long dev, ino;
        const char *path, *data;
};

struct mount_plan {
        bool fresh_proc;         /* a /proc for the new PID namespace */
        bool protect_kernel;     /* /proc/sys and /sys read-only, /proc/sysrq-trigger etc. masked */
        const char *cgroup_view; /* show this cgroup directory at /sys/fs/cgroup, or NULL */
        bool cgroup_view_rw;     /* ProtectControlGroups=no */
        bool private_tmp;        /* fresh tmpfs on /tmp and /var/tmp */
        unsigned long long tmp_size; /* their size= in bytes (0: the kernel's default, half RAM) */
        bool private_devices;        /* a minimal /dev of our own, with a private devpts */
        bool private_ipc;            /* a new IPC namespace: fresh /dev/shm and /dev/mqueue */
        enum mounts_protect_system protect_system;
        /* ReadWritePaths=: where each goes (NULL-terminated, may be NULL) and, for each, a
         * detached mount of it (mounts_rw_clone) made in the host's namespace */
        char *const *rw_paths;
        const int *rw_fds;
        unsigned long long rw_bind; /* bit i: entry i is a bind (BindPaths=): its target is another
                                     * path than its source, of the same kind (no identity check) */
        unsigned long long rw_create; /* bit i: its target lies in a tmpfs of the actor's own:
                                       * created there when missing */
        const struct mount_op *ops;   /* in the order the keys list them */
        unsigned n_ops;
        char *const *mask_dirs; /* hidden under an empty read-only tmpfs (/run/corral) */
};

/* What every actor's mount plan hides (spawner/shim.c adds a rootless corral's own
 * $XDG_RUNTIME_DIR when it lies elsewhere), and the benchmark's floors hide as well. */
#define MOUNTS_HIDDEN_DIRS "/run/corral", "/run/user"

/* The steps, for error reports: which one failed. */
enum mounts_step {
        MOUNTS_PRIVATE,
        MOUNTS_PROC,
        MOUNTS_PROTECT_KERNEL,
        MOUNTS_CGROUP_VIEW,
        MOUNTS_MASK,
        MOUNTS_PROTECT_SYSTEM,
        MOUNTS_RW_PATHS,
        MOUNTS_PRIVATE_TMP,
        MOUNTS_PRIVATE_IPC,
        MOUNTS_PRIVATE_DEVICES,
        MOUNTS_TMPFS,
        MOUNTS_READ_ONLY,
        MOUNTS_INACCESSIBLE,
};

const char *mounts_step_name(enum mounts_step s);

/* Returns 0, or -1 with errno set and *failed the step. Runs in the child; no allocation. */
int mounts_apply(const struct mount_plan *p, enum mounts_step *failed);

/* ReadWritePaths= on an actor's behalf, in the caller's (the host's) mount namespace: a
 * detached copy (open_tree) of what `fd` names, with every mount below it, read-write and
 * private (nothing the actor mounts inside propagates back to the host). Returns the new fd,
 * or -1 with errno. mounts_clone: the same, read-only when ro (BindReadOnlyPaths=). */
int mounts_rw_clone(int fd);
int mounts_clone(int fd, bool ro);

/* Make the mount at path, and every mount below it, read-only (mount_setattr with
 * AT_RECURSIVE, or a remount of each where the kernel lacks it). clear: the opposite. */
int mounts_set_readonly(const char *path, bool readonly);

#endif
