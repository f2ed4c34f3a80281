/* Who a program runs as (DESIGN §4a): User=, Group=, SupplementaryGroups=, else the user who
 * invoked sudo, else the caller, except that a root caller's program runs as nobody (uid 0
 * without capabilities would still own most of the host's files); User=root asks for root.
 * With PrivateUsers= it is uid 0 inside a user namespace and that user (never root) outside.
 * Capabilities: only what the profile grants. Lookups go through NSS (getpwnam_r ...) in the
 * supervisor, never after clone3. */
#ifndef CORRAL_SPAWNER_IDENTITY_H
#define CORRAL_SPAWNER_IDENTITY_H

#include <stdint.h>

#include "../ns/creds.h"
#include "../ns/err.h"
#include "../policy/profile.h"

struct identity {
        struct cred_plan cred;
        bool userns;               /* PrivateUsers=: cred is inside; these are outside */
        uint32_t map_uid, map_gid; /* who uid/gid 0 inside is outside */
        char user[64];             /* who the program runs as: a name, or "uid N" */
        char home[256];            /* that user's home (HOME=), "/" when it has none */
};

/* Resolves the profile's names at spawn time (the host may have changed since any earlier
 * check). A name the host lacks fails as identity_check() says it. */
int identity_plan(const struct profile *p, int cap_last, struct identity *id, struct cerr *err);

/* The host check of the credential keys: every name in User=, Group= and SupplementaryGroups=
 * is known to this host's user and group databases (a number always is). `corral policy check`
 * and `corral run` call it before anything is spawned and identity_plan() fails through the
 * same lookups, so all three say it alike: "User: 'app': no such user on this host", stage
 * CERR_HOST_CHECK (the input's fault on this host, no strerror after it). */
int identity_check(const struct profile *p, struct cerr *err);

/* The identity a file is opened with on the program's behalf: its ids as the host sees them,
 * its groups, and the capabilities it will hold (creds_fs_enter). */
void identity_fs(const struct identity *id, uid_t *uid, gid_t *gid, const gid_t **groups,
                 int *ngroups, uint64_t *caps);

#endif
