"""The trio client: a channel whose reader is a trio system task, children shaped like
trio.Process, and corral's CANCEL as the cancellation of the channel's block.

    async with corral.trio.open_channel() as ch:      # HELLO; CANCEL cancels this block
        async with trio.open_nursery() as nursery:
            nursery.start_soon(ch.run, "w1", ["/usr/bin/worker"])
            nursery.start_soon(ch.run, "w2", ["/usr/bin/worker"])

``ch.run`` is to a child actor what trio.run_process is to a process: it waits for the
child's end, raises ChildFailed when it failed, and when it is cancelled it cancels the
child (CANCEL_CHILD, once the child said HELLO) and waits for its whole subtree to be gone
before it lets the cancellation go on. So a failure cancels the siblings, a nursery reports
its children's failures as an exception group, and corral's CANCEL ends the tree from the
leaves up, inside corral's deadline.

trio is imported here only: ``import corral`` never needs it.
"""

import errno
import math
from contextlib import asynccontextmanager

import trio

from . import _io
from . import protocol as p
from ._session import Answer, ChildBase, Session
from .channel import _env_list, _fd_pairs
from .errors import ChildFailed

# How long a structured cancel waits for a child that talks to corral to say HELLO before it
# cancels the child anyway (a CANCEL sent before its HELLO would find nobody listening, and
# corral would start at SIGINT).
READY_TIMEOUT = 5.0


class Child(ChildBase):
    """A child actor, shaped like trio.Process (see ChildBase)."""

    def __init__(self, channel, child_id, name, args, says_hello):
        super().__init__(channel, child_id, name, args, says_hello)
        self._changed = trio.Event()  # it said HELLO or ended
        self._ended = trio.Event()

    def _on_ready(self):
        self._changed.set()

    def _on_exited(self):
        self._changed.set()
        self._ended.set()

    async def wait(self):
        """Its returncode once its whole subtree is gone (CHILD_EXITED)."""
        await self.channel._wait(self._ended, lambda: self.exited is not None)
        return self.returncode

    async def wait_ready(self):
        """True once it said HELLO, False when it ended first: whichever comes first."""
        await self.channel._wait(self._changed, lambda: self.ready or self.exited is not None)
        return self.ready

    async def stat(self):
        return await self.channel.stat(self)

    async def cancel(self, *, ready_timeout=READY_TIMEOUT):
        """End it the structured way and wait until its whole subtree is gone: once it said
        HELLO (or ended, or ready_timeout passed) CANCEL_CHILD; if it is still there at the
        deadline corral gave this actor's own cancellation, CANCEL_CHILD with force. Not
        cancellable: returning while the child runs would leak it. Its returncode."""
        ch = self.channel
        with trio.CancelScope(shield=True):
            if self.exited is None and self.says_hello and not self.ready:
                with trio.move_on_at(min(trio.current_time() + ready_timeout, ch._deadline())):
                    await self.wait_ready()
            if self.exited is None:
                self.terminate()
                with trio.move_on_at(ch._deadline()):
                    return await self.wait()
                self.kill()
            return await self.wait()

    async def aclose(self):
        """Wait for its end; when cancelled meanwhile, cancel() it first (as
        trio.Process.aclose kills its process)."""
        try:
            await self.wait()
        except BaseException:
            await self.cancel()
            raise


