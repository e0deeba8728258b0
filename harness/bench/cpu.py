"""CPU time the guests spend while a workload runs, from /proc/stat deltas taken inside each
guest over a window within the workload's steady state.

A guest samples in the background: after `delay` seconds it reads the aggregate `cpu` line of
/proc/stat and /proc/uptime, and again `length` seconds later. The busy jiffies over the
elapsed time are the CPU-seconds the whole guest (kernel, softirqs, the tools, the director's
cards) spent per second of the workload; divided by the workload's rate that is the CPU cost
of one I/O or of one GB moved.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.vm import Guest

USER_HZ = 100  # the unit of /proc/stat on Linux, whatever the kernel's HZ
SAMPLE = "{ head -n 1 /proc/stat; cat /proc/uptime; }"


class CpuError(ValueError):
    """The samples did not say how busy the guest was."""


@dataclass(frozen=True)
class CpuSample:
    """A guest's busy jiffies (all CPUs) and uptime at one moment."""

    busy_jiffies: int
    uptime_s: float


def parse_sample(text: str) -> CpuSample:
    """The `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal guest
    guest_nice) and /proc/uptime's first field. Busy is everything but idle and iowait; guest
    time is already inside user time."""
    lines = [line.split() for line in text.strip().splitlines()]
    try:
        stat = next(fields for fields in lines if fields and fields[0] == "cpu")
        uptime = next(fields for fields in lines if fields and fields[0] != "cpu")
        ticks = [int(field) for field in stat[1:9]]
        return CpuSample(busy_jiffies=sum(ticks) - ticks[3] - ticks[4], uptime_s=float(uptime[0]))
    except (StopIteration, ValueError, IndexError) as exc:
        raise CpuError(f"not a /proc/stat and /proc/uptime sample: {text[-200:]!r}") from exc


def cpu_rate(before: CpuSample, after: CpuSample) -> float:
    """CPU-seconds spent per second between two samples (1.0: one CPU busy all the time)."""
    elapsed = after.uptime_s - before.uptime_s
    if elapsed <= 0:
        raise CpuError(f"the second sample is not later than the first ({elapsed:.2f} s)")
    return (after.busy_jiffies - before.busy_jiffies) / USER_HZ / elapsed


def per_io_us(rate: float, iops: float) -> float:
    """CPU microseconds per I/O at `iops`."""
    return rate / iops * 1e6 if iops > 0 else float("nan")


def per_gb_s(rate: float, gbps: float) -> float:
    """CPU-seconds per gigabyte moved at `gbps` Gbit/s."""
    return rate / (gbps / 8) if gbps > 0 else float("nan")


@dataclass(frozen=True)
class Window:
    """When to sample, counted from the start: after `delay` seconds, for `length` seconds."""

    delay: float
    length: float


class Sampler:
    """Background CPU samples in a set of guests around one workload."""

    FILE = "/tmp/xs-bench-cpu"

    def __init__(self, guests: dict[str, Guest], window: Window) -> None:
        self.guests = guests
        self.window = window

    def start(self) -> None:
        w = self.window
        for guest in self.guests.values():
            guest.console.run(
                f"rm -f {self.FILE}.a {self.FILE}.b; ( sleep {w.delay}; {SAMPLE} > {self.FILE}.a;"
                f" sleep {w.length}; {SAMPLE} > {self.FILE}.b.tmp; mv {self.FILE}.b.tmp"
                f" {self.FILE}.b ) >/dev/null 2>&1 &"
            )

    def rates(self) -> dict[str, float]:
        """CPU-seconds per second in each guest over the window; waits for it to close."""
        found = {}
        for name, guest in self.guests.items():
            con = guest.console
            deadline = self.window.delay + self.window.length + 30
            if not con.wait_until(f"[ -s {self.FILE}.b ]", deadline):
                raise CpuError(f"{name}: the CPU window did not close")
            before = parse_sample(con.output(f"cat {self.FILE}.a"))
            after = parse_sample(con.output(f"cat {self.FILE}.b"))
            found[name] = cpu_rate(before, after)
        return found
