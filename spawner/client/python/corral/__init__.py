"""corral's actor side in Python: the control channel to the supervisor (PROTOCOL.md), with
nothing but the standard library.

    import corral                  # synchronous: corral.open(), corral.Channel
    import corral.trio             # trio: corral.trio.open_channel() (needs trio 0.22+)

An actor started by ``corral run`` (or spawned by another actor) finds its channel in
CORRAL_CTL_FD; the channel is the actor's authority over its own children and nothing else.
"""

from . import protocol
from ._io import listen_fds, take_fd
from .channel import Channel, Child, open
from .errors import ChannelClosed, ChildFailed, CorralError, ProtocolError, SpawnError
from .events import Cancel, ChildExited, ChildReady, RequestFailed, Stats, Welcome

__version__ = "0.1"

__all__ = [
    "Cancel",
    "Channel",
    "ChannelClosed",
    "Child",
    "ChildExited",
    "ChildFailed",
    "ChildReady",
    "CorralError",
    "ProtocolError",
    "RequestFailed",
    "SpawnError",
    "Stats",
    "Welcome",
    "listen_fds",
    "open",
    "protocol",
    "take_fd",
]
