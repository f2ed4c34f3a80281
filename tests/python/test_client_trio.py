"""The trio channel against a scripted supervisor (no privileges): a child's failure,
corral's CANCEL as the cancellation of the block (children cancelled once they said HELLO,
and waited for), ECANCELED, and a spawn whose answer is still on its way when its task is
cancelled."""

import errno
import socket

import pytest
import trio

import corral
import corral.trio
from corral import protocol as p
from scripted import welcome, spawned, error, ready, exited, cancel


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
