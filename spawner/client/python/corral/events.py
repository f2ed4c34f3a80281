"""What the supervisor says, as Python objects. Times are seconds (floats); a Cancel's
``deadline`` is on the clock of the API that received it (``time.monotonic()`` for the
synchronous channel, ``trio.current_time()`` for the trio one)."""

from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Welcome:
    """The answer to HELLO: this actor's id in its tree, its name and the tree's."""

    actor_id: int
    name: str
    tree: str


@dataclass(frozen=True, eq=False)
class ChildReady:
    """The child said HELLO (it always comes after its spawn's answer)."""

    child: Any


@dataclass(frozen=True, eq=False)
class ChildExited:
    """The child's whole subtree is gone. ``reason`` is one word (``exited``, ``signaled``,
    ``cancelled``, ``interrupted``, ``terminated``, ``killed``, ``oom-killed``, ``seccomp``,
    ``timed-out``, ``stuck`` ...), ``text`` the whole reason (``interrupted (signaled
    SIGINT)``), ``status`` corral run's exit code (the status, or 128+N for signal N),
    ``signal`` the signal that ended it (0: none), ``stage`` the cascade stage it ended in
    (``idle`` outside one), ``duration`` seconds from its execve to its end."""

    child: Any
    reason: str
    status: int
    duration: float
    text: str = ""
    stage: str = "idle"
    signal: int = 0

    @property
    def returncode(self):
        """As subprocess and trio.Process say it: the status, or -N for signal N."""
        return -self.signal if self.signal else self.status


@dataclass(frozen=True)
class Cancel:
    """Cancel yourself (stage 1 of corral's cascade): end your work, cancel your children,
    wait for them and exit, within ``time_left`` seconds (by ``deadline``), after which
    corral escalates to SIGINT."""

    time_left: float
    deadline: float


@dataclass(frozen=True, eq=False)
class Stats:
    """A child's node (its whole subtree) now; None where this host cannot say."""

    child: Any
    memory: Optional[int] = None  # bytes
    pids: Optional[int] = None  # tasks
    cpu: Optional[float] = None  # seconds


@dataclass(frozen=True)
class RequestFailed:
    """An ERROR answering a request nobody waits for an answer to (CANCEL_CHILD, HOLD,
    RELEASE: they are not answered when accepted). ``request`` names it when known."""

    seq: int
    request: str
    error: Exception
