"""What a hostile or broken host sends the Ethernet card once TSO is negotiated: prefixes that
are not prefixes, TCP segments whose headers or MSS lie, frames the vNIC may not send, and
control messages that do not decode. The card counts each in the vNIC's stats and serves the
vNIC on. Sent through xsvnic's debugfs send hook, bytes as they are: the segments stay small,
so that their hex fits a console line."""

from __future__ import annotations

import struct

from xsfuzz.kind import Kind, Target
from xswire.xsvnic_card import (
    XSVNIC_TSO_HDR_LEN_SHIFT,
    XsvnicControlMsg,
    XsvnicCtrlType,
    XsvnicTsoFlag,
)

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_8021Q = 0x0800, 0x86DD, 0x0806, 0x8100
TCP, UDP = 6, 17
SOURCE = bytes.fromhex("525400aabbcc")  # no vNIC's MAC: checks before the source's refuse
MSS = 100
PAYLOAD = 3 * MSS


def _prefix(hdr_len: int, mss: int) -> bytes:
    return struct.pack(">I", XsvnicTsoFlag.VALID | hdr_len << XSVNIC_TSO_HDR_LEN_SHIFT | mss)


def _not_gso(frame: bytes) -> bytes:
    return struct.pack(">I", XsvnicTsoFlag.VALID | XsvnicTsoFlag.NOT_GSO) + frame


def _eth(ethertype: int) -> bytes:
    return b"\xff" * 6 + SOURCE + struct.pack(">H", ethertype)


def _ipv4(protocol: int = TCP, ihl: int = 5, frag: int = 0) -> bytes:
    return (
        bytes([0x40 | ihl, 0]) + struct.pack(">HHH", 0, 0, frag) + bytes([64, protocol]) + bytes(10)
    )


def _ipv6(next_header: int = TCP) -> bytes:
    return bytes([0x60, 0, 0, 0, 0, 0, next_header, 64]) + bytes(32)


def _tcp(doff: int = 5) -> bytes:
    return bytes(12) + bytes([doff << 4]) + bytes(7)


def _segment(
    ethertype: int = ETH_IPV4,
    ip: bytes | None = None,
    tcp: bytes | None = None,
    hdr_len: int | None = None,
    mss: int = MSS,
    payload: int = PAYLOAD,
) -> bytes:
    """A prefixed TCP segment: right, but for what the arguments change."""
    headers = _eth(ethertype) + (_ipv4() if ip is None else ip) + (_tcp() if tcp is None else tcp)
    size = len(headers) if hdr_len is None else hdr_len
    return _prefix(size, mss) + headers + bytes(payload)


def _data(name: str, doc: str, counter: str, payload: bytes) -> Kind:
    return Kind(name, Target.HOST_TO_ETH_CARD_DATA, doc, f"eth_card:{counter}", payload=payload)


def _ctrl(name: str, doc: str, payload: bytes) -> Kind:
    return Kind(name, Target.HOST_TO_ETH_CARD_CTRL, doc, "eth_card:ctrl_malformed", payload=payload)


KINDS: list[Kind] = [
    _data("eth-host-no-prefix", "3 bytes: less than a TSO prefix", "tso_prefix", bytes(3)),
    _data(
        "eth-host-prefix-not-valid",
        "a frame behind a prefix without its VALID bit",
        "tso_prefix",
        bytes(4) + _eth(ETH_IPV4) + bytes(46),
    ),
    _data("eth-host-gso-mss-zero", "a segment of MSS 0", "gso_malformed", _segment(mss=0)),
    _data(
        "eth-host-gso-headers-past-frame",
        "a header length past the frame",
        "gso_malformed",
        _segment(hdr_len=0xFFF),
    ),
    _data(
        "eth-host-gso-headers-short",
        "a header length that ends inside the TCP header",
        "gso_malformed",
        _segment(hdr_len=40),
    ),
    _data("eth-host-gso-not-ip", "a segment of ARP", "gso_malformed", _segment(ETH_ARP)),
    _data("eth-host-gso-udp", "an IPv4 segment of UDP", "gso_malformed", _segment(ip=_ipv4(UDP))),
    _data(
        "eth-host-gso-fragment",
        "an IPv4 fragment as a segment",
        "gso_malformed",
        _segment(ip=_ipv4(frag=0x2000)),
    ),
    _data(
        "eth-host-gso-ip-header-short",
        "an IPv4 header of 4 words",
        "gso_malformed",
        _segment(ip=_ipv4(ihl=4)),
    ),
    _data(
        "eth-host-gso-ipv6-extension",
        "an IPv6 segment with a hop-by-hop header where TCP should be",
        "gso_malformed",
        _segment(ETH_IPV6, ip=_ipv6(0)),
    ),
    _data(
        "eth-host-gso-tcp-header-lies",
        "a TCP header of 6 words in a header length of 5",
        "gso_malformed",
        _segment(tcp=_tcp(6)),
    ),
    _data(
        "eth-host-gso-frames-above-mtu",
        "an MSS of 65535: each frame cut from it above any MTU",
        "gso_malformed",
        _segment(mss=0xFFFF, payload=200),
    ),
    _data(
        "eth-host-gso-one-frame",
        "a segment of one frame's payload",
        "gso_malformed",
        _segment(payload=MSS),
    ),
    _data("eth-host-runt", "a 20-byte frame", "runt", _not_gso(_eth(ETH_IPV4) + bytes(6))),
    _data(
        "eth-host-foreign-mac",
        "a frame from a MAC not the vNIC's",
        "foreign_src_mac",
        _not_gso(_eth(ETH_IPV4) + bytes(46)),
    ),
    _data(
        "eth-host-vlan-not-assigned",
        "a frame tagged with VLAN 77, which the host never assigned",
        "vlan_not_assigned",
        _not_gso(_eth(ETH_8021Q) + struct.pack(">HH", 77, ETH_IPV4) + bytes(42)),
    ),
    _ctrl(
        "eth-host-ctrl-short",
        "3 bytes of a control header",
        XsvnicControlMsg(type=XsvnicCtrlType.HEART_BEAT).encode()[:3],
    ),
    _ctrl(
        "eth-host-ctrl-length-lies",
        "ASSIGN_VLAN whose header says 40 bytes follow, and 2 do",
        XsvnicControlMsg(type=XsvnicCtrlType.ASSIGN_VLAN, length=40).encode() + bytes(2),
    ),
    _ctrl(
        "eth-host-vlan-list-odd",
        "ASSIGN_VLAN with a list of 3 bytes",
        XsvnicControlMsg(type=XsvnicCtrlType.ASSIGN_VLAN, length=3).encode() + bytes(3),
    ),
    _ctrl(
        "eth-host-mcast-list-too-long",
        "MULTICAST_LIST_SEND of 129 MACs, more than a list carries",
        XsvnicControlMsg(type=XsvnicCtrlType.MULTICAST_LIST_SEND, length=129 * 6).encode()
        + b"\x01\x00\x5e\x00\x00\x01" * 129,
    ),
]
