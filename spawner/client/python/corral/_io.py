"""Taking the channel from the environment, and moving datagrams and fds over it."""

import array
import errno
import os
import socket

from . import protocol as p
from .errors import ChannelClosed, CorralError, ProtocolError

# recvmsg's room for fds: the supervisor never sends any, but whatever comes must be seen
# (and closed), never truncated into the next read.
_ANC_SPACE = socket.CMSG_SPACE(8 * array.array("i").itemsize)


def take_fd(environ=None):
    """The channel's fd, taken as sd_listen_fds(3) takes its fds: CORRAL_CTL_FD is removed
    from the environment and the fd made close-on-exec, so that programs this actor execs do
    not inherit its authority. ENOENT when this process was not started by corral."""
    env = os.environ if environ is None else environ
    v = env.get("CORRAL_CTL_FD")
    if v is None:
        raise CorralError(errno.ENOENT, "CORRAL_CTL_FD is not set: not an actor of corral", "open")
    try:
        fd = int(v)
    except ValueError:
        fd = -1
    if fd < 3:
        raise CorralError(errno.EBADF, f"CORRAL_CTL_FD={v!r} names no channel", "open")
    os.set_inheritable(fd, False)
    del env["CORRAL_CTL_FD"]
    return fd


def open_socket(fd):
    """The channel's fd as a socket object (which owns it from now on)."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError as e:
        raise CorralError(e.errno, f"fd {fd}: not a socket", "open") from None
    if sock.type != socket.SOCK_SEQPACKET:
        sock.detach()
        raise CorralError(errno.ENOTSOCK, f"fd {fd}: not a SOCK_SEQPACKET socket", "open")
    return sock


def listen_fds(unset_environment=True, environ=None):
    """The fds this actor was given (``--fd`` for a root actor, a SPAWN's fds for a child),
    as ``[(name, fd), ...]`` in order, from 3 on: what sd_listen_fds_with_names(3) returns.
    Each is made close-on-exec; with unset_environment, LISTEN_FDS, LISTEN_PID and
    LISTEN_FDNAMES are removed."""
    env = os.environ if environ is None else environ
    try:
        n = int(env.get("LISTEN_FDS", "0"))
        pid = int(env.get("LISTEN_PID", "0"))
    except ValueError:
        n, pid = 0, 0
    names = env.get("LISTEN_FDNAMES", "").split(":") if env.get("LISTEN_FDNAMES") else []
    if unset_environment:
        for k in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
            env.pop(k, None)
    if n <= 0 or pid != os.getpid():
        return []
    out = []
    for i in range(n):
        fd = 3 + i
        os.set_inheritable(fd, False)
        out.append((names[i] if i < len(names) else "unknown", fd))
    return out


def fd_of(obj):
    return obj if isinstance(obj, int) else obj.fileno()


def send(sock, data, fds=(), block=True):
    """One datagram (fds as SCM_RIGHTS beside it). BlockingIOError when not block and the
    supervisor's side is full; ChannelClosed when it is gone."""
    flags = socket.MSG_NOSIGNAL | (0 if block else socket.MSG_DONTWAIT)
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    try:
        while True:
            try:
                n = sock.sendmsg([data], anc, flags)
                break
            except InterruptedError:
                continue
    except (BrokenPipeError, ConnectionResetError):
        raise ChannelClosed() from None
    if n != len(data):
        raise CorralError(errno.EMSGSIZE, f"sent {n} of {len(data)} bytes", "send")


def recv(sock, block):
    """One datagram; None when not block and none is waiting. ChannelClosed at the end."""
    flags = getattr(socket, "MSG_CMSG_CLOEXEC", 0) | (0 if block else socket.MSG_DONTWAIT)
    while True:
        try:
            data, anc, msg_flags, _ = sock.recvmsg(p.MSG_MAX, _ANC_SPACE, flags)
            break
        except InterruptedError:
            continue
        except BlockingIOError:
            return None
        except ConnectionResetError:
            raise ChannelClosed() from None
    for level, kind, payload in anc:  # the supervisor sends no fds: any that came are closed
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(payload[: len(payload) - len(payload) % a.itemsize])
            for fd in a:
                os.close(fd)
    if not data:
        raise ChannelClosed()
    if msg_flags & socket.MSG_TRUNC:
        raise ProtocolError("a truncated datagram")
    return data
