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

#endif
