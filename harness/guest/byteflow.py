"""A TCP flow whose every byte is counted and checksummed at both ends, for the soak's network
path: the sender streams a seeded pseudo-random sequence at a steady rate for a time, the
receiver takes what arrives; each writes its byte count and SHA-256 as JSON when the flow ends.
Equal counts and digests at both ends mean nothing was lost, duplicated or changed on the way;
a flow cut short (a reset, a timeout) ends the sender with an error of its own.

Runs in the guests with the standard library only (python3 byteflow.py recv|send ...)."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import socket
import sys
import time
from pathlib import Path

CHUNK = 16 * 1024
# A peer that has taken nothing for this long has lost the flow: longer than any fault the
# soak holds, so that a fault alone does not end it.
STALL_S = 120.0


def _write(out: Path, **fields: object) -> None:
    out.write_text(json.dumps(fields) + "\n")


def receive(port: int, out: Path, address: str = "") -> int:
    """Take one connection's bytes until the sender closes; write their count and digest."""
    digest, count = hashlib.sha256(), 0
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(1)
        _write(out, state="listening", bytes=0)
        conn, _ = listener.accept()
    error = ""
    with conn:
        conn.settimeout(STALL_S)
        try:
            while data := conn.recv(CHUNK):
                digest.update(data)
                count += len(data)
        except OSError as exc:
            error = str(exc)
    _write(out, state="ended", bytes=count, sha256=digest.hexdigest(), error=error)
    return 1 if error else 0


def send(address: str, port: int, seconds: float, rate: int, seed: int, out: Path) -> int:
    """Stream `rate` bytes a second of the seeded sequence for `seconds`, then close."""
    generator = random.Random(seed)
    digest, count, error = hashlib.sha256(), 0, ""
    try:
        with socket.create_connection((address, port), timeout=STALL_S) as conn:
            _write(out, state="connected", bytes=0)
            start = time.monotonic()
            while (elapsed := time.monotonic() - start) < seconds:
                behind = int(elapsed * rate) - count
                if behind < CHUNK:
                    time.sleep(CHUNK / rate)
                    continue
                data = generator.randbytes(CHUNK)
                conn.sendall(data)
                digest.update(data)
                count += len(data)
            conn.shutdown(socket.SHUT_WR)
            # Until the receiver has taken everything and closed its side too.
            while conn.recv(CHUNK):
                pass
    except OSError as exc:
        error = str(exc)
    _write(out, state="ended", bytes=count, sha256=digest.hexdigest(), error=error)
    return 1 if error else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="role", required=True)
    recv = sub.add_parser("recv")
    recv.add_argument("--port", type=int, required=True)
    recv.add_argument("--address", default="")
    recv.add_argument("--out", type=Path, required=True)
    snd = sub.add_parser("send")
    snd.add_argument("--to", required=True)
    snd.add_argument("--port", type=int, required=True)
    snd.add_argument("--seconds", type=float, required=True)
    snd.add_argument("--rate", type=int, default=1 << 20, help="bytes a second")
    snd.add_argument("--seed", type=int, default=1)
    snd.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.role == "recv":
        return receive(args.port, args.out, args.address)
    return send(args.to, args.port, args.seconds, args.rate, args.seed, args.out)


if __name__ == "__main__":
    sys.exit(main())
