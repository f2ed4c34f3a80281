"""The supervisor's side of the control channel, scripted (for test_client.py and
test_client_trio.py): its messages built from corral.protocol, and a socketpair whose far end
a test drives."""

import socket
import struct

from corral import protocol as p

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
