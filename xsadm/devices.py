"""Read the vNICs and vHBAs xscore installed: the auxiliary devices under each link."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from xsadm.links import SYSFS_LINKS

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
    )


def read_devices(root: Path = SYSFS_LINKS) -> list[Device]:
    if not root.is_dir():
        return []
    return [
        read_device(link, entry)
        for link in sorted(root.iterdir())
        for entry in sorted(link.glob("xscore.*.*"))
    ]
