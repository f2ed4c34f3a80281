"""The client against a scripted supervisor on a socketpair (no privileges): taking the
channel from the environment, answers matched to requests, events that come meanwhile,
errors with their stage and errno, fds passed with a SPAWN, the end of the channel; and the
trio channel's structured behaviour: a child's failure, corral's CANCEL as the cancellation
of the block (children cancelled once they said HELLO, and waited for), ECANCELED, and a
spawn whose answer is still on its way when its task is cancelled."""

import errno
import os
import socket
import struct

import pytest
import trio

import corral
import corral.trio
from corral import protocol as p

# ---- the supervisor's side, scripted ----


A = p.Attr


def a_u32(t, v):
    return p.attr_u32(t, v)


def a_u64(t, v):
    return p.attr(t, struct.pack("=Q", v))


def a_str(t, v):
    return p.attr_str(t, v)


def welcome(seq, actor_id=4, name="me", tree="t"):
    return p.message(
        p.Msg.WELCOME, seq, a_u32(A.ACTOR_ID, actor_id), a_str(A.NAME, name), a_str(A.TREE, tree)
    )


def spawned(seq, child, name):
    return p.message(p.Msg.SPAWNED, seq, a_u32(A.CHILD_ID, child), a_str(A.NAME, name))


def error(seq, stage, errnum, text):
    return p.message(
        p.Msg.ERROR, seq, a_str(A.STAGE, stage), a_u32(A.ERRNO, errnum), a_str(A.TEXT, text)
    )


def ready(child):
    return p.message(p.Msg.CHILD_READY, 0, a_u32(A.CHILD_ID, child))


def exited(child, text="exited 0", code=0, sig=0, stage="idle"):
    word = text.split(" (")[0].split(" ")[0]
    return p.message(
        p.Msg.CHILD_EXITED,
        0,
        a_u32(A.CHILD_ID, child),
        a_str(A.REASON, word),
        a_str(A.TEXT, text),
        a_u32(A.EXIT_CODE, code),
        a_u32(A.SIGNAL, sig),
        a_str(A.STAGE, stage),
        a_u64(A.DURATION_US, 250000),
    )


def cancel(left_us):
    return p.message(p.Msg.CANCEL, 0, a_u64(A.TIME_LEFT_US, left_us))


def pair():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    b.settimeout(5)
    return a, b


def take(b):
    """One request: (type, seq, Message)."""
    m = p.decode(b.recv(p.MSG_MAX))
    return p.Msg(m.type), m.seq, m


# ---- taking the channel ----


def test_take_fd_makes_it_cloexec_and_removes_the_variable():
    a, b = pair()
    fd = os.dup(a.fileno())
    os.set_inheritable(fd, True)
    env = {"CORRAL_CTL_FD": str(fd), "OTHER": "1"}
    assert corral.take_fd(env) == fd
    assert env == {"OTHER": "1"} and not os.get_inheritable(fd)
    os.close(fd)
    with pytest.raises(corral.CorralError) as e:
        corral.take_fd({})
    assert e.value.errno == errno.ENOENT and e.value.stage == "open"
    with pytest.raises(corral.CorralError) as e:
        corral.take_fd({"CORRAL_CTL_FD": "x"})
    assert e.value.errno == errno.EBADF
    with open("/dev/null") as f:  # not a socket
        with pytest.raises(corral.CorralError) as e:
            corral.Channel.from_fd(os.dup(f.fileno()))
    assert e.value.errno == errno.ENOTSOCK


def test_listen_fds_as_sd_listen_fds():
    env = {"LISTEN_FDS": "2", "LISTEN_PID": str(os.getpid()), "LISTEN_FDNAMES": "http:log"}
    got = corral.listen_fds(unset_environment=False, environ=dict(env))
    assert got == [("http", 3), ("log", 4)]
    assert corral.listen_fds(environ=dict(env, LISTEN_PID="1")) == []  # for another process
    e = dict(env, LISTEN_FDS="0")
    assert corral.listen_fds(environ=e) == [] and "LISTEN_FDS" not in e


