/* PrivateNetwork=tree: one network namespace for a whole tree, which no process need live in
 * to exist (an fd holds it), and the zygote's visit to it for each clone.
 *
 * A child is born in the namespace its cloner is in, unless the clone makes a new one. The
 * zygote therefore enters the tree's namespace (setns(2)) just before clone3 and returns to
 * its own right after: the child starts inside, whatever else the clone creates. Joining it
 * afterwards would not do: a child in a new user namespace holds no capability over a
 * namespace the host's user namespace owns, and setns(2) needs CAP_SYS_ADMIN over both the
 * target's owner and its own (setns(2), user_namespaces(7)). The same rule makes the tree's
 * namespace a root-only feature: a supervisor without CAP_SYS_ADMIN can neither make it
 * outside a user namespace of its own nor have its zygote enter it.
 *
 * Cost here (Linux 6.18): creating a network namespace and bringing lo up ~0.3 ms, once per
 * tree; the zygote's two setns(2) calls per spawn are a few microseconds. */
#ifndef CORRAL_NS_NETNS_H
#define CORRAL_NS_NETNS_H

#include "err.h"

/* A new network namespace with lo up, returned as an fd (O_CLOEXEC) in *fd. The calling
 * thread enters it to create it and comes back before returning; it is never left inside
 * (when it cannot come back, that is the error, with errno). */
int netns_create_loopback(int *fd, struct cerr *err);

/* The zygote's side, async-signal-safe, for a network or IPC namespace (nstype CLONE_NEWNET,
 * CLONE_NEWIPC; ns/spare_ns.c uses both): enter the namespace of fd, keeping a handle on the
 * one we were in (*saved, O_CLOEXEC); and go back to it (closing it). ns_open_own opens the
 * calling thread's own namespace of that type (O_CLOEXEC). -1 with errno. */
int ns_open_own(int nstype);
int ns_enter(int fd, int nstype, int *saved);
int ns_leave(int *saved, int nstype);

#endif
