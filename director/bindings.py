"""Which host each I/O card resource takes connections from: the GID of the XCM session that
installed it (director/xcm.py publishes its sessions, with their hosts' GIDs and the resource
ids each was sent). The cards accept a vNIC's or vHBA's connection only from that GID, so a
host that names another host's resource id is refused (docs/security.md).

A binding outlives the session that made it: while the XCM is away (restarted, or the host's
link down) the resource's host keeps it; another authenticated session installing the same
resource moves it, and a resource no longer configured loses it."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from director.state import STATE_DIR, read_sessions


def session_bindings(sessions: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    """Resource id -> host GID, from the sessions that are up (the first one wins a resource
    two claim)."""
    bound: dict[int, str] = {}
    for session in sessions:
        gid = session.get("host_gid")
        if session.get("state") != "up" or not gid:
            continue
        for rid in session.get("resource_ids", []):
            bound.setdefault(int(rid, 16), gid)
    return bound


class HostBindings:
    """The bindings, followed through the XCMs' state files."""

    def __init__(self, state_dir: Path = STATE_DIR) -> None:
        self.state_dir = state_dir
        self.bound: dict[int, str] = {}
        self._stamp: tuple[tuple[str, int], ...] | None = None

    def refresh(self, configured: Collection[int]) -> bool:
        """Re-read the sessions if a state file changed; keep each binding no session claims
        while its resource is `configured`. True when a binding changed."""
        stamp = self._stamp_now()
        kept = {rid: gid for rid, gid in self.bound.items() if rid in configured}
        if stamp != self._stamp:
            self._stamp = stamp
            kept.update(session_bindings(read_sessions(self.state_dir)))
        changed = kept != self.bound
        self.bound = kept
        return changed

    def _stamp_now(self) -> tuple[tuple[str, int], ...]:
        stamp = []
        for path in sorted(self.state_dir.glob("xcm-*.json")):
            try:
                stamp.append((path.name, path.stat().st_mtime_ns))
            except OSError:  # replaced or removed meanwhile: the next look sees it
                continue
        return tuple(stamp)
