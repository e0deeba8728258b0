"""The storage half of a bench run: every contender serves both backends; each repetition
sets the contenders up in rotated order, runs every fio job (rotated too) with both guests'
CPU per I/O, and takes the contender down again.

Before that, each contender is set up once to read the largest transfer its disks take; the
smallest of these becomes every disk's limit (the block layer's max_sectors_kb), so that a
1M job is cut into requests of the same size for all of them. That set-up also takes each
contender's first-time costs (module loads, first logins) out of the measured runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from harness.bench import backends, cpu, rotation, storage
from harness.bench.plan import Plan
from harness.bench.series import Series, attempt
from harness.console import ConsoleError
from harness.fabric import Fabric
from harness.log import say, step

# What ib_srp logs in with while the limits are read: 1 MiB, the largest job's block.
PROBE_TRANSFER_KB = 1024
SETUP_ERRORS = (ValueError, RuntimeError, ConsoleError)


class Contender(Protocol):
    name: str

    def start(self, transfer_kb: int) -> dict[str, str]:
        """Serve every backend; return backend name -> the host's /dev path of its disk."""
        ...

    def stop(self) -> None: ...


def job_list() -> list[tuple[str, storage.FioJob]]:
    """(backend, job) in the order of a repetition that is not rotated."""
    return [(backends.BRD.name, job) for job in storage.JOBS] + [
        (backends.NULL.name, job) for job in storage.NULL_JOBS
    ]


def common_transfer_kb(limits: Mapping[str, int], ceiling: int = PROBE_TRANSFER_KB) -> int:
    """The largest transfer every contender's disks take (at most `ceiling`)."""
    return min([ceiling, *limits.values()])


def probe_transfer(fabric: Fabric, contenders: list[Contender], series: Series) -> dict[str, int]:
    """Each contender's largest transfer (KiB): the smallest max_hw_sectors_kb of its disks."""
    limits: dict[str, int] = {}
    for contender in contenders:
        with step(f"{contender.name}: reading its maximum transfer size"):
            try:
                disks = contender.start(PROBE_TRANSFER_KB)
                limits[contender.name] = min(
                    storage.max_hw_transfer_kb(fabric.host, disk) for disk in disks.values()
                )
            except SETUP_ERRORS as exc:
                say(f"{contender.name}: not set up: {exc}")
                series.fail(("storage", contender.name, "set-up"), str(exc))
            finally:
                contender.stop()
    return limits


def fio_with_cpu(fabric: Fabric, disk: str, job: storage.FioJob, plan: Plan) -> dict[str, float]:
    """fio's IOPS, MB/s and completion latency, and each guest's CPU microseconds per I/O,
    from a window inside the job's steady state (after its ramp)."""
    window = cpu.Window(delay=storage.RAMP_S + 1.5, length=max(1.0, plan.fio_s - 2.0))
    sampler = cpu.Sampler({"host": fabric.host, "director": fabric.director}, window)
    sampler.start()
    result = storage.fio(fabric.host, disk, job, plan.fio_s)
    figures = {
        "iops": result.iops,
        "mb_per_s": result.mb_per_s,
        "p50_us": result.p50_us,
        "p99_us": result.p99_us,
    }
    for name, rate in sampler.rates().items():
        figures[f"{name}_cpu"] = rate
        figures[f"{name}_cpu_us_per_io"] = cpu.per_io_us(rate, result.iops)
    return figures


def _start(fabric: Fabric, contender: Contender, transfer_kb: int) -> dict[str, str]:
    disks = contender.start(transfer_kb)
    for disk in disks.values():
        took = storage.limit_transfer(fabric.host, disk, transfer_kb)
        if took != transfer_kb:
            raise RuntimeError(f"{disk} took max_sectors_kb {took}, not {transfer_kb}")
    return disks


def run(
    fabric: Fabric, contenders: list[Contender], plan: Plan, series: Series, transfer_kb: int
) -> None:
    jobs = job_list()
    for turn, contender in rotation.schedule(contenders, plan.repetitions):
        label = f"repetition {turn + 1}"
        with step(f"{contender.name}: setting up ({label})"):
            try:
                disks = _start(fabric, contender, transfer_kb)
            except SETUP_ERRORS as exc:
                say(f"{contender.name}: not set up: {exc}")
                series.fail(("storage", contender.name, "set-up"), str(exc))
                contender.stop()
                continue
        try:
            for backend, job in rotation.rotated(jobs, turn):
                attempt(
                    series,
                    ("storage", backend, contender.name, job.name),
                    lambda d=disks[backend], j=job: fio_with_cpu(fabric, d, j, plan),
                    label,
                )
        finally:
            contender.stop()
