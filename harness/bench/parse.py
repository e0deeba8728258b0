"""Figures out of the tools' own output: iperf3 JSON, perftest tables, ping lines, fio JSON."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"


class ParseError(ValueError):
    """A tool's output did not hold the figure asked for."""


def _json_object(text: str, tool: str) -> dict[str, object]:
    """The JSON object in `text`, skipping anything a tool printed before it."""
    start = text.find("{")
    if start < 0:
        raise ParseError(f"{tool}: no JSON in output: {text[-300:]!r}")
    try:
        return json.loads(text[start:])
    except json.JSONDecodeError as exc:
        raise ParseError(f"{tool}: bad JSON ({exc}): {text[-300:]!r}") from exc


def iperf3_gbps(text: str) -> float:
    """The receiver's TCP throughput of an `iperf3 -J` run, in Gbit/s."""
    report = _json_object(text, "iperf3")
    if "error" in report:
        raise ParseError(f"iperf3: {report['error']}")
    try:
        bits = report["end"]["sum_received"]["bits_per_second"]  # type: ignore[index]
    except (KeyError, TypeError) as exc:
        raise ParseError(f"iperf3: no end.sum_received in {text[-300:]!r}") from exc
    return float(bits) / 1e9


def _perftest_row(text: str, tool: str, columns: int) -> list[float]:
    """The first row of `columns` numbers after perftest's header line (`#bytes ...`)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith("#bytes"):
            for row in lines[index + 1 :]:
                fields = row.split()
                if len(fields) >= columns and all(re.fullmatch(_NUMBER, f) for f in fields):
                    return [float(f) for f in fields]
    raise ParseError(f"{tool}: no result row in {text[-400:]!r}")


@dataclass(frozen=True)
class Bandwidth:
    gbps: float
    msg_per_s: float


def perftest_bw(text: str) -> Bandwidth:
    """Average bandwidth and message rate of an ib_*_bw run with --report_gbits (#bytes
    #iterations peak average msgrate[Mpps])."""
    if "Gb/sec" not in text:
        raise ParseError(f"perftest: not reported in Gb/sec: {text[-300:]!r}")
    row = _perftest_row(text, "perftest bw", 5)
    return Bandwidth(gbps=row[3], msg_per_s=row[4] * 1e6)


def perftest_bw_gbps(text: str) -> float:
    """Average bandwidth of an ib_*_bw run with --report_gbits."""
    return perftest_bw(text).gbps


@dataclass(frozen=True)
class Latency:
    p50_us: float
    p99_us: float


def perftest_latency(text: str) -> Latency:
    """Typical (median) and 99th percentile of an ib_*_lat run: #bytes #iterations t_min t_max
    t_typical t_avg t_stdev 99% 99.9%."""
    row = _perftest_row(text, "perftest lat", 9)
    return Latency(p50_us=row[4], p99_us=row[7])


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with `fraction` of them at or below."""
    if not values:
        raise ParseError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ping_latency(text: str) -> Latency:
    """p50 and p99 of the round trips a `ping` printed, one `time=<ms> ms` per reply."""
    times = [float(t) * 1000 for t in re.findall(rf"\btime=({_NUMBER}) ms", text)]
    if not times:
        raise ParseError(f"ping: no replies in {text[-300:]!r}")
    return Latency(p50_us=percentile(times, 0.50), p99_us=percentile(times, 0.99))


@dataclass(frozen=True)
class FioFigures:
    iops: float
    mb_per_s: float
    p50_us: float
    p99_us: float


def fio_figures(text: str, direction: str) -> FioFigures:
    """IOPS, MB/s and completion latency percentiles of the first job of an
    `fio --output-format=json` run, for its `direction` ('read' or 'write')."""
    report = _json_object(text, "fio")
    try:
        side = report["jobs"][0][direction]  # type: ignore[index]
        percentiles = side["clat_ns"]["percentile"]
        figures = FioFigures(
            iops=float(side["iops"]),
            mb_per_s=float(side["bw_bytes"]) / 1e6,
            p50_us=float(percentiles["50.000000"]) / 1000,
            p99_us=float(percentiles["99.000000"]) / 1000,
        )
    except (KeyError, IndexError, TypeError) as exc:
        raise ParseError(f"fio: no {direction} figures in {text[-300:]!r}") from exc
    if report["jobs"][0].get("error"):  # type: ignore[index]
        raise ParseError(f"fio: job error {report['jobs'][0]['error']}")  # type: ignore[index]
    return figures
