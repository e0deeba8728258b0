"""The XCM's fuzz kinds each break the message the way their description says."""

from __future__ import annotations

import pytest

from director.xsmp import MalformedMessage, parse_session_message
from director.xsmp_fuzz import CONFIRM_KINDS, HELLO_FLOOD, KINDS, SESSION_KINDS
from xswire.xsmp import XsmpClass, XsmpMessageHeader, XsmpSessionMsg, XsmpSessionType

XCM, HOST = 0x505400FFFE180002, 0x505400FFFE180001
# kinds whose framing is still that of a SESSION message
FRAMED = {"confirm-again", "wrong-dest", "wrong-source", "session-type", "flood"}
VDEV = {"unknown-device", "install-bad-name", "object-fraction"}


def test_there_are_at_least_fifteen_kinds() -> None:
    assert len(KINDS) >= 15
    assert set(KINDS) == set(SESSION_KINDS) | set(CONFIRM_KINDS)


@pytest.mark.parametrize("kind", sorted(set(SESSION_KINDS) - FRAMED - VDEV))
def test_badly_framed_kinds_fail_the_framing_check(kind: str) -> None:
    for data in SESSION_KINDS[kind][1](XCM, HOST, 1):
        with pytest.raises(MalformedMessage):
            parse_session_message(data)


def test_addressing_kinds_name_the_wrong_node() -> None:
    (to_other,) = SESSION_KINDS["wrong-dest"][1](XCM, HOST, 1)
    (from_other,) = SESSION_KINDS["wrong-source"][1](XCM, HOST, 1)
    assert parse_session_message(to_other).header.dest_id.primary != HOST
    assert parse_session_message(from_other).header.source_id.primary != XCM


@pytest.mark.parametrize("kind", sorted(VDEV))
def test_device_kinds_are_vnic_messages(kind: str) -> None:
    (data,) = SESSION_KINDS[kind][1](XCM, HOST, 1)
    header = XsmpMessageHeader.decode(data)
    assert header.type == XsmpClass.VNIC and header.length == len(data)


def test_flood_is_many_hellos_in_sequence() -> None:
    sends = SESSION_KINDS["flood"][1](XCM, HOST, 5)
    assert len(sends) == HELLO_FLOOD
    seqs = [parse_session_message(d).header.seq_number for d in sends]
    assert seqs == list(range(5, 5 + HELLO_FLOOD))


@pytest.mark.parametrize("kind", sorted(CONFIRM_KINDS))
def test_confirm_kinds_change_a_good_reg_confirm(kind: str) -> None:
    good = XsmpSessionMsg(
        type=XsmpSessionType.REG_CONFIRM, version=1, chassis_name=b"c", session_name=b"p"
    )
    broken = XsmpSessionMsg.decode(good.encode())
    CONFIRM_KINDS[kind][1](broken)
    assert broken.encode() != good.encode()
