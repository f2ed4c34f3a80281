"""PROTOCOL.md cannot drift from the Python client either (tests/test_protocol.c holds it to
corral.h): its tables of message types, attributes and limits are read here and checked
against corral.protocol both ways. What the Python client sends is byte for byte what the C
client (build/libcorral.so, through ctypes) sends for the same requests, and messages the
supervisor could send, built here by hand, decode; malformed ones are refused."""

import ctypes
import re
import socket
import struct
import subprocess

import harness
import pytest

from corral import protocol as p
from corral.errors import ProtocolError

DOC = (harness.REPO / "PROTOCOL.md").read_text()


def table(heading):
    """The rows `| `NAME` | VALUE | ...` of the table under heading."""
    lines = DOC[DOC.index(heading) :].splitlines()[1:]
    rows, started = {}, False
    for line in lines:
        if not line.startswith("|"):
            if started:
                break
            continue
        started = True
        m = re.match(r"\| `([A-Z_0-9]+)` \| (0x[0-9a-f]+|\d+) \|", line)
        if m:
            rows[m.group(1)] = int(m.group(2), 0)
    return rows


def test_message_types_match_protocol_md():
    assert table("## Message types") == {m.name: m.value for m in p.Msg}


def test_attributes_match_protocol_md():
    assert table("## Attributes") == {a.name: a.value for a in p.Attr}


def test_limits_match_protocol_md():
    limits = DOC[DOC.index("## Limits") :]

    def row(what):
        return int(re.search(r"\| " + re.escape(what) + r" \| (\d+)", limits).group(1))

    assert row("one datagram") == p.MSG_MAX
    assert row("strings per SPAWN (argv + env + fd names)") == p.STRINGS_MAX
    assert row("fds per SPAWN") == p.FDS_MAX
    assert row("messages read per actor per supervisor turn") == p.TURN_MSGS
    assert row("strikes before the channel closes") == p.STRIKES_MAX
    assert "version 1" in DOC and p.PROTOCOL_VERSION == 1


# ---- the C client's bytes ----


class SpawnReq(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("profile", ctypes.c_char_p),
        ("argv", ctypes.POINTER(ctypes.c_char_p)),
        ("env", ctypes.POINTER(ctypes.c_char_p)),
        ("fds", ctypes.POINTER(ctypes.c_int)),
        ("fd_names", ctypes.POINTER(ctypes.c_char_p)),
        ("nfds", ctypes.c_int),
    ]


def strv(items):
    if items is None:
        return None
    arr = (ctypes.c_char_p * (len(items) + 1))(*[s.encode() for s in items], None)
    return ctypes.cast(arr, ctypes.POINTER(ctypes.c_char_p))


@pytest.fixture
def libcorral():
    path = harness.build_dir() / "libcorral.so"
    if not path.exists():
        pytest.fail(f"{path} is not built (make)")
    undefined = subprocess.run(["nm", "-D", "--undefined-only", str(path)], capture_output=True)
    if b"__asan_init" in undefined.stdout:
        pytest.skip("a sanitizer build's libcorral.so cannot load here: the plain build's check")
    return ctypes.CDLL(str(path))


def test_python_encodes_what_the_c_client_sends(libcorral):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ctl = ctypes.c_void_p()
    assert libcorral.corral_open_fd(ctypes.byref(ctl), a.fileno()) == 0
    a.detach()  # (corral_close closes it)
    seq = ctypes.c_uint32()
    null = open("/dev/null", "rb")
    try:
        assert libcorral.corral_hello(ctl) == 0
        assert b.recv(p.MSG_MAX) == p.encode_hello(1)

        req = SpawnReq(b"w1", None, strv(["/bin/true", "x"]), None, None, None, 0)
        assert libcorral.corral_spawn(ctl, ctypes.byref(req), ctypes.byref(seq)) == 0
        assert seq.value == 2
        assert b.recv(p.MSG_MAX) == p.encode_spawn(2, "w1", ["/bin/true", "x"])

        fds = (ctypes.c_int * 2)(null.fileno(), null.fileno())
        req = SpawnReq(
            b"worker-2", b"small", strv(["prog", "", "ünïcode"]), strv(["A=1", "EMPTY="]),
            ctypes.cast(fds, ctypes.POINTER(ctypes.c_int)), strv(["http", "log"]), 2,
        )
        assert libcorral.corral_spawn(ctl, ctypes.byref(req), ctypes.byref(seq)) == 0
        data, got_fds, _, _ = socket.recv_fds(b, p.MSG_MAX, 8)
        assert data == p.encode_spawn(
            3, "worker-2", ["prog", "", "ünïcode"], "small", ["A=1", "EMPTY="], ["http", "log"]
        )
        assert len(got_fds) == 2
        for fd in got_fds:
            socket.close(fd)

        assert libcorral.corral_cancel_child(ctl, ctypes.c_uint32(7), ctypes.c_bool(False)) == 0
        assert b.recv(p.MSG_MAX) == p.encode_cancel_child(4, 7)
        assert libcorral.corral_cancel_child(ctl, ctypes.c_uint32(7), ctypes.c_bool(True)) == 0
        assert b.recv(p.MSG_MAX) == p.encode_cancel_child(5, 7, force=True)
        assert libcorral.corral_stat(ctl, ctypes.c_uint32(9), ctypes.byref(seq)) == 0
        assert b.recv(p.MSG_MAX) == p.encode_stat(6, 9)
        assert libcorral.corral_hold(ctl) == 0
        assert b.recv(p.MSG_MAX) == p.encode_bare(p.Msg.HOLD, 7)
        assert libcorral.corral_release(ctl) == 0
        assert b.recv(p.MSG_MAX) == p.encode_bare(p.Msg.RELEASE, 8)
    finally:
        libcorral.corral_close(ctl)
        null.close()
        b.close()


