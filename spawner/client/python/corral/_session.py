"""The client's state, without I/O: request ids, the requests waiting for an answer, this
actor's children, and what each datagram from the supervisor means. The synchronous and the
trio channels drive one Session each and only move bytes and wake waiters."""

import collections
import errno
import signal

from . import protocol as p
from .errors import ChannelClosed, CorralError, SpawnError, decode_error
from .events import Cancel, ChildExited, ChildReady, RequestFailed, Stats, Welcome

# Unsolicited events kept for next_event() when nobody reads them: beyond this many the
# oldest are dropped (and counted), so that a runtime that only uses child handles does
# not grow without bound. The supervisor itself queues at most 1024 for an actor.
EVENTS_MAX = 4096


class ChildBase:
    """A child actor, shaped like trio.Process: ``returncode`` (None while it runs; the
    status, or -N for signal N), ``pid`` and the rest. A child runs in a PID namespace its
    parent cannot see, so it has no pid of its parent's: ``pid`` is its actor id, unique in
    its tree and never reused, which is what logs should name."""

    def __init__(self, channel, child_id, name, args, says_hello):
        self.channel = channel
        self.id = child_id
        self.name = name
        self.args = list(args)
        self.says_hello = says_hello
        self.ready = False  # it said HELLO
        self.exited = None  # its ChildExited, once its whole subtree is gone
        self.cancel_requested = False  # this actor asked it to end (CANCEL_CHILD)

    @property
    def pid(self):
        return self.id

    @property
    def returncode(self):
        return None if self.exited is None else self.exited.returncode

    @property
    def reason(self):
        return None if self.exited is None else self.exited.reason

    @property
    def failed(self):
        """It ended in failure: anything but exited 0, unless this actor asked it to end."""
        e = self.exited
        return e is not None and e.status != 0 and not self.cancel_requested

    def poll(self):
        return self.returncode

    def terminate(self):
        """CANCEL_CHILD (the driver's cancel_child, which sends without waiting): the graceful cascade on its subtree, on its profile's timeouts."""
        if self.exited is None:
            self.channel.cancel_child(self)

    def kill(self):
        """CANCEL_CHILD with FORCE: straight to cgroup.kill of its node."""
        if self.exited is None:
            self.channel.cancel_child(self, force=True)

    def send_signal(self, sig):
        """SIGTERM and SIGINT mean terminate(), SIGKILL kill(): corral lets a parent end a
        child, never signal it otherwise."""
        if sig == signal.SIGKILL:
            self.kill()
        elif sig in (signal.SIGTERM, signal.SIGINT):
            self.terminate()
        else:
            raise ValueError(f"a corral child can be terminated or killed, not sent {sig!r}")

    def __repr__(self):
        state = (
            f"returncode={self.returncode} reason={self.reason}"
            if self.exited
            else ("running" if self.ready else "starting")
        )
        return f"<corral child {self.name} id={self.id} {state}>"

    # the drivers wake their waiters here
    def _on_ready(self):
        pass

    def _on_exited(self):
        pass


class Answer:
    """The reply to request `seq`: a value, or an exception to raise in the waiter."""

    __slots__ = ("seq", "value", "error")

    def __init__(self, seq, value=None, error=None):
        self.seq, self.value, self.error = seq, value, error


