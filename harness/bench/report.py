"""The bench's figures as written out: JSON (every repetition's figures, the set-up and the
environment) and a markdown table of medians with their min-max range, and ratios of
medians to the transport and to the peers. The plot is in plot.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.bench import backends, storage, transport
from harness.bench.netphase import TCP_CASES
from harness.bench.series import values
from harness.bench.stats import RANGE, Summary, ratio, summarize

Results = dict[str, Any]

OURS = "xsvhba"
PEERS = ("ib_srp", "nvme-rdma")
CONTENDERS = (OURS, *PEERS)
TCP_LABELS = {
    "tx_1": "host→remote, 1 stream",
    "rx_1": "remote→host, 1 stream",
    "tx_4": "host→remote, 4 streams",
    "rx_4": "remote→host, 4 streams",
}
GUESTS = ("host", "director")
DASH = "—"


def plural(count: object, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def write_json(results: Results, path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def summary(results: Results, *path: str) -> Summary | None:
    return summarize(values(results, *path))


def cell(found: Summary | None, digits: int = 2) -> str:
    return DASH if found is None else found.cell(digits)


def median(found: Summary | None, digits: int = 0) -> str:
    return DASH if found is None else f"{found.median:.{digits}f}"


def times(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}x"


def throughput_key(job: str) -> tuple[str, str, int]:
    """The headline figure of a fio job: IOPS for 4k jobs, MB/s for 1M jobs."""
    return ("mb_per_s", "MB/s", 1) if job.startswith("1M") else ("iops", "IOPS", 0)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _header(*cells: str) -> list[str]:
    return [_row(*cells), "|---" * len(cells) + "|"]


def heading(results: Results) -> list[str]:
    env = results.get("environment", {})
    plan = results.get("plan", {})
    setup = results.get("setup", {})
    limits = setup.get("max_hw_transfer_kb") or {}
    hw = ", ".join(f"{name} {kb}" for name, kb in sorted(limits.items())) or DASH
    reps = plan.get("repetitions", "?")
    return [
        f"Kernel {env.get('kernel', '?')}, {env.get('accel', '?')} on {env.get('cpu', '?')},"
        f" commit {env.get('commit', '?')}, {env.get('date', '?')}.",
        f"{plural(reps, 'repetition')} of everything, interleaved and rotated:"
        f" median (min{RANGE}max);"
        " ratios are of medians.",
        f"Director's cards: Ethernet {setup.get('ethernet_card', '?')},"
        f" FC {setup.get('fc_card', '?')}. lan veths: {setup.get('lan_offloads', '?')}."
        f" Largest transfer for every disk: {setup.get('transfer_kb', '?')} KiB"
        f" (the drivers' own limits, KiB: {hw}).",
    ]


def transport_tables(results: Results) -> list[str]:
    lines = ["", *_header("transport: perftest over rxe RC", "p50 (µs)", "p99 (µs)")]
    for row in (r for r in transport.ROWS if r.is_latency):
        p50 = summary(results, "transport", row.name, "p50_us")
        p99 = summary(results, "transport", row.name, "p99_us")
        lines.append(_row(row.name, cell(p50, 0), cell(p99, 0)))
    lines += ["", *_header("transport: perftest over rxe RC", "Gbit/s", "MB/s", "messages/s")]
    for row in (r for r in transport.ROWS if not r.is_latency):
        got = [summary(results, "transport", row.name, k) for k in ("gbps", "mb_per_s")]
        rate = summary(results, "transport", row.name, "msg_per_s")
        lines.append(_row(row.name, cell(got[0], 3), cell(got[1], 1), cell(rate, 0)))
    return lines


def network_tables(results: Results) -> list[str]:
    send_bw = summary(results, "transport", transport.SEND_BW_64K, "gbps")
    lines = [
        "",
        *_header(
            "TCP to the remote host",
            "xsvnic (Gbit/s)",
            "routed (Gbit/s)",
            f"xsvnic / {transport.SEND_BW_64K}",
            "xsvnic / routed",
        ),
    ]
    for key, _, _ in TCP_CASES:
        ours = summary(results, "network", "xsvnic", key, "gbps")
        routed = summary(results, "network", "routed", key, "gbps")
        lines.append(
            _row(
                TCP_LABELS[key],
                cell(ours, 3),
                cell(routed, 3),
                times(ratio(ours, send_bw)),
                times(ratio(ours, routed)),
            )
        )
    send_lat = summary(results, "transport", transport.SEND_LAT_64, "p50_us")
    for figure, label in (("p50_us", "ping p50 (µs)*"), ("p99_us", "ping p99 (µs)")):
        ours = summary(results, "network", "xsvnic", "ping", figure)
        routed = summary(results, "network", "routed", "ping", figure)
        to_floor = times(ratio(ours, send_lat)) if figure == "p50_us" else ""
        lines.append(
            _row(label, cell(ours, 0), cell(routed, 0), to_floor, times(ratio(ours, routed)))
        )
    lines.append(
        f"\n\\* ping p50 against {transport.SEND_LAT_64}'s p50 (perftest reports half a"
        " round trip)."
    )
    columns = [f"{path} {guest}" for path in ("xsvnic", "routed") for guest in GUESTS]
    lines += ["", *_header("CPU-seconds per GB moved", *columns)]
    for key, _, _ in TCP_CASES:
        cells = [
            cell(summary(results, "network", path, key, f"{guest}_cpu_s_per_gb"), 1)
            for path in ("xsvnic", "routed")
            for guest in GUESTS
        ]
        lines.append(_row(TCP_LABELS[key], *cells))
    idle = [summary(results, "network", "idle", f"{guest}_cpu") for guest in GUESTS]
    lines += [
        "",
        *_header("guests' CPU with no workload (share of one CPU)", *GUESTS),
        _row("idle, inside every CPU figure", *(cell(s, 3) for s in idle)),
    ]
    return lines


def jobs_of(backend: str) -> list[str]:
    chosen = storage.JOBS if backend == backends.BRD.name else storage.NULL_JOBS
    return [job.name for job in chosen]


def storage_tables(results: Results) -> list[str]:
    lines: list[str] = []
    ratios = [f"{OURS} / {peer}" for peer in PEERS]
    for backend in (b.name for b in backends.BACKENDS):
        lines += ["", *_header(f"fio, {backend} backend", *CONTENDERS, *ratios)]
        for job in jobs_of(backend):
            key, unit, digits = throughput_key(job)
            found = [summary(results, "storage", backend, name, job, key) for name in CONTENDERS]
            cells = [cell(s, digits) for s in found]
            cells += [times(ratio(found[0], peer)) for peer in found[1:]]
            lines.append(_row(f"{job} ({unit})", *cells))
    lines += ["", *_header("completion latency p50 / p99 (µs), medians", *CONTENDERS)]
    for backend in (b.name for b in backends.BACKENDS):
        for job in jobs_of(backend):
            cells = []
            for name in CONTENDERS:
                p50 = summary(results, "storage", backend, name, job, "p50_us")
                p99 = summary(results, "storage", backend, name, job, "p99_us")
                cells.append(f"{median(p50)} / {median(p99)}")
            lines.append(_row(f"{backend}: {job}", *cells))
    columns = [f"{name} {guest}" for guest in GUESTS for name in CONTENDERS]
    lines += ["", *_header("CPU µs per I/O", *columns)]
    for backend in (b.name for b in backends.BACKENDS):
        for job in jobs_of(backend):
            cells = [
                cell(summary(results, "storage", backend, name, job, f"{guest}_cpu_us_per_io"), 0)
                for guest in GUESTS
                for name in CONTENDERS
            ]
            lines.append(_row(f"{backend}: {job}", *cells))
    return lines


def harness_table(results: Results) -> list[str]:
    harness = results.get("harness", {})
    suite = harness.get("suite") or {}

    def num(value: float | None, digits: int) -> str:
        return DASH if value is None else f"{value:.{digits}f}"

    return [
        "",
        *_header("harness", "value"),
        _row("VM boot to shell, cold page cache (s)", num(harness.get("boot_cold_s"), 1)),
        _row("VM boot to shell, warm (s)", num(harness.get("boot_warm_s"), 1)),
        _row(
            "full default suite (`make test`, s)",
            num(suite.get("seconds"), 0)
            + (f" ({suite.get('date')}, {suite.get('outcome')})" if suite else ""),
        ),
    ]


def markdown(results: Results) -> str:
    lines = heading(results)
    lines += transport_tables(results)
    lines += network_tables(results)
    lines += storage_tables(results)
    lines += harness_table(results)
    errors = results.get("errors") or []
    if errors:
        lines += ["", f"Not measured ({len(errors)}):", ""]
        lines += [f"- {error}" for error in errors]
    return "\n".join(lines) + "\n"


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
