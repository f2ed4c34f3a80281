/* Namespaces made ahead of need: the zygote's spares.
 *
 * Making a network namespace costs ~360 us here (Linux 6.18, nested VM), an IPC one ~26;
 * setns(2) into one already made costs ~1.5. So the zygote keeps one spare of each kind an
 * earlier request asked for, made while it had nothing to do, and a clone that asks for
 * that kind (CLONE_NEWNET, CLONE_NEWIPC) is born in the spare instead: the zygote enters it
 * just before clone3 and comes back right after (as for PrivateNetwork=tree, ns/netns.h),
 * and the flag leaves the clone. The actor's namespace is then exactly what the clone would
 * have made: fresh, made by the zygote from the namespaces it lives in (the host's), owned
 * by the same user namespace, never entered by anyone before, used once (the zygote's fd
 * goes once the child holds it).
 *
 * Not for a clone that makes a user namespace: its namespaces must be owned by the new
 * one, or its root could not administer them (bring lo up, say). Spares move the cost off
 * a spawn's path; they do not remove it: the CPU is spent between spawns (make bench's cpu
 * columns still count it, in the zygote). */
#ifndef CORRAL_NS_SPARE_NS_H
#define CORRAL_NS_SPARE_NS_H

#include <stdbool.h>
#include <stdint.h>

enum spare_kind { SPARE_NET, SPARE_IPC, SPARE_N };

struct ns_spares {
        int fd[SPARE_N];      /* a spare made, not yet used; or -1 */
        bool wanted[SPARE_N]; /* a request asked for this kind: keep one made */
};

void ns_spares_init(struct ns_spares *sp);

/* Before a clone with *flags: enter the spare of each kind the flags ask for (not with
 * CLONE_NEWUSER), keeping a handle on our own namespace in saved[kind]; the flag of each
 * kind entered leaves *flags. Returns the kinds entered (bit 1 << kind). A kind that cannot
 * be entered stays a clone flag: the clone makes it, as without spares. */
unsigned ns_spares_enter(struct ns_spares *sp, uint64_t *flags, int saved[SPARE_N]);

/* After the clone, in the cloner: back to our own namespaces, and the spares used are
 * closed. -1 (errno) when we could not come back: then we must clone nothing more. */
int ns_spares_leave(struct ns_spares *sp, unsigned used, int saved[SPARE_N]);

/* In the child, first thing: it holds no spare and no handle on the cloner's namespaces. */
void ns_spares_child(struct ns_spares *sp, int saved[SPARE_N]);

/* Make a spare of each kind wanted and missing. -1 (errno) only when we could not come back
 * to our own namespace after making one (then we must clone nothing more); a spare that could
 * not be made is simply missing (the next clone makes its own). */
int ns_spares_refill(struct ns_spares *sp);

/* Whether a refill has something to do. */
bool ns_spares_short(const struct ns_spares *sp);

#endif
