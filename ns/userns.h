/* PrivateUsers= (DESIGN §4a): an actor in a user namespace of its own, root inside and one
 * unprivileged id outside. All of it is here: which outside ids root inside maps to, the
 * maps the zygote writes before it releases the child (an unprivileged writer would first
 * write "deny" to setgroups), and the shim becoming that root. */
#ifndef CORRAL_NS_USERNS_H
#define CORRAL_NS_USERNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The outside id that uid or gid 0 inside maps to: the program's own, never root (which
 * maps to the overflow id, 65534, instead). */
uint32_t userns_outside_id(uint32_t id);

/* "IN_UID OUT_UID 1" into /proc/PID/uid_map, "IN_GID OUT_GID 1" into gid_map. An unprivileged
 * writer (rootless corral: out is its own ids) must write "deny" to /proc/PID/setgroups first,
 * and does: the namespace then never calls setgroups, and its processes keep the groups they
 * had. Returns 0, or -1 with errno. */
int userns_write_maps(pid_t pid, uint32_t in_uid, uint32_t out_uid, uint32_t in_gid,
                      uint32_t out_gid);

/* In the new namespace: become the namespace's root (the one outside id the maps name),
 * keeping the capabilities it has inside. A shim cloned by root (still host uid 0, unmapped
 * there) drops its supplementary groups too (drop_groups); a rootless one cannot (setgroups
 * is denied) and keeps the caller's. Async-signal-safe; -1 with errno. */
int userns_become_root(bool drop_groups);

#endif
