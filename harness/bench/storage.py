"""fio on a block device of the host VM: the same jobs for our vHBA's disk and the peers'."""

from __future__ import annotations

import time
from dataclasses import dataclass

from harness.bench import parse
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


def fio(host: Guest, disk: str, job: FioJob, seconds: int) -> parse.FioFigures:
    command = (
        f"fio --name=bench --filename={disk} --direct=1 --ioengine=libaio --rw={job.rw}"
        f" --bs={job.block_size} --iodepth={job.depth} --runtime={seconds} --ramp_time=1"
        " --time_based --output-format=json"
    )
    return parse.fio_figures(host.console.output(command, timeout=seconds + 120), job.direction)


def run_jobs(host: Guest, disk: str, seconds: int) -> dict[str, parse.FioFigures]:
    return {job.name: fio(host, disk, job, seconds) for job in JOBS}


def disks(host: Guest) -> set[str]:
    """The SCSI and NVMe disks the host has now (not NVMe multipath's hidden path nodes)."""
    listing = "ls /sys/block | grep -E '^(sd[a-z]+|nvme[0-9]+n[0-9]+)$' || true"
    return set(host.console.output(listing).split())


def new_disk(host: Guest, before: set[str], timeout: float = 60) -> str:
    """The disk that appeared since `before` (a `disks()` listing), as a /dev path."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        appeared = disks(host) - before
        if appeared:
            return "/dev/" + sorted(appeared)[0]
        time.sleep(1)
    raise RuntimeError(f"no new disk after {timeout:.0f} s (had {sorted(before)})")
