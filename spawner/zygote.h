/* The spawn server (DESIGN §4, shape b). Forked while the supervisor is small and holds
 * nothing much (at open; or, with zygote_on_demand, at the first spawn after the tree's
 * first, which the supervisor clones itself: shim_clone.h); it closes every fd it inherited
 * (or it would hold a caller's capture pipe open forever) and does every clone3 of the tree,
 * with CLONE_PARENT so that the supervisor is each shim's parent. Clone cost stays flat
 * however large the supervisor grows after the fork, and the child needs no exec of a
 * separate shim program. If the zygote dies, pending spawns fail with an error; the
 * supervisor never waits on it blindly. */
#ifndef CORRAL_SPAWNER_ZYGOTE_H
#define CORRAL_SPAWNER_ZYGOTE_H

#include <sys/types.h>

#include "../ns/err.h"

struct zygote {
        pid_t pid;
        int pidfd; /* the zygote process itself */
        int sock;  /* SOCK_SEQPACKET to the zygote, non-blocking */
};

int zygote_start(struct zygote *z, struct cerr *err);
void zygote_stop(struct zygote *z);

#endif
