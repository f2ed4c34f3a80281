"""The client against a scripted supervisor on a socketpair (no privileges, no trio: these
run on any Python the core supports): taking the channel from the environment, answers
matched to requests, events that come meanwhile, errors with their stage and errno, fds
passed with a SPAWN, the end of the channel. test_client_trio.py: the trio channel."""

import errno
import os
import socket

import pytest

import corral
from corral import protocol as p
from scripted import a_u32, a_u64, welcome, spawned, error, ready, exited, cancel, pair, take


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
