"""What a host sends the XCM, decoded and checked: a SESSION message, the answers to device
messages, or a STATS answer. Anything else raises (MalformedMessage or ValueError): the XCM
counts it and drops it. Kept apart from the XCM's loop so that every kind of a hostile host's
message (xsfuzz.xcm_host) can be checked against it without the fabric."""

from __future__ import annotations

from dataclasses import dataclass

from director import stats, vdev_messages
from director.xsmp import SessionMessage, parse_header, parse_session_message
from xswire.xsmp import XsmpClass, XsmpMessageHeader


@dataclass(frozen=True)
class StatsAnswer:
    token: str
    counters: dict[str, int]


HostMessage = SessionMessage | StatsAnswer | list[vdev_messages.Answer]


def decode(data: bytes) -> HostMessage:
    """One message from a host, checked whole before anything in it is used."""
    header = parse_header(data)
    if header.type in (XsmpClass.VNIC, XsmpClass.VHBA):
        payload = data[XsmpMessageHeader.SIZE :]
        if payload[:1] == bytes([stats.STATS_TYPE]):
            return StatsAnswer(*stats.parse_answer(header.type, payload))
        return vdev_messages.parse_answers(payload)
    return parse_session_message(data)
