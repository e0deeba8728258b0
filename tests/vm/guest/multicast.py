"""Multicast frames for the vNIC filter tests.

`multicast.py count IFNAME GROUP SECONDS`: print how many frames to GROUP's MAC the interface
delivered in that time (a packet socket sees them whether or not IP wants them).
`multicast.py send SOURCE GROUP COUNT`: send COUNT UDP datagrams to GROUP out of the
interface that holds the IPv4 address SOURCE."""

from __future__ import annotations

import ipaddress
import socket
import sys
import time

ETH_P_ALL = 0x0003
DISCARD_PORT = 9


def group_mac(group: str) -> bytes:
    """The Ethernet address an IPv4 group maps to (RFC 1112: 01:00:5e + low 23 bits)."""
    low = int(ipaddress.IPv4Address(group)) & 0x7FFFFF
    return bytes.fromhex("01005e") + low.to_bytes(3, "big")


def count(ifname: str, group: str, seconds: float) -> int:
    wanted = group_mac(group)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((ifname, 0))
    seen = 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            frame, (_, _, pkttype, _, _) = sock.recvfrom(65536)
        except TimeoutError:
            break
        if pkttype != socket.PACKET_OUTGOING and frame[:6] == wanted:
            seen += 1
    return seen


def send(source: str, group: str, number: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(source))
    for _ in range(number):
        sock.sendto(b"xsvnic multicast filter test", (group, DISCARD_PORT))
        time.sleep(0.05)


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[0] == "count":
        print(f"frames={count(argv[1], argv[2], float(argv[3]))}", flush=True)
        return 0
    if len(argv) == 4 and argv[0] == "send":
        send(argv[1], argv[2], int(argv[3]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
