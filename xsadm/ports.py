"""Read xscore's ports from sysfs (/sys/class/xscore_port/<device>-<port>/<attribute>): what
discovery found on each, and what the port trusts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

SYSFS_PORTS = Path("/sys/class/xscore_port")
COUNTERS = ("discoveries", "discovery_failures", "malformed", "untrusted")


@dataclass(frozen=True)
class Port:
    name: str
    discovery_mode: str  # service-record, solicitation or off
    xds: str  # the directory service that answered last ("::" before any)
    xcms: list[str]  # the XCM GUIDs the last answer assigned
    discovery_error: int  # the last round's errno (0: it got an answer)
    discoveries: int
    discovery_failures: int
    malformed: int
    untrusted: int
    link_drop_polls: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _read(directory: Path, attribute: str) -> str:
    return (directory / attribute).read_text().rstrip("\n")


def read_port(directory: Path) -> Port:
    counters = {a: int(_read(directory, a)) for a in COUNTERS}
    return Port(
        name=directory.name,
        discovery_mode=_read(directory, "discovery_mode"),
        xds=_read(directory, "xds"),
        xcms=_read(directory, "xcms").split(),
        discovery_error=int(_read(directory, "discovery_error")),
        link_drop_polls=int(_read(directory, "link_drop_polls")),
        **counters,
    )


def read_ports(root: Path = SYSFS_PORTS) -> list[Port]:
    """Every port xscore tracks; none when xscore is not loaded."""
    if not root.is_dir():
        return []
    return [read_port(entry) for entry in sorted(root.iterdir())]


def repoll(name: str, root: Path = SYSFS_PORTS) -> str | None:
    """Start a discovery round on port `name` now; None when asked, else why not."""
    if not (root / name).is_dir():
        return f"no port {name}"
    try:
        (root / name / "repoll").write_text("1\n")
    except OSError as exc:
        return f"{name}: {exc.strerror or exc} (a port without discovery?)"
    return None
