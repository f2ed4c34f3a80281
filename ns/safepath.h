/* Opening a path on an actor's behalf (DESIGN §5): `file:` stdio, ReadWritePaths=, and later
 * every bind key. corral runs as root, and the paths it opens may pass through directories an
 * actor owns. An actor that plants `ln -s /etc/victim /srv/app/out.log` must not make root
 * append to /etc/victim, and one that swaps a ReadWritePaths= directory for a symlink to
 * /etc must not get /etc mounted writable.
 *
 * So the path is walked one component at a time from "/", each opened O_PATH|O_NOFOLLOW, and
 * a symlink is followed only when root owns it and sits in a directory only root can write
 * (owned by root, no group or world write bit): the rule of systemd's CHASE_SAFE, narrowed
 * to symlinks. `/var/run -> /run` and merged-/usr links still resolve. Each decision is made
 * on an fd, so a swap after the check changes nothing: what was checked is what is opened.
 * The result is an fd; a caller that mounts it (open_tree/move_mount) never resolves the path
 * again.
 *
 * Symlinks are followed as text, never as /proc's magic links: /dev/stdout resolves through
 * /proc/self/fd/1 to "pipe:[N]", which names nothing. Use Stdout=inherit for that.
 *
 * No allocation and no stdio: the shim resolves mount targets with it after clone3(). */
#ifndef CORRAL_NS_SAFEPATH_H
#define CORRAL_NS_SAFEPATH_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

#define SAFEPATH_MAX_LINKS 40 /* as the kernel's own limit (MAXSYMLINKS) */

/* Why a walk stopped, for an error that names the place. */
struct safepath_fail {
        int errnum;
        bool unsafe_link; /* a symlink the rule does not trust (errnum EPERM) */
        uid_t link_uid;   /* its owner */
        uid_t dir_uid;    /* the directory holding it: owner and mode */
        mode_t dir_mode;
        char at[PATH_MAX]; /* the path walked so far, up to the component that failed */
};

/* Open the absolute path. flags are open(2)'s for the last component (O_NOFOLLOW and O_CLOEXEC
 * are added); O_PATH returns a handle on whatever the path names. Every intermediate component
 * must be a directory or a trusted symlink. Returns the fd, or -1 with errno and *fail
 * (which may be NULL). Async-signal-safe. */
int safepath_open(const char *path, int flags, mode_t mode, struct safepath_fail *fail);

/* A refused or failed walk as an error: "PATH: refused: /srv/app/out.log is a symlink owned
 * by uid 65534 ..." or "PATH: No such file or directory" (the stage is `stage`). */
int safepath_cerr(struct cerr *err, enum cerr_stage stage, const char *what, const char *path,
                  const struct safepath_fail *fail);

#endif