class Session:
    def __init__(self, make_child, clock):
        self._make_child = make_child
        self._clock = clock
        self._seq = 0
        self._waiting = {}  # seq -> (request name, its arguments), answered by seq
        self._sent = collections.OrderedDict()  # seq -> request name of unanswered kinds
        self.children = {}  # id -> child
        self.welcome = None
        self.cancel = None  # the Cancel, once one came
        self.events = collections.deque()
        self.events_lost = 0
        self.closed = None  # the exception every later request raises

    # ---- requests: (seq, datagram) ----

    def _next_seq(self):
        self._seq = (self._seq + 1) & 0xFFFFFFFF or 1  # from 1, never 0
        return self._seq

    def _fire_and_forget(self, name, seq):
        # (their ERROR, if any, is attributed by seq: remember the last few)
        self._sent[seq] = name
        while len(self._sent) > 256:
            self._sent.popitem(last=False)

    def hello(self):
        seq = self._next_seq()
        self._waiting[seq] = ("HELLO", None)
        return seq, p.encode_hello(seq)

    def spawn(self, name, argv, profile, env, fd_names, says_hello):
        seq = self._next_seq()
        data = p.encode_spawn(seq, name, argv, profile, env, fd_names)
        self._waiting[seq] = ("SPAWN", (name, list(argv), says_hello))
        return seq, data

    def cancel_child(self, child, force):
        seq = self._next_seq()
        if isinstance(child, ChildBase):
            child.cancel_requested = True
            child_id = child.id
        else:
            child_id = int(child)
            if child_id in self.children:
                self.children[child_id].cancel_requested = True
        self._fire_and_forget("CANCEL_CHILD", seq)
        return seq, p.encode_cancel_child(seq, child_id, force)

    def stat(self, child):
        seq = self._next_seq()
        child_id = child.id if isinstance(child, ChildBase) else int(child)
        self._waiting[seq] = ("STAT", child_id)
        return seq, p.encode_stat(seq, child_id)

    def bare(self, kind):
        seq = self._next_seq()
        self._fire_and_forget(p.Msg(kind).name, seq)
        return seq, p.encode_bare(kind, seq)

    def forget(self, seq):
        """A waiter gave up (cancelled): its answer, if it comes, is dropped."""
        self._waiting.pop(seq, None)

    # ---- what the supervisor says ----

    def _event(self, ev):
        if len(self.events) >= EVENTS_MAX:
            self.events.popleft()
            self.events_lost += 1
        self.events.append(ev)
        return ev

    def receive(self, data):
        """One datagram: returns the Answer it carries, the event it is, or None (a message
        this client does not know, from a newer supervisor). Raises errors.ProtocolError."""
        try:
            m = p.decode(data)
            return self._receive(m)
        except p.ProtocolError as e:
            raise decode_error(e) from None

    def _receive(self, m):
        t = m.type
        if t == p.Msg.WELCOME:
            self.welcome = Welcome(
                m.u32(p.Attr.ACTOR_ID, 0), m.str(p.Attr.NAME, ""), m.str(p.Attr.TREE, "")
            )
            self._waiting.pop(m.seq, None)
            return Answer(m.seq, self.welcome)
        if t == p.Msg.SPAWNED:
            req = self._waiting.pop(m.seq, None)
            cid = m.u32(p.Attr.CHILD_ID)
            if cid is None:
                raise decode_error(p.ProtocolError("SPAWNED without a child id"))
            name, argv, says_hello = req[1] if req else (m.str(p.Attr.NAME, "?"), [], True)
            child = self._make_child(cid, m.str(p.Attr.NAME, name), argv, says_hello)
            self.children[cid] = child
            return Answer(m.seq, child)
        if t == p.Msg.ERROR:
            err_no = m.u32(p.Attr.ERRNO, errno.EIO)
            stage, text = m.str(p.Attr.STAGE), m.str(p.Attr.TEXT, "")
            req = self._waiting.pop(m.seq, None)
            if req and req[0] == "SPAWN":
                return Answer(m.seq, error=SpawnError(err_no, text, stage, name=req[1][0]))
            if req:
                return Answer(m.seq, error=CorralError(err_no, text, stage))
            what = self._sent.pop(m.seq, "?")
            return self._event(RequestFailed(m.seq, what, CorralError(err_no, text, stage)))
        if t == p.Msg.CHILD_READY:
            child = self._child(m)
            child.ready = True
            child._on_ready()
            return self._event(ChildReady(child))
        if t == p.Msg.CHILD_EXITED:
            child = self._child(m)
            ev = ChildExited(
                child=child,
                reason=m.str(p.Attr.REASON, "?"),
                status=m.u32(p.Attr.EXIT_CODE, 0),
                duration=m.u64(p.Attr.DURATION_US, 0) / 1e6,
                text=m.str(p.Attr.TEXT, ""),
                stage=m.str(p.Attr.STAGE, "idle"),
                signal=m.u32(p.Attr.SIGNAL, 0),
            )
            child.exited = ev
            child._on_exited()
            return self._event(ev)
        if t == p.Msg.CANCEL:
            left = m.u64(p.Attr.TIME_LEFT_US, 0) / 1e6
            self.cancel = Cancel(left, self._clock() + left)
            return self._event(self.cancel)
        if t == p.Msg.STATS:
            req = self._waiting.pop(m.seq, None)
            cid = m.u32(p.Attr.CHILD_ID, req[1] if req else 0)
            cpu = m.u64(p.Attr.CPU_US)
            st = Stats(
                child=self.children.get(cid, cid),
                memory=m.u64(p.Attr.MEMORY),
                pids=m.u64(p.Attr.PIDS),
                cpu=None if cpu is None else cpu / 1e6,
            )
            return Answer(m.seq, st)
        return None

    def _child(self, m):
        cid = m.u32(p.Attr.CHILD_ID)
        child = self.children.get(cid)
        if child is None:  # the supervisor names only children it said SPAWNED of
            raise decode_error(p.ProtocolError(f"{p.Msg(m.type).name} of unknown child {cid}"))
        return child

    def close(self, error=None):
        """No more messages: every waiter and every running child learns why."""
        self.closed = error or ChannelClosed()
        return self.closed
