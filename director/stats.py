"""Device statistics on request: the operator's `ctl stats` leaves a request file in the state
directory, the XCM that has a session with the host sends the device a STATS object carrying
the request's token as its cookie, and writes the host's answer next to the request for `ctl`
to print. A vHBA's clear has no answer (as in the original); the XCM writes one itself."""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from pathlib import Path
from typing import Any

from director.config import Vhba, Vnic
from director.state import write_json
from xswire.xsmp import XSMP_VDEV_OBJECT_SIZE, XsmpClass
from xswire.xsvhba import XSVHBA_STATS_CLEAR, XsvhbaMsgType, XsvhbaStats
from xswire.xsvnic import XsvnicMsgType, XsvnicStats

STATS_TYPE = 10  # STATS in both classes
assert STATS_TYPE == XsvhbaMsgType.STATS == XsvnicMsgType.STATS
REQUEST_GLOB = "stats-request-*.json"
# What an answer holds: the counters, not the echoed header.
_HEADER_FIELDS = {
    "type", "code", "length", "action", "reserv", "vid", "statscookie", "bitmask",
    "resource_id", "counter", "stats_handle", "reserved",
}  # fmt: skip


def _path(state_dir: Path, kind: str, token: str) -> Path:
    return state_dir / f"stats-{kind}-{token}.json"


def write_request(state_dir: Path, server: str, device: str, clear: bool) -> str:
    """Leave a request for the XCMs; returns its token (16 hex digits)."""
    token = secrets.token_hex(8)
    write_json(
        _path(state_dir, "request", token),
        {"token": token, "server": server, "device": device, "clear": clear},
    )
    return token


def pending_requests(state_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The requests waiting; an XCM claims one it can serve (several may run)."""
    pending = []
    for path in sorted(state_dir.glob(REQUEST_GLOB)):
        try:
            pending.append((path, json.loads(path.read_text())))
        except (FileNotFoundError, json.JSONDecodeError):
            continue
    return pending


def claim(path: Path) -> bool:
    """Take a request for this XCM alone: whoever removes its file has it."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def request_object(device: Vnic | Vhba, token: str, clear: bool) -> tuple[int, bytes]:
    """The STATS object that asks the host for the device's counters."""
    cookie = bytes.fromhex(token)
    if isinstance(device, Vhba):
        vhba = XsvhbaStats(
            type=STATS_TYPE,
            length=XSMP_VDEV_OBJECT_SIZE,
            action=XSVHBA_STATS_CLEAR if clear else 0,
            vid=device.resource_id,
            statscookie=cookie,
        )
        return XsmpClass.VHBA, vhba.encode()
    vnic = XsvnicStats(
        type=STATS_TYPE,
        length=XSMP_VDEV_OBJECT_SIZE,
        bitmask=0 if clear else 1,
        resource_id=device.resource_id,
        stats_handle=cookie,
    )
    return XsmpClass.VNIC, vnic.encode()


def parse_answer(msg_class: int, obj: bytes) -> tuple[str, dict[str, int]]:
    """(token, counters) of a host's STATS answer."""
    if msg_class == XsmpClass.VHBA:
        vhba = XsvhbaStats.decode(obj)
        return vhba.statscookie.hex(), _counters(vhba)
    vnic = XsvnicStats.decode(obj)
    return vnic.stats_handle.hex(), _counters(vnic)


def _counters(answer: XsvhbaStats | XsvnicStats) -> dict[str, int]:
    return {
        f.name: getattr(answer, f.name)
        for f in dataclasses.fields(answer)
        if f.name not in _HEADER_FIELDS
    }


def write_answer(state_dir: Path, token: str, answer: dict[str, Any]) -> None:
    write_json(_path(state_dir, "answer", token), answer)


def wait_answer(state_dir: Path, token: str, timeout: float) -> dict[str, Any] | None:
    """The answer to request `token` (its file removed), or None after `timeout` seconds."""
    path = _path(state_dir, "answer", token)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer: dict[str, Any] = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            time.sleep(0.1)
            continue
        path.unlink(missing_ok=True)
        return answer
    _path(state_dir, "request", token).unlink(missing_ok=True)
    return None
