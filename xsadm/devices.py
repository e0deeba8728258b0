"""Read the vNICs and vHBAs xscore installed: the auxiliary devices under each link."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from xsadm.links import SYSFS_LINKS
from xsadm.named import NotOne, named

# how the software director names its I/O ports in card GUIDs (docs/director.md)
IO_PORT_KINDS = {0xE0: "eth", 0xFC: "fc"}


@dataclass(frozen=True)
class Device:
    device: str  # the auxiliary device, e.g. xscore.vnic.0
    kind: str  # vnic or vhba
    name: str
    resource_id: str
    card_guid: str
    card_port: str  # the director's I/O port, e.g. eth/1, when the GUID names one
    link: str
    driver: str  # bound driver, or "" when none is
    # kept by a resynchronisation because it was busy; the XCM no longer installs it
    orphaned: bool = False

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def card_port(card_guid: str) -> str:
    if not card_guid:  # xscore reads it only while the device's class driver is loaded
        return ""
    low = int(card_guid, 16) & 0xFFFF
    kind = IO_PORT_KINDS.get(low >> 8)
    return f"{kind}/{low & 0xFF}" if kind else ""


def read_device(link: Path, directory: Path) -> Device:
    card = (directory / "card_guid").read_text().strip()
    driver = directory / "driver"
    return Device(
        device=directory.name,
        kind=directory.name.split(".")[1],
        name=(directory / "vdev_name").read_text().strip(),
        resource_id=(directory / "resource_id").read_text().strip(),
        card_guid=card,
        card_port=card_port(card),
        link=link.name,
        driver=driver.resolve().name if driver.exists() else "",
        orphaned=_flag(directory / "orphaned"),
    )


def _flag(path: Path) -> bool:
    """A 0/1 attribute; False where the kernel has none (an older xscore)."""
    try:
        return path.read_text().strip() == "1"
    except FileNotFoundError:
        return False


def delete_orphan(name: str, root: Path = SYSFS_LINKS) -> str | None:
    """Ask xscore to remove the orphan `name` (a device, e.g. xscore.vnic.3, or its vNIC or
    vHBA name); None when done, else why not."""
    try:
        device = named(read_devices(root), name, lambda d: (d.device, d.name), "device")
    except NotOne as err:
        return str(err)
    if not device.orphaned:
        return f"{device.device} ({device.name}) is not an orphan: its XCM deletes it"
    (root / device.link / device.device / "delete").write_text("1\n")
    return None


def read_devices(root: Path = SYSFS_LINKS) -> list[Device]:
    if not root.is_dir():
        return []
    return [
        read_device(link, entry)
        for link in sorted(root.iterdir())
        for entry in sorted(link.glob("xscore.*.*"))
    ]