def test_encoder_refuses_what_the_supervisor_would():
    with pytest.raises(ValueError):
        p.encode_spawn(1, "w", [])
    with pytest.raises(ValueError):
        p.encode_spawn(1, "w", ["prog"], env=["NOEQUALS"])
    with pytest.raises(ValueError):
        p.encode_spawn(1, "w", ["a\0b"])
    with pytest.raises(ValueError):
        p.encode_spawn(1, "w", ["x"] * (p.STRINGS_MAX + 1))
    with pytest.raises(ValueError):
        p.encode_spawn(1, "w", ["x" * 70000])  # an attribute holds at most 64 KiB
    assert len(p.encode_spawn(1, "w", ["x" * 60000])) % 4 == 0


# ---- the supervisor's messages, built by hand ----


def raw(kind, seq, *attrs):
    body = b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), kind, 0, seq, 0) + body


def a_u32(t, v):
    return struct.pack("=HHI", 8, t, v)


def a_u64(t, v):
    return struct.pack("=HHQ", 12, t, v)


def a_str(t, s):
    b = s.encode() + b"\0"
    return struct.pack("=HH", 4 + len(b), t) + b + b"\0" * (-len(b) % 4)


def test_supervisor_messages_decode():
    m = p.decode(raw(0x17, 0, a_u32(10, 5), a_str(15, "interrupted"), a_u32(16, 130),
                     a_u32(17, 2), a_str(12, "interrupt"), a_u64(18, 1500000),
                     a_str(14, "interrupted (signaled SIGINT)"), a_u32(999, 1)))
    assert m.type == p.Msg.CHILD_EXITED and m.seq == 0
    assert m.u32(p.Attr.CHILD_ID) == 5 and m.u32(p.Attr.SIGNAL) == 2
    assert m.str(p.Attr.REASON) == "interrupted" and m.u64(p.Attr.DURATION_US) == 1500000
    assert m.str(p.Attr.TEXT) == "interrupted (signaled SIGINT)"
    assert m.u64(p.Attr.MEMORY) is None  # absent
    # a nested-flagged attribute type is read without its flags
    assert p.decode(raw(0x11, 1, struct.pack("=HHI", 8, 3 | p.NLA_F_NESTED, 4))).u32(3) == 4


@pytest.mark.parametrize(
    "data",
    [
        b"\x10\x00\x00",  # shorter than a header
        raw(0x13, 1, a_u32(10, 1))[:-2],  # nlmsg_len says more than came
        raw(0x13, 1, struct.pack("=HHI", 200, 10, 1)),  # an attribute past the datagram
        raw(0x13, 1, struct.pack("=HHI", 2, 10, 1)),  # an attribute shorter than its header
        raw(0x13, 1, a_u32(10, 1), b"\0\0"),  # bytes after the last attribute
    ],
    ids=["short", "length", "attr-past-end", "attr-too-short", "trailing-bytes"],
)
def test_malformed_datagrams_are_refused(data):
    with pytest.raises(p.ProtocolError):
        p.decode(data)


def test_malformed_values_are_refused():
    m = p.decode(raw(0x13, 1, struct.pack("=HHH", 6, 10, 1) + b"\0\0", a_str(4, "w")))
    with pytest.raises(p.ProtocolError):
        m.u32(p.Attr.CHILD_ID)  # 2 bytes for a u32
    m = p.decode(raw(0x14, 1, struct.pack("=HH", 7, 14) + b"abc\0"))
    with pytest.raises(p.ProtocolError):
        m.str(p.Attr.TEXT)  # no NUL at its end
    assert issubclass(ProtocolError, OSError)
