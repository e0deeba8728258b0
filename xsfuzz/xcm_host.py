"""What a hostile or broken host sends the XCM on its XSMP connection, before or instead of a
REGISTER: framing that lies, classes and objects that are not what they say, answers and
STATS that do not decode. The XCM drops and counts each (its state file's `malformed`) and
serves every other session on."""

from __future__ import annotations

from director.stats import STATS_TYPE
from director.xsmp import session_message
from xsfuzz.kind import Kind, Target
from xswire.xsmp import (
    XsmpClass,
    XsmpMessageHeader,
    XsmpNodeId,
    XsmpSessionMsg,
    XsmpSessionType,
)

HOST, XCM = 0x5254_00FF_FE18_0077, 0x5254_00FF_FE18_0002


def _register() -> bytes:
    return session_message(1, HOST, XCM, XsmpSessionMsg(type=XsmpSessionType.REGISTER))


def _header(msg_class: int, length: int) -> bytes:
    return XsmpMessageHeader(
        type=msg_class,
        length=length,
        seq_number=1,
        source_id=XsmpNodeId(primary=HOST),
        dest_id=XsmpNodeId(primary=XCM),
    ).encode()


def _with_header(data: bytes, **fields: int) -> bytes:
    header = XsmpMessageHeader.decode(data)
    for name, value in fields.items():
        setattr(header, name, value)
    return header.encode() + data[XsmpMessageHeader.SIZE :]


def _object_length(length: int) -> bytes:
    data = _register()
    body = XsmpSessionMsg.decode(data, XsmpMessageHeader.SIZE)
    body.length = length
    return data[: XsmpMessageHeader.SIZE] + body.encode()


def _class_message(msg_class: int, payload: bytes) -> bytes:
    return _header(msg_class, XsmpMessageHeader.SIZE + len(payload)) + payload


def _kind(name: str, doc: str, payload: bytes) -> Kind:
    return Kind(name, Target.HOST_TO_XCM, doc, "xcm:malformed", payload=payload)


KINDS: list[Kind] = [
    _kind("host-xsmp-one-byte", "1 byte: no header", b"\x01"),
    _kind("host-xsmp-short", "20 bytes: less than a header", _register()[:20]),
    _kind(
        "host-xsmp-length-long",
        "REGISTER whose header says 1000 bytes",
        _with_header(_register(), length=1000),
    ),
    _kind(
        "host-xsmp-length-short",
        "REGISTER whose header says fewer bytes than came",
        _with_header(_register(), length=XsmpMessageHeader.SIZE + 4),
    ),
    _kind(
        "host-xsmp-class-unknown", "REGISTER sent as class 99", _with_header(_register(), type=99)
    ),
    _kind("host-xsmp-class-zero", "REGISTER sent as class 0", _with_header(_register(), type=0)),
    _kind(
        "host-xsmp-session-header-only",
        "a SESSION message of a header and no object",
        _header(XsmpClass.SESSION, XsmpMessageHeader.SIZE),
    ),
    _kind("host-xsmp-object-length", "REGISTER whose object claims 10 bytes", _object_length(10)),
    _kind(
        "host-vnic-answer-fraction",
        "VNIC answers of 100 bytes, not whole objects",
        _class_message(XsmpClass.VNIC, bytes([2]) + bytes(99)),
    ),
    _kind(
        "host-vhba-answer-empty",
        "VHBA class message with no object",
        _class_message(XsmpClass.VHBA, b""),
    ),
    _kind(
        "host-vnic-stats-short",
        "a VNIC STATS answer of 12 bytes",
        _class_message(XsmpClass.VNIC, bytes([STATS_TYPE]) + bytes(11)),
    ),
    _kind(
        "host-vhba-stats-short",
        "a VHBA STATS answer of 40 bytes",
        _class_message(XsmpClass.VHBA, bytes([STATS_TYPE]) + bytes(39)),
    ),
]
