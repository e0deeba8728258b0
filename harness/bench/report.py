"""The bench's figures as written out: JSON (every figure and the environment), a markdown
table with the ratios to the limits and to the peers, and a PNG plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Results = dict[str, Any]

OURS = "xsvhba"
PEERS = ("ib_srp", "nvme-rdma")
TCP_FIGURES = (
    ("tx_1", "TCP host→remote, 1 stream"),
    ("rx_1", "TCP remote→host, 1 stream"),
    ("tx_4", "TCP host→remote, 4 streams"),
    ("rx_4", "TCP remote→host, 4 streams"),
)


def write_json(results: Results, path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or not theirs:
        return "—"
    return f"{ours / theirs:.2f}x"


def _get(tree: Results, *keys: str) -> Any:
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _throughput(job: str) -> tuple[str, str]:
    """The headline figure of a fio job: IOPS for 4k jobs, MB/s for 1M jobs."""
    return ("mb_per_s", "MB/s") if job.startswith("1M") else ("iops", "IOPS")


def markdown(results: Results) -> str:
    env = results.get("environment", {})
    lines = [
        f"Kernel {env.get('kernel', '?')}, {env.get('accel', '?')} on {env.get('cpu', '?')},"
        f" commit {env.get('commit', '?')}, {env.get('date', '?')}.",
        "",
        "| link limit | value |",
        "|---|---|",
    ]
    limits = results.get("limits", {})
    for key, label in (
        ("virtio_tcp_gbps", "iperf3 TCP over the plain virtio link (Gbit/s)"),
        ("rxe_send_bw_gbps", "rxe RC ib_send_bw, 64 KiB (Gbit/s)"),
        ("rxe_write_bw_gbps", "rxe RC ib_write_bw, 64 KiB (Gbit/s)"),
    ):
        lines.append(f"| {label} | {_num(limits.get(key))} |")
    lat = limits.get("rxe_send_lat_us") or {}
    lines.append(
        f"| rxe RC ib_send_lat p50 / p99 (µs) | {_num(lat.get('p50_us'), 1)} /"
        f" {_num(lat.get('p99_us'), 1)} |"
    )
    send_bw = limits.get("rxe_send_bw_gbps")
    lines += ["", "| xsvnic | value | ratio to ib_send_bw |", "|---|---|---|"]
    for key, label in TCP_FIGURES:
        value = _get(results, "xsvnic", "tcp_gbps", key)
        lines.append(f"| {label} (Gbit/s) | {_num(value)} | {_ratio(value, send_bw)} |")
    ping = _get(results, "xsvnic", "ping_us") or {}
    lines.append(
        f"| ping p50 / p99 (µs) | {_num(ping.get('p50_us'), 0)} / {_num(ping.get('p99_us'), 0)} | |"
    )
    storage = results.get("storage", {})
    jobs = list((storage.get(OURS) or {}).get("jobs", {})) or _any_jobs(storage)
    header = f"| fio | {OURS} | " + " | ".join(PEERS) + " | "
    header += " | ".join(f"{OURS} / {peer}" for peer in PEERS) + " |"
    lines += ["", header, "|---" * (2 + 2 * len(PEERS)) + "|"]
    for job in jobs:
        key, unit = _throughput(job)
        ours = _get(storage, OURS, "jobs", job, key)
        theirs = [_get(storage, peer, "jobs", job, key) for peer in PEERS]
        cells = [_num(ours, 0), *(_num(t, 0) for t in theirs), *(_ratio(ours, t) for t in theirs)]
        lines.append(f"| {job} ({unit}) | " + " | ".join(cells) + " |")
    for job in jobs:
        cells = []
        for name in (OURS, *PEERS):
            p50 = _get(storage, name, "jobs", job, "p50_us")
            p99 = _get(storage, name, "jobs", job, "p99_us")
            cells.append(f"{_num(p50, 0)} / {_num(p99, 0)}")
        lines.append(f"| {job} p50 / p99 (µs) | " + " | ".join(cells) + " |" + " |" * len(PEERS))
    for name in (OURS, *PEERS):
        error = _get(storage, name, "error")
        if error:
            lines.append(f"\n{name}: not measured: {error}")
    harness = results.get("harness", {})
    suite = harness.get("suite") or {}
    lines += [
        "",
        "| harness | value |",
        "|---|---|",
        f"| VM boot to shell, cold page cache (s) | {_num(harness.get('boot_cold_s'), 1)} |",
        f"| VM boot to shell, warm (s) | {_num(harness.get('boot_warm_s'), 1)} |",
        f"| full default suite (`make test`, s) | {_num(suite.get('seconds'), 0)}"
        + (f" ({suite.get('date')}, {suite.get('outcome')})" if suite else "")
        + " |",
    ]
    return "\n".join(lines) + "\n"


def _any_jobs(storage: Results) -> list[str]:
    for name in PEERS:
        jobs = _get(storage, name, "jobs")
        if jobs:
            return list(jobs)
    return []


def plot(results: Results, path: Path) -> None:
    """Storage throughput per fio job relative to ib_srp, and the network figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    storage = results.get("storage", {})
    jobs = list((storage.get(OURS) or {}).get("jobs", {})) or _any_jobs(storage)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    width = 0.27
    for index, name in enumerate((OURS, *PEERS)):
        values = []
        for job in jobs:
            key, _ = _throughput(job)
            ours = _get(storage, name, "jobs", job, key)
            base = _get(storage, "ib_srp", "jobs", job, key)
            values.append(ours / base if ours is not None and base else 0.0)
        positions = [i + (index - 1) * width for i in range(len(jobs))]
        left.bar(positions, values, width, label=name)
    left.axhline(1.0, color="grey", linewidth=0.8)
    left.set_xticks(range(len(jobs)), jobs, rotation=25, ha="right", fontsize=8)
    left.set_ylabel("throughput relative to ib_srp")
    left.set_title("storage: IOPS (4k) and MB/s (1M)")
    left.legend(fontsize=8)

    limits = results.get("limits", {})
    labels = ["virtio TCP", "rxe send_bw", "rxe write_bw"]
    values = [
        limits.get("virtio_tcp_gbps") or 0.0,
        limits.get("rxe_send_bw_gbps") or 0.0,
        limits.get("rxe_write_bw_gbps") or 0.0,
    ]
    for key, _ in TCP_FIGURES:
        labels.append("xsvnic " + key.replace("_", " x"))
        values.append(_get(results, "xsvnic", "tcp_gbps", key) or 0.0)
    colors = ["grey"] * 3 + ["tab:blue"] * len(TCP_FIGURES)
    right.bar(range(len(labels)), values, color=colors)
    right.set_xticks(range(len(labels)), labels, rotation=25, ha="right", fontsize=8)
    right.set_ylabel("Gbit/s")
    right.set_title("network: limits (grey) and xsvnic TCP")
    env = results.get("environment", {})
    fig.suptitle(f"xsigo-linux bench: {env.get('kernel', '?')}, {env.get('accel', '?')}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


README_START = "<!-- bench results: written by make bench -->"
README_END = "<!-- end of bench results -->"


def update_readme(readme: Path, table: str, plot: str) -> bool:
    """Put the latest table and plot between the README's markers; False when it has none."""
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    body = f"{README_START}\n{table}\n![bench plot]({plot})\n"
    readme.write_text(text[:start] + body + text[end:])
    return True
