"""Send hand-made Ethernet frames out of an interface, for the card's bad-input tests.

`rawframe.py IFNAME DST SRC [--vlan VID] [--size BYTES] [--count N]`: N frames from SRC to DST
(MACs), of BYTES in all (header and tag included), with an 802.1Q tag when VID is given and a
local experimental EtherType."""

from __future__ import annotations

import argparse
import socket
import struct

ETH_P_8021Q = 0x8100
ETH_P_LOCAL_EXPERIMENTAL = 0x88B5


def frame(dst: bytes, src: bytes, vlan: int | None, size: int) -> bytes:
    header = dst + src
    if vlan is not None:
        header += struct.pack("!HH", ETH_P_8021Q, vlan)
    header += struct.pack("!H", ETH_P_LOCAL_EXPERIMENTAL)
    return header + bytes(max(size - len(header), 0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ifname")
    parser.add_argument("dst")
    parser.add_argument("src")
    parser.add_argument("--vlan", type=int)
    parser.add_argument("--size", type=int, default=60)
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()
    mac = lambda text: bytes.fromhex(text.replace(":", ""))  # noqa: E731
    data = frame(mac(args.dst), mac(args.src), args.vlan, args.size)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((args.ifname, 0))
    for _ in range(args.count):
        sock.send(data)
    print(f"sent={args.count} bytes={len(data)}")


if __name__ == "__main__":
    main()
