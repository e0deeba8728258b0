"""Read xscore's links from sysfs (/sys/class/xscore_link/<name>/<attribute>)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

SYSFS_LINKS = Path("/sys/class/xscore_link")
COUNTERS = ("msgs_in", "msgs_out", "malformed", "unhandled", "reconnects", "auth_refused")


@dataclass(frozen=True)
class Link:
    name: str
    port: str
    xcm_guid: str
    xcm_address: str
    state: str
    uptime: int
    chassis_name: str
    profile_name: str
    msgs_in: int
    msgs_out: int
    malformed: int
    unhandled: int
    reconnects: int
    auth: str  # pending, authenticated, unauthenticated, refused
    auth_reason: str  # why the last refused session was refused
    auth_refused: int

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


def _read(directory: Path, attribute: str) -> str:
    return (directory / attribute).read_text().rstrip("\n")


def read_link(directory: Path) -> Link:
    text = {a: _read(directory, a) for a in ("port", "xcm_guid", "xcm_address", "state", "auth")}
    names = {a: _read(directory, a) for a in ("chassis_name", "profile_name", "auth_reason")}
    counters = {a: int(_read(directory, a)) for a in COUNTERS}
    return Link(
        name=directory.name,
        uptime=int(_read(directory, "uptime")),
        **text,
        **names,
        **counters,
    )


def read_links(root: Path = SYSFS_LINKS) -> list[Link]:
    """Every link xscore has; none when xscore is not loaded."""
    if not root.is_dir():
        return []
    return [read_link(entry) for entry in sorted(root.iterdir())]
