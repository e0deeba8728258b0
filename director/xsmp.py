"""XSMP session messages as the XCM builds and checks them (header + one SESSION object)."""

from __future__ import annotations

from dataclasses import dataclass

from xswire.xsmp import (
    XsmpClass,
    XsmpMessageHeader,
    XsmpNodeId,
    XsmpSessionMsg,
)

SESSION_MSG_SIZE = XsmpMessageHeader.SIZE + XsmpSessionMsg.SIZE


class MalformedMessage(ValueError):
    """A message the XCM drops (and counts) instead of acting on."""


@dataclass(frozen=True)
class SessionMessage:
    header: XsmpMessageHeader
    body: XsmpSessionMsg


def parse_header(data: bytes) -> XsmpMessageHeader:
    """Check a received XSMP message's framing and decode its header."""
    if len(data) < XsmpMessageHeader.SIZE:
        raise MalformedMessage(f"{len(data)} bytes: shorter than a header")
    header = XsmpMessageHeader.decode(data)
    if header.length != len(data):
        raise MalformedMessage(f"header says {header.length} bytes, received {len(data)}")
    return header


def parse_session_message(data: bytes) -> SessionMessage:
    """Check a received XSMP message's framing and decode its SESSION object."""
    header = parse_header(data)
    if len(data) < SESSION_MSG_SIZE:
        raise MalformedMessage(f"{len(data)} bytes: shorter than a SESSION message")
    if header.type != XsmpClass.SESSION:
        raise MalformedMessage(f"class {header.type} is not SESSION")
    body = XsmpSessionMsg.decode(data, XsmpMessageHeader.SIZE)
    if body.length != XsmpSessionMsg.SIZE:
        raise MalformedMessage(f"SESSION object length {body.length}")
    return SessionMessage(header, body)


def session_message(seq: int, source: int, dest: int, body: XsmpSessionMsg) -> bytes:
    body.length = XsmpSessionMsg.SIZE
    header = XsmpMessageHeader(
        type=XsmpClass.SESSION,
        length=SESSION_MSG_SIZE,
        seq_number=seq,
        source_id=XsmpNodeId(primary=source),
        dest_id=XsmpNodeId(primary=dest),
    )
    return header.encode() + body.encode()
