"""Read xscore's links from sysfs (/sys/class/xscore_link/<name>/<attribute>)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from xsadm.named import NotOne, named

SYSFS_LINKS = Path("/sys/class/xscore_link")
COUNTERS = (
    "msgs_in",
    "msgs_out",
    "malformed",
    "unhandled",
    "reconnects",
    "auth_refused",
    "absent_polls",
)


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
    absent_polls: int  # discovery answers in a row without the link's XCM
    held: bool  # its XCM is no longer assigned; kept while its devices are in use

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
        held=_read(directory, "held") == "1",
        **text,
        **names,
        **counters,
    )


def read_links(root: Path = SYSFS_LINKS) -> list[Link]:
    """Every link xscore has; none when xscore is not loaded."""
    if not root.is_dir():
        return []
    return [read_link(entry) for entry in sorted(root.iterdir())]


def _link(name: str, root: Path) -> Link:
    return named(read_links(root), name, lambda link: (link.name, link.xcm_guid), "link")


def release_link(name: str, root: Path = SYSFS_LINKS) -> str | None:
    """Let the next discovery answer that leaves the XCM out drop held link `name` (its name,
    or its XCM's GUID), devices in use or not; None when asked, else why not."""
    try:
        link = _link(name, root)
    except NotOne as err:
        return str(err)
    if not link.absent_polls:
        return f"{link.name}: its XCM is still assigned; the director takes it away"
    (root / link.name / "release").write_text("1\n")
    return None


def reset_link(name: str, root: Path = SYSFS_LINKS) -> str | None:
    """Drop link `name`'s session (named by the link or its XCM's GUID) and connect again
    now; None when asked, else why not."""
    try:
        link = _link(name, root)
    except NotOne as err:
        return str(err)
    (root / link.name / "reset").write_text("1\n")
    return None
