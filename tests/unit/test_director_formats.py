"""The formats of what an operator gives the director (director/formats.py): each is checked
against what the wire and the host drivers take, and devices get a MAC or WWN of their own."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from director import formats
from xswire.xds import XdsRequest
from xswire.xsmp import XsmpSessionMsg
from xswire.xsvhba import XsvhbaMsg
from xswire.xsvnic import XsvnicMsg

KERNEL = Path(__file__).resolve().parents[2] / "kernel"


def kernel_define(header: str, name: str) -> int:
    match = re.search(rf"#define\s+{name}\s+(\d+)", (KERNEL / header).read_text())
    assert match, f"{name} not in {header}"
    return int(match.group(1))


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (formats.mac, ["52:54:00:0A:00:02", "02:00:00:00:10:01"],
         ["zz:zz", "52:54:00:0a:00", "52-54-00-0a-00-02", "01:00:5e:00:00:01",
          "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", 5]),
        (formats.wwn, ["21:00:00:1B:32:00:00:01"],
         ["21:00:00:1b:32:00:00", "00:00:00:00:00:00:00:00", "2100001b32000001", None]),
        (formats.mtu, [68, 1500, 9000], [67, 9001, 0, "1500", True, 1500.0]),
        (formats.resource_id, [1, 0x1001, (1 << 64) - 1], [0, -1, 1 << 64, "0x1001"]),
        (formats.device_name, ["xsvnic0", "a", "x" * 15, "eth-1.2_b"],
         ["", "x" * 16, "bad name", "a/b", "tab\tname", "é", ".", ".."]),
        (formats.guid, ["0002c903000000aa", "0002C903000000AA"],
         ["12", "0002c903000000aa0", "0000000000000000", "000zc903000000aa"]),
        (formats.server_match, ["host", "0002c903000000aa", "h" * 64],
         ["0002C903000000AA", "h" * 65, "two words", ""]),
    ],
)  # fmt: skip
def test_each_format_takes_what_the_wire_takes_and_refuses_the_rest(
    check: Callable[[object], object], good: list[object], bad: list[object]
) -> None:
    for value in good:
        check(value)
    for value in bad:
        with pytest.raises(ValueError):
            check(value)


def test_macs_and_wwns_come_back_in_lower_case() -> None:
    assert formats.mac("52:54:00:0A:00:02") == "52:54:00:0a:00:02"
    assert formats.wwn("21:00:00:1B:32:00:00:01") == "21:00:00:1b:32:00:00:01"


def test_labels_are_printable_ascii_without_spaces_up_to_their_limit() -> None:
    assert formats.label("web-1", formats.SESSION_NAME_MAX, "profile") == "web-1"
    for bad in ["", "x" * (formats.SESSION_NAME_MAX + 1), "web 1", "web\n", "wéb"]:
        with pytest.raises(ValueError, match="profile"):
            formats.label(bad, formats.SESSION_NAME_MAX, "profile")


def test_name_limits_leave_room_for_the_nul_of_each_wire_field() -> None:
    """The longest name the director takes fills its field but for the NUL: one more byte
    still fits the codec (so the codec alone would not stop it) and the host would refuse it."""
    fields: list[tuple[int, Callable[[bytes], object]]] = [
        (formats.DEVICE_NAME_MAX, lambda n: XsvnicMsg(vnic_name=n).encode()),
        (formats.DEVICE_NAME_MAX, lambda n: XsvhbaMsg(vh_name=n).encode()),
        (formats.SESSION_NAME_MAX, lambda n: XsmpSessionMsg(chassis_name=n).encode()),
        (formats.SESSION_NAME_MAX, lambda n: XsmpSessionMsg(session_name=n).encode()),
        (formats.HOSTNAME_MAX, lambda n: XdsRequest(hostname=n).encode()),
    ]
    for limit, encode in fields:
        encode(b"x" * (limit + 1))
        with pytest.raises(ValueError):
            encode(b"x" * (limit + 2))


def test_mtu_range_is_what_xsvnic_and_the_ethernet_card_take() -> None:
    assert kernel_define("xsvnic/xsvnic.h", "XSVNIC_MAX_MTU") == formats.MTU_MAX
    assert kernel_define("xsethgw/xsethgw.h", "XSETHGW_MAX_MTU") >= formats.MTU_MAX
    assert formats.MTU_MIN == 68  # ETH_MIN_MTU, xsvnic's lower bound


def test_default_macs_are_locally_administered_unicast_and_differ_by_resource_id() -> None:
    assert formats.default_mac(0x1001) == "02:00:00:00:10:01"
    macs = {formats.default_mac(rid) for rid in range(0x1001, 0x1101)}
    assert len(macs) == 0x100
    for mac in macs:
        assert formats.mac(mac) == mac
        assert int(mac[:2], 16) & 0x03 == 0x02  # locally administered, not multicast


def test_default_wwns_are_naa_3_and_differ_by_resource_id() -> None:
    assert formats.default_wwn(0x1001) == "30:00:00:00:00:00:10:01"
    wwns = {formats.default_wwn(rid) for rid in range(0x1001, 0x1101)}
    assert len(wwns) == 0x100
    assert all(formats.wwn(w) == w and w.startswith("3") for w in wwns)