# ---- the synchronous channel ----


def test_sync_spawn_wait_and_what_comes_meanwhile():
    a, b = pair()
    ch = corral.Channel(a)
    b.send(welcome(1))
    assert ch.hello() == corral.Welcome(4, "me", "t")
    assert take(b)[:2] == (p.Msg.HELLO, 1)
    assert (ch.actor_id, ch.name, ch.tree) == (4, "me", "t")
    # an unsolicited CANCEL and an answer to another request come before SPAWNED
    b.send(cancel(2_500_000))
    b.send(spawned(2, 7, "w1"))
    null = open("/dev/null")
    w = ch.spawn("w1", ["/bin/prog", "x"], profile="small", env={"A": "1"}, fds={"log": null})
    null.close()
    kind, seq, m = take(b)
    assert (kind, seq) == (p.Msg.SPAWN, 2)
    assert m.str(p.Attr.NAME) == "w1" and m.str(p.Attr.PROFILE) == "small"
    assert (w.id, w.pid, w.name, w.args, w.returncode) == (7, 7, "w1", ["/bin/prog", "x"], None)
    assert ch.cancel is not None and 2.4 < ch.cancel.time_left <= 2.5
    assert isinstance(ch.next_event(0), corral.Cancel)
    assert ch.next_event(0) is None
    b.send(ready(7))
    assert w.wait_ready(1) is True
    with pytest.raises(TimeoutError):
        w.wait(0.05)
    w.terminate()
    kind, _, m = take(b)
    assert kind == p.Msg.CANCEL_CHILD and m.u32(p.Attr.CHILD_ID) == 7
    assert p.Attr.FORCE not in m.attrs
    b.send(exited(7, "interrupted (signaled SIGINT)", 130, 2, "interrupt"))
    assert w.wait(1) == -2
    assert (w.reason, w.exited.status, w.exited.stage, w.exited.duration) == (
        "interrupted", 130, "interrupt", 0.25)
    assert not w.failed  # it was asked to end
    assert isinstance(ch.next_event(0), corral.ChildReady)
    ev = ch.next_event(0)
    assert isinstance(ev, corral.ChildExited) and ev.child is w and ev.returncode == -2
    w.kill()  # it ended: nothing sent
    ch.close()
    b.close()


def test_sync_spawn_passes_fds_with_their_names():
    a, b = pair()
    ch = corral.Channel(a)
    r, w = os.pipe()
    b.send(spawned(1, 2, "c"))
    ch.spawn("c", ["prog"], fds=[("in", r), ("out", w)])
    data, fds, _, _ = socket.recv_fds(b, p.MSG_MAX, 8)
    assert len(fds) == 2
    m = p.decode(data)
    names = m.attrs[p.Attr.FD_NAMES]
    assert b"in\0" in names and b"out\0" in names
    os.write(fds[1], b"x")
    assert os.read(r, 1) == b"x"  # the very pipe
    for fd in fds + [r, w]:
        os.close(fd)
    ch.close()
    b.close()


