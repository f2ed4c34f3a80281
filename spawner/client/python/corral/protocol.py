"""The corral control protocol (PROTOCOL.md), without any I/O.

One message per SOCK_SEQPACKET datagram: a ``struct nlmsghdr`` (16 bytes, host byte order)
followed by netlink attributes (``struct nlattr``: 2-byte length, 2-byte type, payload padded
to 4 bytes). Lists are one attribute with NLA_F_NESTED holding a STRING attribute per entry.

The constants below are PROTOCOL.md's tables; tests/python/test_protocol.py reads the
document and checks them both ways, and checks that what this module encodes is byte for byte
what the C client (spawner/client/client.c) sends.
"""

import enum
import errno
import struct

PROTOCOL_VERSION = 1


class Msg(enum.IntEnum):
    """Message types (``nlmsg_type``); below 0x10 are netlink's control types."""

    HELLO = 0x10
    WELCOME = 0x11
    SPAWN = 0x12
    SPAWNED = 0x13
    ERROR = 0x14
    CHILD_READY = 0x15
    CANCEL_CHILD = 0x16
    CHILD_EXITED = 0x17
    CANCEL = 0x18
    STAT = 0x19
    STATS = 0x1A
    HOLD = 0x1B
    RELEASE = 0x1C


class Attr(enum.IntEnum):
    """Attribute types (``nla_type``)."""

    VERSION = 1
    CAPS = 2
    ACTOR_ID = 3
    NAME = 4
    TREE = 5
    PROFILE = 6
    ARGV = 7
    ENV = 8
    FD_NAMES = 9
    CHILD_ID = 10
    FORCE = 11
    STAGE = 12
    ERRNO = 13
    TEXT = 14
    REASON = 15
    EXIT_CODE = 16
    SIGNAL = 17
    DURATION_US = 18
    TIME_LEFT_US = 19
    MEMORY = 20
    PIDS = 21
    CPU_US = 22
    STRING = 23


# PROTOCOL.md, "Limits": past one of these the supervisor answers with an ERROR.
MSG_MAX = 131072  # one datagram
STRINGS_MAX = 4096  # argv + env + fd names per SPAWN
FDS_MAX = 64  # fds per SPAWN
NAME_MAX = 64  # an actor's name, [A-Za-z0-9_.-]
STRIKES_MAX = 16  # malformed messages before the channel closes
TURN_MSGS = 16  # messages read per actor per supervisor turn

NLMSG_HDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
NLA_HDR = struct.Struct("=HH")  # len, type
NLA_F_NESTED = 1 << 15
NLA_F_NET_BYTEORDER = 1 << 14
NLA_TYPE_MASK = 0xFFFF & ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
_U8 = struct.Struct("=B")
_U32 = struct.Struct("=I")
_U64 = struct.Struct("=Q")


class ProtocolError(ValueError):
    """A datagram that does not decode (the C client's EBADMSG)."""

    errno = errno.EBADMSG


def _align(n):
    return (n + 3) & ~3


# ---- encoding ----


def attr(kind, payload=b""):
    """One attribute, padded to 4 bytes."""
    n = NLA_HDR.size + len(payload)
    if n > 0xFFFF:
        raise ValueError("an attribute holds at most 64 KiB")
    return NLA_HDR.pack(n, kind) + payload + b"\0" * (_align(n) - n)


def attr_u8(kind, v):
    return attr(kind, _U8.pack(v))


def attr_u32(kind, v):
    return attr(kind, _U32.pack(v))


def attr_str(kind, s):
    b = s.encode() if isinstance(s, str) else bytes(s)
    if b"\0" in b:
        raise ValueError(f"a string holds no NUL byte: {s!r}")
    return attr(kind, b + b"\0")


def attr_list(kind, items):
    """A nested list of strings: one STRING attribute per entry, in order."""
    return attr(kind | NLA_F_NESTED, b"".join(attr_str(Attr.STRING, s) for s in items))


def message(kind, seq, *attrs):
    body = b"".join(attrs)
    n = NLMSG_HDR.size + len(body)
    if n > MSG_MAX:
        raise ValueError(f"a message of {n} bytes is over the datagram limit ({MSG_MAX})")
    return NLMSG_HDR.pack(n, kind, 0, seq, 0) + body