class Channel:
    """An actor's control channel, read by a system task: use open_channel()."""

    def __init__(self, sock, follow_cancel=True):
        self._sock = sock
        self._fd = sock.fileno()
        self._s = Session(self._new_child, trio.current_time)
        self._follow_cancel = follow_cancel
        self._answers = {}
        self._slots = {}  # seq -> trio.Event, set when its answer (or the channel's end) came
        self._events_changed = trio.Event()
        self._cancelled = trio.Event()
        self._write_lock = trio.Lock()
        self._reader_scope = trio.CancelScope()
        self._scope = None
        self.refused = []  # the SpawnErrors ECANCELED: this actor's subtree was being cancelled

    welcome = property(lambda self: self._s.welcome)
    actor_id = property(lambda self: self._s.welcome and self._s.welcome.actor_id)
    name = property(lambda self: self._s.welcome and self._s.welcome.name)
    tree = property(lambda self: self._s.welcome and self._s.welcome.tree)
    cancel = property(lambda self: self._s.cancel, doc="the Cancel, once one came")
    children = property(lambda self: dict(self._s.children))
    cancel_scope = property(lambda self: self._scope, doc="the block CANCEL cancels")

    @property
    def events_lost(self):
        return self._s.events_lost

    # ---- requests ----

    async def hello(self):
        seq, data = self._s.hello()
        return await self._request(seq, data)

    async def spawn(
        self, name, argv, *, profile=None, env=None, fds=None, says_hello=True
    ):
        """A child, once its execve succeeded (SPAWNED); SpawnError when refused or failed
        (see corral.Channel.spawn for the arguments). Once the request is sent the wait for
        its answer is not cancellable (the child may exist already: returning without it
        would leak it); the answer comes as soon as the child's execve is done.

        ECANCELED (this actor's subtree is being cancelled: corral refuses spawns inside it)
        is taken as corral's cancel: it cancels the channel's block, as CANCEL would."""
        await trio.lowlevel.checkpoint_if_cancelled()
        names, fdlist = _fd_pairs(fds)
        seq, data = self._s.spawn(name, argv, profile, _env_list(env), names, says_hello)
        slot = self._slots[seq] = trio.Event()
        try:
            await self._send(data, fdlist)
        except BaseException:
            self._forget(seq)
            raise
        with trio.CancelScope(shield=True):
            await self._wait(slot, lambda: seq in self._answers)
        a = self._answers.pop(seq)
        if a.error is not None:
            if a.error.errno == errno.ECANCELED:
                self.refused.append(a.error)
                self._follow()
                await trio.lowlevel.checkpoint()  # (Cancelled, inside the block)
            raise a.error
        return a.value

    async def run(
        self,
        name,
        argv,
        *,
        check=True,
        ready_timeout=READY_TIMEOUT,
        task_status=trio.TASK_STATUS_IGNORED,
        **spawn_args,
    ):
        """Spawn a child and wait for its end, as trio.run_process runs a process: the
        child once it ended; ChildFailed when it failed (with check); when cancelled, the
        child is cancelled first (Child.cancel) and the cancellation goes on once its whole
        subtree is gone. With nursery.start() the child is handed back once spawned."""
        child = await self.spawn(name, argv, **spawn_args)
        task_status.started(child)
        try:
            await child.wait()
        except BaseException:
            await child.cancel(ready_timeout=ready_timeout)
            raise
        if check and child.failed:
            raise ChildFailed(child.exited)
        return child

    def cancel_child(self, child, force=False):
        """CANCEL_CHILD (not answered when accepted; an ERROR becomes a RequestFailed)."""
        self._send_now(self._s.cancel_child(child, force)[1])

    async def stat(self, child):
        seq, data = self._s.stat(child)
        return await self._request(seq, data)

    def hold(self):
        """HOLD: defer the escalation of any cascade covering this actor (a debugger is
        attached), within its TimeoutHoldSec budget."""
        self._send_now(self._s.bare(p.Msg.HOLD)[1])

    def release(self):
        self._send_now(self._s.bare(p.Msg.RELEASE)[1])

    async def wait_cancel(self):
        """The Cancel, once corral sent it."""
        await self._cancelled.wait()
        return self._s.cancel

    async def next_event(self):
        """The next event (ChildReady, ChildExited, Cancel, RequestFailed)."""
        while not self._s.events:
            if self._s.closed:
                raise self._s.closed
            await self._events_changed.wait()
        return self._s.events.popleft()

    def close(self):
        self._reader_scope.cancel()
        if self._sock.fileno() >= 0:
            trio.lowlevel.notify_closing(self._fd)
            self._sock.close()
        self._break(None)

    # ---- the reader and the wire ----

    def _new_child(self, child_id, name, argv, says_hello):
        return Child(self, child_id, name, argv, says_hello)

    def _start(self):
        trio.lowlevel.spawn_system_task(self._reader, name=f"corral channel fd {self._fd}")

    async def _reader(self):
        with self._reader_scope:
            try:
                while True:
                    await trio.lowlevel.wait_readable(self._fd)
                    for _ in range(p.TURN_MSGS):
                        data = _io.recv(self._sock, block=False)
                        if data is None:
                            break
                        self._deliver(self._s.receive(data))
            except Exception as e:  # (a system task must not raise: its waiters hear it)
                self._break(e)

    def _deliver(self, x):
        if isinstance(x, Answer):
            self._answers[x.seq] = x
            slot = self._slots.pop(x.seq, None)
            if slot:
                slot.set()
            return
        if x is None:
            return
        if x is self._s.cancel:
            self._cancelled.set()
            self._follow()
        self._events_changed.set()
        self._events_changed = trio.Event()

    def _follow(self):
        if self._follow_cancel and self._scope is not None:
            self._scope.cancel()

    def _break(self, error):
        if not self._s.closed:
            self._s.close(error)
        for slot in self._slots.values():
            slot.set()
        self._slots.clear()
        for child in self._s.children.values():
            child._on_ready()
            child._ended.set()
        self._events_changed.set()

    async def _wait(self, event, done):
        if not done():
            await event.wait()
        if not done() and self._s.closed:
            raise self._s.closed

    def _forget(self, seq):
        self._s.forget(seq)
        self._slots.pop(seq, None)

    def _deadline(self):
        return self._s.cancel.deadline if self._s.cancel else math.inf

    async def _request(self, seq, data):
        slot = self._slots[seq] = trio.Event()
        try:
            await self._send(data)
            await self._wait(slot, lambda: seq in self._answers)
        except BaseException:
            self._forget(seq)
            raise
        a = self._answers.pop(seq)
        if a.error is not None:
            raise a.error
        return a.value

    async def _send(self, data, fds=()):
        async with self._write_lock:
            while True:
                if self._s.closed:
                    raise self._s.closed
                try:
                    return _io.send(self._sock, data, fds, block=False)
                except BlockingIOError:
                    await trio.lowlevel.wait_writable(self._fd)

    def _send_now(self, data):
        """A small request from synchronous code (terminate(), hold() ...): the supervisor
        reads every channel each turn, so a full buffer is rare and short: then it blocks."""
        if self._s.closed:
            raise self._s.closed
        try:
            _io.send(self._sock, data, block=False)
        except BlockingIOError:
            _io.send(self._sock, data, block=True)


@asynccontextmanager
async def open_channel(*, fd=None, follow_cancel=True):
    """The channel from CORRAL_CTL_FD (taken: see corral.take_fd()) after HELLO and WELCOME,
    for the block. With follow_cancel, corral's CANCEL cancels the block (``cancel_scope``):
    the code inside unwinds as trio cancellation does, children first (see run()), and the
    block ends without an exception; ``ch.cancel`` then holds the Cancel."""
    ch = Channel(_io.open_socket(_io.take_fd() if fd is None else fd), follow_cancel)
    try:
        ch._start()
        await ch.hello()
        with trio.CancelScope() as scope:
            ch._scope = scope
            if ch.cancel is not None:
                ch._follow()  # it came with the WELCOME
            yield ch
    finally:
        ch._scope = None
        ch.close()
