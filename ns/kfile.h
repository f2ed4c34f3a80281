/* One short write to, or read of, a kernel interface file (cgroup.procs, uid_map,
 * cgroup.controllers, /proc/stat): open, one call, close. For callers that report errors
 * themselves (errno is set); cg_node_write() is the cgroup node's version with a struct cerr. */
#ifndef CORRAL_NS_KFILE_H
#define CORRAL_NS_KFILE_H

#include <stddef.h>

/* Writes text to path (relative to dirfd, or AT_FDCWD) in one write(2). 0, or -1 with errno
 * (EIO for a short write). */
int kfile_write_at(int dirfd, const char *path, const char *text);
/* Reads at most len - 1 bytes of path into buf, NUL-terminated (buf is "" on failure). The
 * length read, or -1 with errno. */
int kfile_read(const char *path, char *buf, size_t len);

#endif
