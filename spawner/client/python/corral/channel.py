"""The synchronous client: blocking calls, one thread per channel (as the C API).

    ch = corral.open()                      # takes CORRAL_CTL_FD, says HELLO
    w = ch.spawn("w1", ["/usr/bin/worker"])  # once its execve succeeded
    w.terminate()                           # CANCEL_CHILD: the graceful cascade
    w.wait()                                # its whole subtree is gone
    ch.close()

Messages a call does not wait for (a child's end while waiting for a spawn's answer, a
CANCEL) update the child handles and ``cancel`` at once and are kept for next_event()."""

import select
import time

from . import _io
from . import protocol as p
from ._session import Answer, ChildBase, Session
from .errors import CorralError


def _deadline(timeout):
    return None if timeout is None else time.monotonic() + timeout


class Child(ChildBase):
    """A child actor (see ChildBase): wait() for its end, terminate() or kill() it."""

    def wait(self, timeout=None):
        """Its returncode once its whole subtree is gone (CHILD_EXITED). TimeoutError when
        it is still running after timeout seconds."""
        self.channel._until(lambda: self.exited is not None, _deadline(timeout))
        return self.returncode

    def wait_ready(self, timeout=None):
        """True once it said HELLO, False when it ended first. TimeoutError: neither."""
        self.channel._until(lambda: self.ready or self.exited is not None, _deadline(timeout))
        return self.ready

    def stat(self, timeout=None):
        return self.channel.stat(self, timeout)


class Channel:
    """An actor's control channel to its supervisor."""

    def __init__(self, sock):
        self._sock = sock
        self._s = Session(self._new_child, time.monotonic)
        self._answers = {}

    @classmethod
    def from_fd(cls, fd):
        return cls(_io.open_socket(fd))

    # ---- what the supervisor told us ----

    welcome = property(lambda self: self._s.welcome)
    actor_id = property(lambda self: self._s.welcome and self._s.welcome.actor_id)
    name = property(lambda self: self._s.welcome and self._s.welcome.name)
    tree = property(lambda self: self._s.welcome and self._s.welcome.tree)
    cancel = property(lambda self: self._s.cancel, doc="the Cancel, once one came")
    children = property(lambda self: dict(self._s.children))

    def fileno(self):
        """Readable when the supervisor said something (for the caller's own poll loop:
        then call next_event(0))."""
        return self._sock.fileno()

    # ---- requests ----

    def hello(self, timeout=None):
        """HELLO, and the WELCOME answering it."""
        seq, data = self._s.hello()
        self._send(data)
        return self._answer(seq, _deadline(timeout))

    def spawn(self, name, argv, *, profile=None, env=None, fds=None, says_hello=True, timeout=None):
        """A child, once its execve succeeded (SPAWNED); SpawnError when refused or failed.

        ``env``: a mapping or ``KEY=VALUE`` strings added to the child's environment;
        ``fds``: a mapping (or pairs) of name -> fd, socket or file, passed to the child
        from its fd 3 on (LISTEN_FDS, LISTEN_FDNAMES; see listen_fds()); ``says_hello``:
        whether the child talks to corral (a runtime cancels such a child once it said
        HELLO: a CANCEL before that would find nobody listening)."""
        names, fdlist = _fd_pairs(fds)
        seq, data = self._s.spawn(name, argv, profile, _env_list(env), names, says_hello)
        self._send(data, fdlist)
        return self._answer(seq, _deadline(timeout))

    def cancel_child(self, child, force=False):
        """CANCEL_CHILD (not answered when accepted; an ERROR becomes a RequestFailed)."""
        self._send(self._s.cancel_child(child, force)[1])

    def stat(self, child, timeout=None):
        """What a child's node uses now (Stats)."""
        seq, data = self._s.stat(child)
        self._send(data)
        return self._answer(seq, _deadline(timeout))

    def hold(self):
        """HOLD: defer the escalation of any cascade covering this actor (a debugger is
        attached), within its TimeoutHoldSec budget."""
        self._send(self._s.bare(p.Msg.HOLD)[1])

    def release(self):
        self._send(self._s.bare(p.Msg.RELEASE)[1])

    def next_event(self, timeout=None):
        """The next event (ChildReady, ChildExited, Cancel, RequestFailed), or None when
        none came within timeout seconds (0: only what is there)."""
        deadline = _deadline(timeout)
        while not self._s.events:
            if not self._pump(deadline):
                return None
        return self._s.events.popleft()

    @property
    def events_lost(self):
        return self._s.events_lost

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- the wire ----

    def _new_child(self, child_id, name, argv, says_hello):
        return Child(self, child_id, name, argv, says_hello)

    def _send(self, data, fds=()):
        if self._s.closed:
            raise self._s.closed
        _io.send(self._sock, data, fds)

    def _pump(self, deadline):
        """One datagram taken in; False when the deadline passed first."""
        if self._s.closed:
            raise self._s.closed
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        poller = select.poll()
        poller.register(self._sock.fileno(), select.POLLIN)
        if not poller.poll(None if timeout is None else timeout * 1000):
            return False
        try:
            data = _io.recv(self._sock, block=False)
        except CorralError as e:
            raise self._s.close(e) from None
        if data is None:
            return True
        a = self._s.receive(data)
        if isinstance(a, Answer):
            self._answers[a.seq] = a
        return True

    def _answer(self, seq, deadline):
        try:
            self._until(lambda: seq in self._answers, deadline)
        except BaseException:
            self._s.forget(seq)
            raise
        a = self._answers.pop(seq)
        if a.error is not None:
            raise a.error
        return a.value

    def _until(self, done, deadline):
        while not done():
            if not self._pump(deadline):
                raise TimeoutError("no answer from the supervisor in time")


def _env_list(env):
    if env is None:
        return []
    if hasattr(env, "items"):
        return [f"{k}={v}" for k, v in env.items()]
    return list(env)


def _fd_pairs(fds):
    if not fds:
        return [], []
    pairs = list(fds.items()) if hasattr(fds, "items") else list(fds)
    return [n for n, _ in pairs], [_io.fd_of(f) for _, f in pairs]


def open(*, fd=None, hello=True):  # (corral.open, as os.open and io.open)
    """The channel from CORRAL_CTL_FD (taken: see take_fd()), after HELLO and WELCOME."""
    ch = Channel.from_fd(_io.take_fd() if fd is None else fd)
    if hello:
        try:
            ch.hello()
        except BaseException:
            ch.close()
            raise
    return ch
