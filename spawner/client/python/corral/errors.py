"""What can go wrong, as exceptions. A request the supervisor refused (an ERROR) carries the
stage and errno the supervisor named; a child that failed is a ChildFailed, so that a nursery
of children reports its failures as trio reports any group of errors."""

import errno as _errno
import os

from .protocol import ProtocolError as _DecodeError


class CorralError(OSError):
    """A request failed: ``errno``, ``stage`` (``spawn``, ``execve``, ``cancel``, ``hold``,
    ``protocol``, ``open`` ...) and the supervisor's text (``strerror``)."""

    def __init__(self, errnum, text, stage=None):
        super().__init__(errnum, text)
        self.stage = stage

    @property
    def text(self):
        return self.strerror

    def __str__(self):
        name = _errno.errorcode.get(self.errno, str(self.errno))
        where = f"{self.stage}: " if self.stage else ""
        return f"{where}{self.strerror} ({name}: {os.strerror(self.errno)})"

    def __reduce__(self):
        return (type(self), (self.errno, self.strerror, self.stage))


class SpawnError(CorralError):
    """SPAWN was answered with an ERROR: refused (stage ``spawn``: a bad name, a profile the
    parent may not use or looser than its own, a tree limit, ECANCELED inside a cancelling
    subtree ...) or failed (``execve``: a program not found ...). No child exists."""

    def __init__(self, errnum, text, stage=None, name=None):
        super().__init__(errnum, text, stage)
        self.name = name

    def __str__(self):
        return f"spawning {self.name}: {super().__str__()}"

    def __reduce__(self):
        return (type(self), (self.errno, self.strerror, self.stage, self.name))


class ProtocolError(CorralError):
    """The supervisor sent something this client cannot decode (EBADMSG)."""

    def __init__(self, text):
        super().__init__(_errno.EBADMSG, text, "protocol")

    def __reduce__(self):
        return (type(self), (self.strerror,))


class ChannelClosed(CorralError):
    """The supervisor closed the channel (EPIPE): after too many malformed messages, when
    this actor let its queue fill, or when the supervisor ended."""

    def __init__(self, text="the supervisor closed the control channel"):
        super().__init__(_errno.EPIPE, text, "channel")

    def __reduce__(self):
        return (type(self), (self.strerror,))


class ChildFailed(Exception):
    """A child ended in failure: anything but ``exited 0``, unless its parent asked it to
    end (a child this actor cancelled ended as asked). ``exited`` is its ChildExited."""

    def __init__(self, exited):
        super().__init__(exited)
        self.exited = exited

    child = property(lambda self: self.exited.child)
    reason = property(lambda self: self.exited.reason)
    status = property(lambda self: self.exited.status)
    text = property(lambda self: self.exited.text)

    def __str__(self):
        c = self.exited.child
        return f"child {c.name} (id {c.id}) failed: {self.exited.text}"


def decode_error(e):
    """protocol.ProtocolError (pure decoding) as the client's exception."""
    return ProtocolError(str(e)) if isinstance(e, _DecodeError) else e
