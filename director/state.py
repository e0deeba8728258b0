"""What the running director knows, written to small JSON files for the operator CLI: the hosts
the fabric services have seen, and each XCM's sessions with their devices."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

STATE_DIR = Path("/run/xsigo-director")
HOSTS_FILE = "hosts.json"


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=1)
    os.replace(tmp, path)


def _read(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def read_hosts(state_dir: Path = STATE_DIR) -> dict[str, str]:
    """Port GUID (16 hex digits) -> hostname, as the hosts told the XDS."""
    hosts: dict[str, str] = _read(state_dir / HOSTS_FILE, {})
    return hosts


def record_host(port_guid: int, hostname: str, state_dir: Path = STATE_DIR) -> None:
    hosts = read_hosts(state_dir)
    key = f"{port_guid:016x}"
    if hosts.get(key) != hostname:
        hosts[key] = hostname
        write_json(state_dir / HOSTS_FILE, hosts)


def xcm_file(xcm_guid: int, state_dir: Path = STATE_DIR) -> Path:
    return state_dir / f"xcm-{xcm_guid:016x}.json"


def read_sessions(state_dir: Path = STATE_DIR) -> list[dict[str, Any]]:
    """Every XCM's sessions: host_guid, xcm_guid, state, profile, devices."""
    sessions: list[dict[str, Any]] = []
    for path in sorted(state_dir.glob("xcm-*.json")):
        sessions += _read(path, {}).get("sessions", [])
    return sessions
