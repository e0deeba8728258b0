"""`ctl stats`: the request and answer files between ctl and the XCM, and the STATS objects
the XCM sends and reads back (the vHBA's in the original's layout, the vNIC's in XVE's)."""

from __future__ import annotations

import struct
from pathlib import Path

from director import config as cfg
from director import stats
from xswire.xsmp import XSMP_VDEV_OBJECT_SIZE, XsmpClass
from xswire.xsvhba import XsvhbaStats
from xswire.xsvnic import XsvnicStats

VHBA = cfg.Vhba("xsvhba0", 0x2001)
VNIC = cfg.Vnic("xsvnic0", 0x1001)
TOKEN = "0123456789abcdef"


def test_a_vhba_request_carries_the_vid_the_action_and_the_token_as_cookie() -> None:
    msg_class, obj = stats.request_object(VHBA, TOKEN, clear=True)
    assert msg_class == XsmpClass.VHBA and len(obj) == XSMP_VDEV_OBJECT_SIZE
    request = XsvhbaStats.decode(obj)
    assert (request.type, request.action, request.vid) == (10, 1, VHBA.resource_id)
    assert request.statscookie == bytes.fromhex(TOKEN)
    assert XsvhbaStats.decode(stats.request_object(VHBA, TOKEN, clear=False)[1]).action == 0


def test_a_vnic_request_clears_with_a_zero_bitmask() -> None:
    msg_class, obj = stats.request_object(VNIC, TOKEN, clear=True)
    request = XsvnicStats.decode(obj)
    assert msg_class == XsmpClass.VNIC
    assert (request.type, request.bitmask, request.resource_id) == (10, 0, VNIC.resource_id)
    assert XsvnicStats.decode(stats.request_object(VNIC, TOKEN, clear=False)[1]).bitmask != 0


def test_vhba_counters_are_read_in_the_hosts_little_endian_order() -> None:
    answer = bytearray(XsvhbaStats(type=10, statscookie=bytes.fromhex(TOKEN)).encode())
    struct.pack_into("<QQ", answer, 24, 7, 4096)  # totalio, readbytecount
    token, counters = stats.parse_answer(XsmpClass.VHBA, bytes(answer))
    assert token == TOKEN
    assert counters["totalio"] == 7 and counters["readbytecount"] == 4096
    assert "statscookie" not in counters and len(counters) == 31


def test_vnic_counters_are_the_interfaces() -> None:
    answer = XsvnicStats(type=10, stats_handle=bytes.fromhex(TOKEN), rx_packets=3, tx_bytes=99)
    token, counters = stats.parse_answer(XsmpClass.VNIC, answer.encode())
    assert token == TOKEN
    assert counters["rx_packets"] == 3 and counters["tx_bytes"] == 99
    assert set(counters) >= {"rx_errors", "rx_drops", "tx_packets", "tx_errors", "tx_drops"}


def test_a_request_is_claimed_once_and_its_answer_read_once(tmp_path: Path) -> None:
    token = stats.write_request(tmp_path, "host", "xsvhba0", clear=False)
    ((path, request),) = stats.pending_requests(tmp_path)
    assert request == {"token": token, "server": "host", "device": "xsvhba0", "clear": False}
    assert stats.claim(path) and not stats.claim(path)
    assert stats.pending_requests(tmp_path) == []
    stats.write_answer(tmp_path, token, {"totalio": 5})
    assert stats.wait_answer(tmp_path, token, timeout=1) == {"totalio": 5}
    assert stats.wait_answer(tmp_path, token, timeout=0.2) is None


def test_an_unanswered_request_is_withdrawn(tmp_path: Path) -> None:
    token = stats.write_request(tmp_path, "host", "xsvnic0", clear=False)
    assert stats.wait_answer(tmp_path, token, timeout=0.2) is None
    assert stats.pending_requests(tmp_path) == []
