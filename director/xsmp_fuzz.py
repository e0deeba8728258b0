"""Malformed XSMP messages, for proving that a host survives a broken or hostile XCM.

Two families: `CONFIRM_KINDS` break the REG_CONFIRM of a host's first session (the host must
refuse it, count it and register again), `SESSION_KINDS` are sent once the session is up (the
host must count and drop each, or reset the session, and stay up).
"""

from __future__ import annotations

from collections.abc import Callable

from director.vdev_messages import frame
from director.xsmp import session_message
from xswire.xsmp import (
    XSMP_VDEV_OBJECT_SIZE,
    XsmpClass,
    XsmpMessageHeader,
    XsmpNodeId,
    XsmpSessionMsg,
    XsmpSessionType,
    XsmpVdevMsgType,
)
from xswire.xsvhba import XsvhbaMsg
from xswire.xsvnic import XsvnicMsg

# (xcm guid, host guid, first seq) -> the sends to make
Builder = Callable[[int, int, int], list[bytes]]
OneMessage = Callable[[int, int, int], bytes]
ConfirmMangler = Callable[[XsmpSessionMsg], None]

HELLO_FLOOD = 64


def _hello(xcm: int, host: int, seq: int) -> bytes:
    return session_message(seq, xcm, host, XsmpSessionMsg(type=XsmpSessionType.HELLO))


def _with_header(data: bytes, **fields: int) -> bytes:
    header = XsmpMessageHeader.decode(data)
    for name, value in fields.items():
        setattr(header, name, value)
    return header.encode() + data[XsmpMessageHeader.SIZE :]


def _hello_with(**fields: int) -> OneMessage:
    """A HELLO whose header has fields changed."""
    return lambda x, h, s: _with_header(_hello(x, h, s), **fields)


def _with_object_length(data: bytes, length: int) -> bytes:
    body = XsmpSessionMsg.decode(data, XsmpMessageHeader.SIZE)
    body.length = length
    return data[: XsmpMessageHeader.SIZE] + body.encode()


def _redirected(xcm: int, host: int, seq: int, *, dest: int, source: int) -> bytes:
    data = _hello(xcm, host, seq)
    header = XsmpMessageHeader.decode(data)
    header.dest_id = XsmpNodeId(primary=dest)
    header.source_id = XsmpNodeId(primary=source)
    return header.encode() + data[XsmpMessageHeader.SIZE :]


def _vnic(xcm: int, host: int, seq: int, msg_type: int, name: bytes, rid: int) -> bytes:
    body = XsvnicMsg(
        type=msg_type, length=XSMP_VDEV_OBJECT_SIZE, resource_id=rid, vnic_name=name
    ).encode()
    return frame(XsmpClass.VNIC, seq, xcm, host, body)


def _vhba_update(xcm: int, host: int, seq: int) -> bytes:
    body = XsvhbaMsg(
        type=XsmpVdevMsgType.UPDATE, length=XSMP_VDEV_OBJECT_SIZE, resource_id=0xDEAD
    ).encode()
    return frame(XsmpClass.VHBA, seq, xcm, host, body)


def _confirm_again(xcm: int, host: int, seq: int) -> bytes:
    body = XsmpSessionMsg(type=XsmpSessionType.REG_CONFIRM, version=1)
    return session_message(seq, xcm, host, body)


def _flood(xcm: int, host: int, seq: int) -> list[bytes]:
    return [_hello(xcm, host, seq + i) for i in range(HELLO_FLOOD)]


_ONE_MESSAGE_KINDS: dict[str, tuple[str, OneMessage]] = {
    "short": ("16 bytes: less than a header", lambda x, h, s: _hello(x, h, s)[:16]),
    "empty": ("a send with no payload", lambda x, h, s: b""),
    "length-long": ("header length larger than what arrived", _hello_with(length=1000)),
    "length-short": ("header length smaller than what arrived", _hello_with(length=100)),
    "class-unknown": ("message class 99", _hello_with(type=99)),
    "class-zero": ("message class 0", _hello_with(type=0)),
    "session-type": (
        "SESSION object of type 77",
        lambda x, h, s: session_message(s, x, h, XsmpSessionMsg(type=77)),
    ),
    "object-length": (
        "SESSION object claiming 10 bytes",
        lambda x, h, s: _with_object_length(_hello(x, h, s), 10),
    ),
    "wrong-dest": (
        "addressed to another host",
        lambda x, h, s: _redirected(x, h, s, dest=h ^ 0xFF, source=x),
    ),
    "wrong-source": (
        "claiming to come from another XCM",
        lambda x, h, s: _redirected(x, h, s, dest=h, source=x ^ 0xFF),
    ),
    "confirm-again": ("REG_CONFIRM on a session already up", _confirm_again),
    "unknown-device": (
        "UPDATE for a vNIC that was never installed",
        lambda x, h, s: _vnic(x, h, s, XsmpVdevMsgType.UPDATE, b"xsvnic9", 0xDEAD),
    ),
    "install-bad-name": (
        "vNIC INSTALL whose name is not a name",
        lambda x, h, s: _vnic(x, h, s, XsmpVdevMsgType.INSTALL, b"\x01\x02;rm", 0xBAD),
    ),
    "object-fraction": (
        "VNIC message of 100 bytes, not whole objects",
        lambda x, h, s: frame(XsmpClass.VNIC, s, x, h, bytes(100)),
    ),
    "vhba-object-fraction": (
        "VHBA message of 700 bytes, not whole objects",
        lambda x, h, s: frame(XsmpClass.VHBA, s, x, h, bytes(700)),
    ),
    "vhba-unknown-device": ("UPDATE for a vHBA that was never installed", _vhba_update),
    "oversized": ("2048 bytes: more than a receive buffer", lambda x, h, s: bytes(2048)),
}


SESSION_KINDS: dict[str, tuple[str, Builder]] = {
    **{
        kind: (doc, lambda x, h, s, build=build: [build(x, h, s)])
        for kind, (doc, build) in _ONE_MESSAGE_KINDS.items()
    },
    "flood": (f"{HELLO_FLOOD} HELLOs back to back", _flood),
}


def _set(field: str, value: object) -> ConfirmMangler:
    return lambda body: setattr(body, field, value)


CONFIRM_KINDS: dict[str, tuple[str, ConfirmMangler]] = {
    "confirm-unterminated-name": (
        "chassis name fills its field with no terminator",
        _set("chassis_name", b"X" * 32),
    ),
    "confirm-unprintable-name": (
        "profile name with control characters",
        _set("session_name", b"pro\x1b[2Jfile"),
    ),
    "confirm-interval-zero": ("hello interval 0", _set("version", 0)),
    "confirm-interval-huge": ("hello interval of 100000 s", _set("version", 100000)),
}

KINDS = sorted([*SESSION_KINDS, *CONFIRM_KINDS])
