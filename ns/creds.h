/* An actor's credentials and capabilities (DESIGN §4a), applied in the actor child before
 * PR_SET_NO_NEW_PRIVS and execve. By default every capability set ends up empty, even for
 * uid 0: the bounding set is emptied first (while we still may), so the kernel's "root gets
 * the bounding set at exec" rule gives nothing. What a profile grants: a uid-0 program gets
 * its CapabilityBoundingSet= (as systemd gives root services theirs), any program its
 * AmbientCapabilities= (which imply a place in the bounding set). */
#ifndef CORRAL_NS_CREDS_H
#define CORRAL_NS_CREDS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CREDS_MAX_GROUPS 64

struct cred_plan {
        bool set_ids; /* change uid/gid/groups (false: keep the caller's) */
        uid_t uid;
        gid_t gid;
        gid_t groups[CREDS_MAX_GROUPS];
        int ngroups;
        uint64_t bounding; /* capabilities kept in the bounding set */
        uint64_t ambient;  /* raised as ambient (so they survive exec for a non-root uid) */
        int cap_last;      /* /proc/sys/kernel/cap_last_cap */
};

enum creds_step { CREDS_BOUNDING, CREDS_GROUPS, CREDS_GID, CREDS_UID, CREDS_CAPS, CREDS_AMBIENT };

const char *creds_step_name(enum creds_step s);

/* Returns 0, or -1 with errno and *failed. Async-signal-safe. */
int creds_apply(const struct cred_plan *c, enum creds_step *failed);

/* The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap). */
int creds_cap_last(void);

/* A program's file-system identity, borrowed by the calling thread for one open on the
 * program's behalf (Stdout=file:PATH), so the program gets only what it could have opened
 * itself: its fsuid, fsgid and supplementary groups, and no effective capability it will not
 * have (`caps`; a root supervisor's CAP_DAC_OVERRIDE must not open a file for a uid-0 program
 * that holds none). Raw per-thread syscalls: glibc's setgroups() would change every thread.
 * Only a root caller switches; anyone else opens with its own rights. */
struct creds_fs_saved {
        bool active;
        uid_t fsuid;
        gid_t fsgid;
        int ngroups;
        gid_t *groups;
        uint32_t eff[2]; /* effective capabilities before */
};

int creds_fs_enter(uid_t uid, gid_t gid, const gid_t *groups, int ngroups, uint64_t caps,
                   struct creds_fs_saved *saved);
/* Back to the saved identity. Returns 0, or -1 when that failed (the caller must not go on). */
int creds_fs_leave(struct creds_fs_saved *saved);

#endif
