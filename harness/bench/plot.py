"""The bench's plot: storage throughput relative to ib_srp per backend and job, and the
network's Gbit/s beside the transport's, each bar a median with its min-max range."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.bench import backends, transport
from harness.bench.netphase import TCP_CASES
from harness.bench.report import (
    CONTENDERS,
    Results,
    jobs_of,
    plural,
    summary,
    throughput_key,
)
from harness.bench.stats import RANGE, Summary

BASE = "ib_srp"


def relative(found: Summary | None, base: Summary | None) -> tuple[float, float, float]:
    """(median, below, above) of `found` over `base`'s median, as bar height and error bar;
    zeros when either is missing."""
    if found is None or base is None or not base.median:
        return 0.0, 0.0, 0.0
    mid = found.median / base.median
    return mid, mid - found.low / base.median, found.high / base.median - mid


def _bar(found: Summary | None) -> tuple[float, float, float]:
    if found is None:
        return 0.0, 0.0, 0.0
    return found.median, found.median - found.low, found.high - found.median


def storage_bars(results: Results) -> tuple[list[str], dict[str, list[tuple[float, float, float]]]]:
    labels: list[str] = []
    bars: dict[str, list[tuple[float, float, float]]] = {name: [] for name in CONTENDERS}
    for backend in (b.name for b in backends.BACKENDS):
        for job in jobs_of(backend):
            key, _, _ = throughput_key(job)
            labels.append(f"{backend}: {job}")
            base = summary(results, "storage", backend, BASE, job, key)
            for name in CONTENDERS:
                found = summary(results, "storage", backend, name, job, key)
                bars[name].append(relative(found, base))
    return labels, bars


def network_bars(results: Results) -> tuple[list[str], list[tuple[float, float, float]], list[str]]:
    labels, bars, colors = [], [], []
    for row in (r for r in transport.ROWS if not r.is_latency):
        labels.append(row.name)
        bars.append(_bar(summary(results, "transport", row.name, "gbps")))
        colors.append("grey")
    for path, color in (("routed", "tab:orange"), ("xsvnic", "tab:blue")):
        for key, _, _ in TCP_CASES:
            labels.append(f"{path} {key.replace('_', ' x')}")
            bars.append(_bar(summary(results, "network", path, key, "gbps")))
            colors.append(color)
    return labels, bars, colors


def plot(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5.2))
    labels, bars = storage_bars(results)
    width = 0.27
    for index, name in enumerate(CONTENDERS):
        heights = [b[0] for b in bars[name]]
        errors = [[b[1] for b in bars[name]], [b[2] for b in bars[name]]]
        positions = [i + (index - 1) * width for i in range(len(labels))]
        left.bar(positions, heights, width, yerr=errors, capsize=2, label=name)
    left.axhline(1.0, color="grey", linewidth=0.8)
    left.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
    left.set_ylabel(f"throughput relative to {BASE} (median, min{RANGE}max)")
    left.set_title("storage: IOPS (4k) and MB/s (1M)")
    left.legend(fontsize=8)

    labels, heights, colors = network_bars(results)
    errors: Any = [[b[1] for b in heights], [b[2] for b in heights]]
    right.bar(range(len(labels)), [b[0] for b in heights], yerr=errors, capsize=2, color=colors)
    right.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
    right.set_ylabel(f"Gbit/s (median, min{RANGE}max)")
    right.set_title("network: rxe (grey), routed TCP (orange), xsvnic TCP (blue)")
    env = results.get("environment", {})
    reps = results.get("plan", {}).get("repetitions", "?")
    fig.suptitle(
        f"xsigo-linux bench: {env.get('kernel', '?')}, {env.get('accel', '?')},"
        f" {plural(reps, 'repetition')}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
