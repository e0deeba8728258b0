"""fio on the host's block devices: the same jobs for our vHBA's disks and the peers'; the
disks a contender brought, told apart by backend; and their maximum transfer size."""

from __future__ import annotations

import time
from dataclasses import dataclass

from harness.bench import backends, parse
from harness.vm import Guest


@dataclass(frozen=True)
class FioJob:
    name: str
    rw: str
    block_size: str
    depth: int

    @property
    def direction(self) -> str:
        return "write" if "write" in self.rw else "read"


JOBS = (
    FioJob("4k randread QD1", "randread", "4k", 1),
    FioJob("4k randread QD32", "randread", "4k", 32),
    FioJob("4k randwrite QD1", "randwrite", "4k", 1),
    FioJob("4k randwrite QD32", "randwrite", "4k", 32),
    FioJob("1M read", "read", "1M", 4),
    FioJob("1M write", "write", "1M", 4),
)
# On the null backend: what the transports and targets alone cost.
NULL_JOBS = tuple(j for j in JOBS if j.name in ("4k randread QD1", "4k randread QD32", "1M read"))
RAMP_S = 1


def fio_command(disk: str, job: FioJob, seconds: int) -> str:
    return (
        f"fio --name=bench --filename={disk} --direct=1 --ioengine=libaio --rw={job.rw}"
        f" --bs={job.block_size} --iodepth={job.depth} --runtime={seconds}"
        f" --ramp_time={RAMP_S} --time_based --output-format=json"
    )


def fio(host: Guest, disk: str, job: FioJob, seconds: int) -> parse.FioFigures:
    out = host.console.output(fio_command(disk, job, seconds), timeout=seconds + 120)
    return parse.fio_figures(out, job.direction)


def disks(host: Guest) -> set[str]:
    """The SCSI and NVMe disks the host has now (not NVMe multipath's hidden path nodes)."""
    listing = "ls /sys/block | grep -E '^(sd[a-z]+|nvme[0-9]+n[0-9]+)$' || true"
    return set(host.console.output(listing).split())


def new_disks(host: Guest, before: set[str], count: int, timeout: float = 60) -> list[str]:
    """The `count` disks that appeared since `before` (a `disks()` listing), by name."""
    deadline = time.monotonic() + timeout
    appeared: set[str] = set()
    while time.monotonic() < deadline:
        appeared = disks(host) - before
        if len(appeared) >= count:
            return sorted(appeared)
        time.sleep(1)
    raise RuntimeError(
        f"{len(appeared)} of {count} new disks after {timeout:.0f} s (had {sorted(before)})"
    )


def new_disk(host: Guest, before: set[str], timeout: float = 60) -> str:
    """The disk that appeared since `before`, as a /dev path."""
    return "/dev/" + new_disks(host, before, 1, timeout)[0]


def backend_disks(host: Guest, before: set[str]) -> dict[str, str]:
    """Backend name -> /dev path of the disks a contender brought, one per backend."""
    names = new_disks(host, before, len(backends.BACKENDS))
    sizes = {
        name: int(host.console.output(f"cat /sys/block/{name}/size")) * 512 >> 20 for name in names
    }
    return {backend: f"/dev/{disk}" for backend, disk in backends.by_size(sizes).items()}


def max_hw_transfer_kb(host: Guest, disk: str) -> int:
    """The largest request the disk's driver takes (the block layer's max_hw_sectors_kb)."""
    name = disk.rsplit("/", 1)[1]
    return int(host.console.output(f"cat /sys/block/{name}/queue/max_hw_sectors_kb"))


def limit_transfer(host: Guest, disk: str, kb: int) -> int:
    """Make `kb` the largest request the block layer sends the disk; return what it took."""
    name = disk.rsplit("/", 1)[1]
    queue = f"/sys/block/{name}/queue"
    host.console.run(f"echo {kb} > {queue}/max_sectors_kb")
    return int(host.console.output(f"cat {queue}/max_sectors_kb"))
