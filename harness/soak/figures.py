"""The soak's figures: what happened (faults, their recoveries, errors, memory), summed up
against the goals, as JSON and as the Markdown table the README shows. Pure: no VM here."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

# The goals for a 60-minute soak (scaled to the run's length where they count).
GOAL_FAULTS_PER_KIND_60_MIN = 50
GOAL_RECOVERY_P50_S = 5.0
GOAL_SLAB_GROWTH = 0.02


@dataclass(frozen=True)
class Recovery:
    """One fault: its kind, when it started (seconds into the soak), and how long after it
    was undone I/O flowed again (None: it never did within the probe's limit)."""

    fault: str
    at: float
    recovered_after: float | None


@dataclass(frozen=True)
class MemorySample:
    guest: str
    at: float
    # Slab once the kernel's caches are dropped (sync; drop_caches=3): what the kernel holds
    # on to, not the dentries and inodes of the processes the faults start, nor the buffer
    # heads of the page cache the director's LUN files fill (+2.9% in a 6.12 hour with only
    # the first two dropped).
    slab_kib: int
    available_kib: int
    # The part of the slab no shrinker can give back (SUnreclaim): where a leak would show,
    # apart from dentry and inode caches that grow with every process started.
    unreclaimable_kib: int = 0
    # Which boot of the pair the guest was in (an rxe fault boots it again): growth is
    # measured within one boot only.
    boot: int = 1


@dataclass
class SoakRun:
    """Everything a soak records; `summary()` turns it into figures."""

    kernel: str
    commit: str
    minutes: float
    kinds: list[str] = field(default_factory=list)  # every kind the soak could inject
    recoveries: list[Recovery] = field(default_factory=list)
    memory: list[MemorySample] = field(default_factory=list)
    verify_errors: int = 0
    io_errors: list[str] = field(default_factory=list)  # each with the fault it followed
    network_errors: list[str] = field(default_factory=list)
    # The host kernel's I/O error lines, each with the fault it followed: where fio's counts
    # (which carry no time) came from.
    kernel_io_errors: list[str] = field(default_factory=list)
    splats: list[str] = field(default_factory=list)
    rxe_faults: list[str] = field(default_factory=list)
    hung_tasks: int = 0
    kmemleak: list[str] = field(default_factory=list)
    module_cycles: int = 0
    module_cycle_failures: list[str] = field(default_factory=list)
    # Per guest, the slab caches that grew most over the second half ("name +N KiB ...").
    slab_growers: dict[str, list[str]] = field(default_factory=dict)
    stopped_early: str = ""

    def summary(self) -> dict[str, Any]:
        kinds = sorted({*self.kinds, *(r.fault for r in self.recoveries)})
        per_kind = {}
        for kind in kinds:
            times = [r.recovered_after for r in self.recoveries if r.fault == kind]
            done = sorted(t for t in times if t is not None)
            per_kind[kind] = {
                "count": len(times),
                "not_recovered": len(times) - len(done),
                "recovery_p50_s": round(statistics.median(done), 2) if done else None,
                "recovery_max_s": round(max(done), 2) if done else None,
            }
        every = sorted(r.recovered_after for r in self.recoveries if r.recovered_after is not None)
        return {
            "kernel": self.kernel,
            "commit": self.commit,
            "minutes": round(self.minutes, 1),
            "faults": per_kind,
            "faults_total": len(self.recoveries),
            "recovery_p50_s": round(statistics.median(every), 2) if every else None,
            "recovery_max_s": round(max(every), 2) if every else None,
            "verify_errors": self.verify_errors,
            "io_errors": list(self.io_errors),
            "network_errors": list(self.network_errors),
            "kernel_io_errors": list(self.kernel_io_errors),
            "hung_tasks": self.hung_tasks,
            "splats": list(self.splats),
            "rxe_faults": list(self.rxe_faults),
            "kmemleak_reports": len(self.kmemleak),
            "module_cycles": self.module_cycles,
            "module_cycle_failures": list(self.module_cycle_failures),
            "slab_growth_second_half": slab_growth(self.memory),
            "unreclaimable_growth_second_half": slab_growth(self.memory, "unreclaimable_kib"),
            "slab_growers_second_half": dict(self.slab_growers),
            "memory": [asdict(m) for m in self.memory],
            "stopped_early": self.stopped_early,
        }


def slab_growth(samples: list[MemorySample], field: str = "slab_kib") -> dict[str, float | None]:
    """Per guest, how much its slab (or another `field` of the samples) grew over the second
    half of the run: along the least-squares line through the samples taken after the
    midpoint, from the first of them to the last, relative to where the line starts (one
    sample's noise moves it little); None with fewer than two such samples of the guest's
    last boot."""
    growth: dict[str, float | None] = {}
    for guest in sorted({s.guest for s in samples}):
        mine = sorted((s for s in samples if s.guest == guest), key=lambda s: s.at)
        if not mine:
            continue
        middle = (mine[0].at + mine[-1].at) / 2
        late = [s for s in mine if s.at >= middle and s.boot == mine[-1].boot]
        points = [(s.at, float(getattr(s, field, 0))) for s in late]
        if len(points) < 2 or points[0][0] == points[-1][0]:
            growth[guest] = None
            continue
        slope, intercept = statistics.linear_regression(*zip(*points, strict=True))
        first = slope * points[0][0] + intercept
        last = slope * points[-1][0] + intercept
        growth[guest] = round((last - first) / first, 4) if first > 0 else None
    return growth


def goals(summary: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """Each goal: (measure, goal, measured, met). Fault counts scale with the run's length."""
    minutes = max(float(summary["minutes"]), 1.0)
    wanted = max(1, int(GOAL_FAULTS_PER_KIND_60_MIN * minutes / 60))
    counts = {kind: f["count"] for kind, f in summary["faults"].items()}
    fewest = min(counts.values()) if counts else 0
    p50 = summary["recovery_p50_s"]
    growth = [g for g in summary["slab_growth_second_half"].values() if g is not None]
    worst_growth = max(growth) if growth else None
    not_recovered = sum(f["not_recovered"] for f in summary["faults"].values())
    return [
        (
            "faults of each kind",
            f">= {wanted}",
            f"{fewest} (fewest of {len(counts)} kinds)",
            bool(counts) and fewest >= wanted,
        ),
        ("faults I/O did not recover from", "0", str(not_recovered), not_recovered == 0),
        ("verify errors", "0", str(summary["verify_errors"]), summary["verify_errors"] == 0),
        (
            "I/O errors to applications",
            "0",
            str(len(summary["io_errors"]) + len(summary["network_errors"])),
            not summary["io_errors"] and not summary["network_errors"],
        ),
        (
            "hung tasks, splats, kmemleak reports",
            "0",
            f"{summary['hung_tasks']}, {len(summary['splats'])}, {summary['kmemleak_reports']}",
            not summary["hung_tasks"] and not summary["splats"] and not summary["kmemleak_reports"],
        ),
        (
            "recovery p50",
            f"<= {GOAL_RECOVERY_P50_S:g} s",
            "none measured" if p50 is None else f"{p50:g} s",
            p50 is not None and p50 <= GOAL_RECOVERY_P50_S,
        ),
        (
            "slab over the second half",
            f"flat within {GOAL_SLAB_GROWTH:.0%}",
            "not sampled" if worst_growth is None else f"{worst_growth:+.2%} (worst guest)",
            worst_growth is not None and worst_growth <= GOAL_SLAB_GROWTH,
        ),
    ]


def markdown(summary: dict[str, Any]) -> str:
    """The figures as the README shows them."""
    lines = [
        f"Soak of {summary['minutes']:g} minutes on kernel {summary['kernel']}"
        f" at {summary['commit']}"
        + (f" (stopped early: {summary['stopped_early']})" if summary["stopped_early"] else ""),
        "",
        "| measure | goal | measured | met |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {measure} | {goal} | {measured} | {'yes' if met else '**no**'} |"
        for measure, goal, measured, met in goals(summary)
    ]
    lines += ["", "| fault | count | recovery p50 | recovery max | not recovered |"]
    lines.append("|---|---|---|---|---|")
    for kind, f in summary["faults"].items():
        p50 = "-" if f["recovery_p50_s"] is None else f"{f['recovery_p50_s']:g} s"
        worst = "-" if f["recovery_max_s"] is None else f"{f['recovery_max_s']:g} s"
        lines.append(f"| {kind} | {f['count']} | {p50} | {worst} | {f['not_recovered']} |")
    lines += [
        "",
        f"Module load/unload cycles with devices bound (I/O stopped, not in the figures above):"
        f" {summary['module_cycles']}, failed: {len(summary['module_cycle_failures'])}.",
        f"rxe faults (documented fingerprints, counted apart): {len(summary['rxe_faults'])}.",
        "Unreclaimable slab (SUnreclaim) over the second half: "
        + (
            ", ".join(
                f"{guest} {'-' if g is None else f'{g:+.2%}'}"
                for guest, g in summary.get("unreclaimable_growth_second_half", {}).items()
            )
            or "not sampled"
        )
        + ".",
        "Slab is read after the kernel's caches are dropped (sync; drop_caches=3) and its"
        " growth taken along the least-squares line through the second half's samples.",
        "Recovery is from the moment the fault was undone to the first I/O that completed"
        " after it (a direct read of each LUN, or a ping through the vNIC).",
    ]
    for guest, growers in summary.get("slab_growers_second_half", {}).items():
        lines.append(f"- slab caches that grew most on the {guest}: {'; '.join(growers) or '-'}")
    for name in ("io_errors", "network_errors", "kernel_io_errors", "splats", "rxe_faults"):
        for entry in summary.get(name, []):
            lines.append(f"- {name}: {entry}")
    return "\n".join(lines) + "\n"
