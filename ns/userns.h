/* PrivateUsers= (DESIGN §4a): an actor in a user namespace of its own, root inside and one
 * unprivileged id outside. All of it is here: which outside ids root inside maps to, the
 * maps the zygote writes before it releases the child (an unprivileged writer would first
 * write "deny" to setgroups), and the shim becoming that root. */
#ifndef CORRAL_NS_USERNS_H
#define CORRAL_NS_USERNS_H

#include <stdint.h>
#include <sys/types.h>

/* The outside id that uid or gid 0 inside maps to: the program's own, never root (which
 * maps to the overflow id, 65534, instead). */
uint32_t userns_outside_id(uint32_t id);

/* "0 UID 1" into /proc/PID/uid_map, "0 GID 1" into gid_map. Returns 0, or -1 with errno. */
int userns_write_maps(pid_t pid, uint32_t uid, uint32_t gid);

/* In the new namespace, still host uid 0 from the clone (unmapped there): become the
 * namespace's root (the one outside id the maps name), keeping the capabilities it has
 * inside, and drop the supplementary groups. Async-signal-safe; -1 with errno. */
int userns_become_root(void);

#endif
