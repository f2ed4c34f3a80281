/* Rootless corral (DESIGN §12): an unprivileged user in a cgroup delegated to it, every actor
 * in a user namespace of its own. What such a host must offer, decided from facts (so the
 * decision is unit-tested against hosts we cannot boot), each refusal with what is missing and
 * how to get it:
 *   - pure cgroup v2: a v1 hierarchy (hybrid hosts) cannot be delegated to a user, and its
 *     groups would need root to create;
 *   - memory and pids enabled for our own cgroup (a delegated cgroup's controllers are what
 *     its parent enabled for it: the user cannot add any);
 *   - unprivileged user namespaces: user.max_user_namespaces above 0, Debian's
 *     kernel.unprivileged_userns_clone not 0, AppArmor's
 *     kernel.apparmor_restrict_unprivileged_userns not 1;
 *   - $XDG_RUNTIME_DIR: a directory of ours (pam_systemd makes /run/user/UID), where the
 *     registry and the admin sockets live ($XDG_RUNTIME_DIR/corral).
 * Delegation itself (our cgroup writable, holding nobody else) is ns/cgroup_delegation.h's. */
#ifndef CORRAL_NS_ROOTLESS_H
#define CORRAL_NS_ROOTLESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup_mounts.h"
#include "err.h"

struct rootless_facts {
        enum cg_mode mode;
        bool memory_v2, pids_v2; /* enabled for our own v2 cgroup */
        const char *own_v2;      /* our v2 cgroup, for messages */
        long max_userns;         /* user.max_user_namespaces (-1: unreadable) */
        long unpriv_clone;       /* kernel.unprivileged_userns_clone (-1: absent) */
        long apparmor_restrict;  /* kernel.apparmor_restrict_unprivileged_userns (-1: absent) */
        const char *runtime_dir; /* $XDG_RUNTIME_DIR (NULL or "": unset) */
        int runtime_dir_errno;   /* 0: a directory we own; else why not (ENOENT, EACCES ...) */
        uid_t uid;
};

struct rootless_verdict {
        bool ok;
        char problem[256];
        char fix[384];
};

/* True when corral runs rootless: without root's effective uid. */
bool rootless_mode(void);

void rootless_decide(const struct rootless_facts *f, struct rootless_verdict *v);
/* The facts of the live host, for the calling process. */
void rootless_facts_read(const struct cg_mounts *h, struct rootless_facts *f);
/* Rootless and the host cannot take it: -1 with "problem; fix" (CERR_HOST_CHECK), having
 * created nothing. 0 when root, or when rootless can work. */
int rootless_refuse(const struct cg_mounts *h, struct cerr *err);

#endif
