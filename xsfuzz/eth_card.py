"""What a hostile or broken Ethernet card sends a host's xsvnic: control messages that lie
about their length or are not a card's, and frames too short to be one. The host counts each
(ethtool's ctrl_refused_* by reason, the interface's rx_errors) and keeps its vNIC."""

from __future__ import annotations

from xsfuzz.kind import Kind, Target
from xswire.xsvnic_card import XsvnicControlMsg, XsvnicCtrlType


def _header(msg_type: int, length: int = 0) -> bytes:
    return XsvnicControlMsg(type=msg_type, length=length).encode()


def _ctrl(name: str, doc: str, reason: str, payload: bytes) -> Kind:
    return Kind(
        name, Target.ETH_CARD_TO_HOST_CTRL, doc, f"ethtool:ctrl_refused_{reason}", payload=payload
    )


def _frame(name: str, doc: str, payload: bytes) -> Kind:
    return Kind(name, Target.ETH_CARD_TO_HOST_DATA, doc, "netdev:rx_errors", payload=payload)


KINDS: list[Kind] = [
    _ctrl("eth-card-ctrl-empty", "a control SEND with no bytes", "short", b""),
    _ctrl(
        "eth-card-ctrl-short",
        "4 bytes of a control header",
        "short",
        _header(XsvnicCtrlType.LINK_UP)[:4],
    ),
    _ctrl(
        "eth-card-ctrl-length-lies",
        "LINK_UP whose header says 100 bytes follow, and none do",
        "length",
        _header(XsvnicCtrlType.LINK_UP, 100),
    ),
    _ctrl(
        "eth-card-ctrl-length-max",
        "MULTICAST_LIST_RESPONSE claiming 65535 bytes after an 8-byte header",
        "length",
        _header(XsvnicCtrlType.MULTICAST_LIST_RESPONSE, 0xFFFF),
    ),
    _ctrl("eth-card-ctrl-type", "control message of type 0x99", "type", _header(0x99)),
    _ctrl(
        "eth-card-ctrl-host-type",
        "START_RX, a host's own message, from the card",
        "type",
        _header(XsvnicCtrlType.START_RX),
    ),
    _frame("eth-card-frame-empty", "a data SEND with no bytes", b""),
    _frame("eth-card-frame-runt", "10 bytes: less than an Ethernet header", bytes(10)),
]
