"""The block devices in the director VM that every storage contender serves, the same device
for all: a brd RAM disk (written once, so reads do not hit brd's unallocated zero pages), and
a null_blk device (no data kept: what is left is the cost of the transports and targets).
A contender exports both at once; the host tells their disks apart by size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.vm import Guest


@dataclass(frozen=True)
class Backend:
    name: str  # as the report names it
    device: str  # in the director VM
    size_mib: int  # what tells its disk apart on the host
    create: str  # the director's commands that make it


RAMDISK_MIB = 128
NULL_MIB = 1024

BRD = Backend(
    "brd",
    "/dev/ram0",
    RAMDISK_MIB,
    f"modprobe brd rd_nr=1 rd_size={RAMDISK_MIB * 1024}"
    f" && dd if=/dev/zero of=/dev/ram0 bs=1M count={RAMDISK_MIB} status=none",
)
NULL = Backend(
    "null",
    "/dev/nullb0",
    NULL_MIB,
    f"modprobe null_blk nr_devices=1 gb={NULL_MIB // 1024}",
)
BACKENDS = (BRD, NULL)


def create_all(director: Guest) -> None:
    for backend in BACKENDS:
        director.console.run(backend.create, timeout=300)


def by_size(sizes_mib: Mapping[str, int]) -> dict[str, str]:
    """Backend name -> disk, given each new disk's size in MiB; a disk of no backend's size,
    or two of one size, is an error."""
    found: dict[str, str] = {}
    for disk, size in sorted(sizes_mib.items()):
        match = [b.name for b in BACKENDS if b.size_mib == size]
        if not match:
            raise RuntimeError(f"{disk}: {size} MiB is no backend's size")
        if match[0] in found:
            raise RuntimeError(f"{found[match[0]]} and {disk} both look like {match[0]}")
        found[match[0]] = disk
    return found