def test_sync_errors_carry_stage_and_errno():
    a, b = pair()
    ch = corral.Channel(a)
    b.send(error(1, "spawn", errno.EPERM, "SPAWN: profile 'big' is looser than its parent's"))
    with pytest.raises(corral.SpawnError) as e:
        ch.spawn("w", ["prog"], profile="big")
    assert (e.value.errno, e.value.stage, e.value.name) == (errno.EPERM, "spawn", "w")
    assert "looser" in str(e.value) and isinstance(e.value, OSError)
    # an ERROR for a request nobody waits on (HOLD while holding) is an event
    ch.hold()
    b.send(error(2, "hold", errno.EALREADY, "HOLD: held already"))
    ev = ch.next_event(1)
    assert isinstance(ev, corral.RequestFailed) and ev.request == "HOLD"
    assert ev.error.errno == errno.EALREADY
    # STAT's answer
    b.send(p.message(p.Msg.STATS, 3, a_u32(p.Attr.CHILD_ID, 9), a_u64(p.Attr.PIDS, 3),
                     a_u64(p.Attr.CPU_US, 1_500_000)))
    st = ch.stat(9)
    assert (st.pids, st.cpu, st.memory) == (3, 1.5, None)
    # the supervisor goes away: every later call says so
    b.close()
    with pytest.raises(corral.ChannelClosed):
        ch.next_event(1)
    with pytest.raises(corral.ChannelClosed):
        ch.spawn("x", ["prog"])
    ch.close()


def test_sync_unknown_attributes_and_messages_are_ignored():
    a, b = pair()
    ch = corral.Channel(a)
    b.send(p.message(0x7F, 0, a_u32(200, 1)))  # a newer supervisor's message
    b.send(p.message(p.Msg.SPAWNED, 1, a_u32(p.Attr.CHILD_ID, 3), a_u32(250, 5)))
    assert ch.spawn("w", ["prog"]).id == 3
    b.send(b"\x01\x02")  # and one that does not decode ends the channel
    with pytest.raises(corral.ProtocolError):
        ch.next_event(1)
    ch.close()
    b.close()


# ---- the trio channel ----


class FakeSupervisor:
    """The supervisor's end, scripted per request type."""

    def __init__(self, sock):
        self.sock = trio.socket.from_stdlib_socket(sock)
        self.log = []

    async def recv(self):
        m = p.decode(await self.sock.recv(p.MSG_MAX))
        self.log.append((p.Msg(m.type).name, m))
        return m

    async def send(self, data):
        await self.sock.send(data)


async def open_pair(**kw):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sup = FakeSupervisor(b)
    b.send(welcome(1))
    return a.detach(), sup


async def test_trio_failure_reaches_the_nursery_as_a_group():
    fd, sup = await open_pair()

    async def supervisor():
        assert (await sup.recv()).type == p.Msg.HELLO
        ids = {}
        for _ in range(2):
            m = await sup.recv()
            assert m.type == p.Msg.SPAWN
            ids[m.str(p.Attr.NAME)] = 10 + m.seq
            await sup.send(spawned(m.seq, 10 + m.seq, m.str(p.Attr.NAME)))
            await sup.send(ready(10 + m.seq))
        await sup.send(exited(ids["bad"], "exited 3", 3))
        # the failure cancels its sibling: CANCEL_CHILD, then its end
        m = await sup.recv()
        assert m.type == p.Msg.CANCEL_CHILD and m.u32(p.Attr.CHILD_ID) == ids["ok"]
        await sup.send(exited(ids["ok"], "cancelled (exited 0)", 0, stage="cancel"))

    async with trio.open_nursery() as outer:
        outer.start_soon(supervisor)
        with trio.fail_after(5), pytest.raises(BaseExceptionGroup) as group:
            async with corral.trio.open_channel(fd=fd) as ch:
                async with trio.open_nursery(strict_exception_groups=True) as n:
                    n.start_soon(ch.run, "ok", ["prog"])
                    n.start_soon(ch.run, "bad", ["prog"])
    leaves = list(group.value.exceptions)
    assert len(leaves) == 1 and isinstance(leaves[0], corral.ChildFailed)
    assert (leaves[0].child.name, leaves[0].reason, leaves[0].status) == ("bad", "exited", 3)
    ok = [c for c in ch.children.values() if c.name == "ok"][0]
    assert ok.cancel_requested and not ok.failed  # the one it cancelled