def encode_hello(seq):
    return message(Msg.HELLO, seq, attr_u32(Attr.VERSION, PROTOCOL_VERSION), attr_u32(Attr.CAPS, 0))


def encode_spawn(seq, name, argv, profile=None, env=None, fd_names=()):
    """SPAWN: the fds themselves travel beside it (SCM_RIGHTS), one per fd name."""
    argv = list(argv)
    env = list(env or ())
    fd_names = list(fd_names)
    if not argv:
        raise ValueError("SPAWN: argv must hold the program and its arguments")
    if len(fd_names) > FDS_MAX:
        raise ValueError(f"SPAWN: at most {FDS_MAX} fds")
    if len(argv) + len(env) + len(fd_names) > STRINGS_MAX:
        raise ValueError(f"SPAWN: more than {STRINGS_MAX} strings")
    for e in env:
        if "=" not in e or e.startswith("="):
            raise ValueError(f"SPAWN: env entries are KEY=VALUE, not {e!r}")
    parts = [attr_str(Attr.NAME, name)]
    if profile is not None:
        parts.append(attr_str(Attr.PROFILE, profile))
    parts.append(attr_list(Attr.ARGV, argv))
    if env:
        parts.append(attr_list(Attr.ENV, env))
    if fd_names:
        parts.append(attr_list(Attr.FD_NAMES, fd_names))
    return message(Msg.SPAWN, seq, *parts)


def encode_cancel_child(seq, child, force=False):
    parts = [attr_u32(Attr.CHILD_ID, child)]
    if force:
        parts.append(attr_u8(Attr.FORCE, 1))
    return message(Msg.CANCEL_CHILD, seq, *parts)


def encode_stat(seq, child):
    return message(Msg.STAT, seq, attr_u32(Attr.CHILD_ID, child))


def encode_bare(kind, seq):
    """HOLD and RELEASE: no attributes."""
    return message(kind, seq)


# ---- decoding ----


class Message:
    """One datagram from the supervisor: its type, seq and attributes by type (payloads).

    Attributes this module does not know are kept but never required: a newer supervisor
    may say more (PROTOCOL.md, Framing)."""

    __slots__ = ("type", "seq", "attrs")

    def __init__(self, kind, seq, attrs):
        self.type = kind
        self.seq = seq
        self.attrs = attrs

    def __repr__(self):
        try:
            name = Msg(self.type).name
        except ValueError:
            name = hex(self.type)
        return f"<Message {name} seq={self.seq} attrs={sorted(self.attrs)}>"

    def _raw(self, kind, size):
        v = self.attrs.get(kind)
        if v is not None and size is not None and len(v) != size:
            raise ProtocolError(f"{Attr(kind).name}: {len(v)} bytes, {size} expected")
        return v

    def u32(self, kind, default=None):
        v = self._raw(kind, 4)
        return default if v is None else _U32.unpack(v)[0]

    def u64(self, kind, default=None):
        v = self._raw(kind, 8)
        return default if v is None else _U64.unpack(v)[0]

    def str(self, kind, default=None):
        v = self._raw(kind, None)
        if v is None:
            return default
        if not v or v.find(b"\0") != len(v) - 1:
            raise ProtocolError(f"{Attr(kind).name}: not a NUL-terminated string")
        return v[:-1].decode(errors="replace")


def decode(buf):
    """A datagram as a Message; ProtocolError when it does not decode (as the C client:
    the header's length must be the datagram's, every attribute inside it)."""
    buf = bytes(buf)
    n = len(buf)
    if n < NLMSG_HDR.size:
        raise ProtocolError(f"a datagram of {n} bytes has no header")
    length, kind, _flags, seq, _pid = NLMSG_HDR.unpack_from(buf)
    if length != n:
        raise ProtocolError(f"nlmsg_len {length} in a datagram of {n} bytes")
    attrs = {}
    off = NLMSG_HDR.size
    while off + NLA_HDR.size <= n:
        alen, atype = NLA_HDR.unpack_from(buf, off)
        if alen < NLA_HDR.size or off + alen > n:
            raise ProtocolError(f"an attribute of {alen} bytes at offset {off} of {n}")
        attrs[atype & NLA_TYPE_MASK] = buf[off + NLA_HDR.size : off + alen]
        off += _align(alen)
    if off < n:
        raise ProtocolError(f"{n - off} bytes after the last attribute")
    return Message(kind, seq, attrs)
