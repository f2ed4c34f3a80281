/* One message with at most one fd beside it (SCM_RIGHTS, unix(7)): the zygote's reply with
 * the child's pidfd, the shim's pty master. No allocation: the shim and the zygote call it. */
#ifndef CORRAL_NS_FDPASS_H
#define CORRAL_NS_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Send len bytes of buf, with fd when fd >= 0; flags are sendmsg(2)'s (MSG_NOSIGNAL is
 * added). Returns what sendmsg returns (EINTR is retried). */
ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd, int flags);

/* Receive up to len bytes into buf; *fd is the fd that came with them (close-on-exec), or -1.
 * flags are recvmsg(2)'s (MSG_CMSG_CLOEXEC is added). Returns what recvmsg returns. */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fd, int flags);

#endif