async def test_trio_cancel_cancels_the_block_children_first():
    fd, sup = await open_pair()
    order = []

    async def supervisor():
        assert (await sup.recv()).type == p.Msg.HELLO
        m = await sup.recv()
        await sup.send(spawned(m.seq, 5, "w"))
        await sup.send(cancel(3_000_000))  # before the child said HELLO
        await trio.sleep(0.1)
        assert [name for name, _ in sup.log] == ["HELLO", "SPAWN"]  # it waits for READY
        order.append("ready")
        await sup.send(ready(5))
        m = await sup.recv()
        assert m.type == p.Msg.CANCEL_CHILD and p.Attr.FORCE not in m.attrs
        order.append("cancel_child")
        await trio.sleep(0.05)
        order.append("exited")
        await sup.send(exited(5, "cancelled (exited 0)", 0, stage="cancel"))

    async with trio.open_nursery() as outer:
        outer.start_soon(supervisor)
        with trio.fail_after(5):
            async with corral.trio.open_channel(fd=fd) as ch:
                try:
                    await ch.run("w", ["prog"])
                finally:
                    order.append("finally")
            assert ch.cancel is not None and ch.cancel_scope is None
            assert 2.5 < ch.cancel.deadline - trio.current_time() <= 3.0
    assert order == ["ready", "cancel_child", "exited", "finally"]
    assert ch.children[5].returncode == 0 and not ch.children[5].failed


async def test_trio_ecanceled_is_taken_as_cancel():
    fd, sup = await open_pair()

    async def supervisor():
        await sup.recv()
        m = await sup.recv()
        text = "SPAWN: the parent is being cancelled"
        await sup.send(error(m.seq, "spawn", errno.ECANCELED, text))

    async with trio.open_nursery() as outer:
        outer.start_soon(supervisor)
        with trio.fail_after(5):
            async with corral.trio.open_channel(fd=fd) as ch:
                await ch.run("w", ["prog"])
                pytest.fail("not cancelled")
    assert [e.errno for e in ch.refused] == [errno.ECANCELED] and ch.cancel is None


async def test_trio_spawn_in_flight_when_cancelled_is_not_leaked():
    fd, sup = await open_pair()
    async with trio.open_nursery() as outer:
        async with corral.trio.open_channel(fd=fd) as ch:
            await sup.recv()
            with trio.CancelScope() as scope:
                outer.start_soon(sup.recv)  # (the SPAWN, read meanwhile)

                async def cancel_soon():
                    await trio.sleep(0.05)
                    scope.cancel()  # while its answer is on its way
                    await trio.sleep(0.05)
                    await sup.send(spawned(2, 8, "late"))
                    await sup.send(ready(8))
                    m = await sup.recv()
                    assert m.type == p.Msg.CANCEL_CHILD and m.u32(p.Attr.CHILD_ID) == 8
                    await sup.send(exited(8, "cancelled (exited 0)", stage="cancel"))

                outer.start_soon(cancel_soon)
                with trio.fail_after(5):
                    await ch.run("late", ["prog"])
            assert scope.cancelled_caught
            assert ch.children[8].exited is not None


async def test_trio_child_handle_is_shaped_like_trio_process():
    fd, sup = await open_pair()
    async with corral.trio.open_channel(fd=fd, follow_cancel=False) as ch:
        await sup.recv()
        await sup.send(spawned(2, 6, "w"))
        c = await ch.spawn("w", ["prog"], says_hello=False)
        await sup.recv()
        for name in ("wait", "terminate", "kill", "send_signal", "returncode", "pid", "poll"):
            assert hasattr(c, name), name
        assert c.poll() is None
        await sup.send(exited(6, "exited 0"))
        assert await c.wait_ready() is False  # it ended first
        assert await c.wait() == 0 and c.reason == "exited"
        # CANCEL with follow_cancel=False: heard, the block goes on
        await sup.send(cancel(1_000_000))
        assert (await ch.wait_cancel()).time_left == 1.0
        assert isinstance(await ch.next_event(), corral.ChildExited)
        assert isinstance(await ch.next_event(), corral.Cancel)
