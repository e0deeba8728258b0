"""The bench's report: tables of medians with their range and ratios of medians, the plot,
and the JSON it is all made from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.bench import diskphase, plot, report
from harness.bench.series import Series
from harness.bench.stats import RANGE


def _results() -> report.Results:
    series = Series()
    for scale in (0.9, 1.0, 1.2):
        series.add(("transport", "ib_send_bw 64 KiB"), {"gbps": 0.2 * scale})
        series.add(("transport", "ib_send_lat 64 B"), {"p50_us": 400 * scale, "p99_us": 900})
        for guest_path, gbps in (("xsvnic", 0.05), ("routed", 0.1)):
            series.add(
                ("network", guest_path, "tx_1"),
                {"gbps": gbps * scale, "host_cpu_s_per_gb": 20.0, "director_cpu_s_per_gb": 40},
            )
        series.add(("network", "xsvnic", "ping"), {"p50_us": 3200 * scale, "p99_us": 9000})
        series.add(("network", "idle"), {"host_cpu": 0.02, "director_cpu": 0.05})
        for name, iops in (("xsvhba", 200), ("ib_srp", 400), ("nvme-rdma", 500)):
            figures = {
                "iops": iops * scale,
                "mb_per_s": iops * scale / 250,
                "p50_us": 1000.0,
                "p99_us": 3000.0,
                "host_cpu_us_per_io": 700.0,
                "director_cpu_us_per_io": 900.0,
            }
            series.add(("storage", "brd", name, "4k randread QD1"), figures)
            series.add(("storage", "null", name, "1M read"), {**figures, "mb_per_s": iops / 10})
    series.fail(("storage", "nvme-rdma", "set-up"), "no /dev/nvme-fabrics")
    return {
        "environment": {"kernel": "6.1.0-57-amd64", "accel": "TCG", "cpu": "x", "commit": "abc"},
        "plan": {"repetitions": 3},
        "setup": {
            "transfer_kb": 256,
            "max_hw_transfer_kb": {"xsvhba": 256, "ib_srp": 1024},
            "ethernet_card": "Python",
            "fc_card": "Python",
            "lan_offloads": "tx off, sg on",
        },
        **series.tree,
        "errors": series.errors,
        "harness": {"boot_cold_s": 5.6, "boot_warm_s": 5.1, "suite": None},
    }


def test_storage_rows_give_median_range_and_ratios_of_medians() -> None:
    table = report.markdown(_results())
    assert (
        f"| 4k randread QD1 (IOPS) | 200 (180{RANGE}240) | 400 (360{RANGE}480) |"
        f" 500 (450{RANGE}600) | 0.50x | 0.40x |" in table
    )
    assert f"| 1M read (MB/s) | 20.0 (20.0{RANGE}20.0) | 40.0 (40.0{RANGE}40.0) |" in table
    assert "| 4k randwrite QD1 (IOPS) | — | — | — | — | — |" in table


def test_network_rows_are_against_the_transport_and_routed_tcp() -> None:
    table = report.markdown(_results())
    row = next(line for line in table.splitlines() if line.startswith("| host→remote, 1 stream"))
    # xsvnic / ib_send_bw 0.05 / 0.2, xsvnic / routed 0.05 / 0.1
    assert row.endswith("| 0.25x | 0.50x |")
    assert "| ping p50 (µs)* | 3200 (2880" in table
    assert "| 8.00x |" in table  # ping p50 over ib_send_lat's p50


def test_cpu_costs_and_the_set_up_are_shown() -> None:
    table = report.markdown(_results())
    assert f"| brd: 4k randread QD1 | 700 (700{RANGE}700) |" in table
    assert "Largest transfer for every disk: 256 KiB" in table
    assert "ib_srp 1024, xsvhba 256" in table
    assert "3 repetitions of everything" in table
    assert "- storage / nvme-rdma / set-up: no /dev/nvme-fabrics" in table


def test_one_repetition_shows_bare_values() -> None:
    results = _results()
    results["storage"]["brd"]["xsvhba"]["4k randread QD1"]["iops"] = [210.0]
    assert "| 4k randread QD1 (IOPS) | 210 | 400 (" in report.markdown(results)


def test_plot_bars_are_relative_to_ib_srp_with_their_range() -> None:
    labels, bars = plot.storage_bars(_results())
    index = labels.index("brd: 4k randread QD1")
    mid, below, above = bars["xsvhba"][index]
    assert (round(mid, 3), round(below, 3), round(above, 3)) == (0.5, 0.05, 0.1)
    assert bars["ib_srp"][labels.index("brd: 4k randwrite QD1")] == (0.0, 0.0, 0.0)


def test_plot_and_json_are_written(tmp_path: Path) -> None:
    # matplotlib is a bench requirement (requirements-bench.txt), which make test does not install.
    pytest.importorskip("matplotlib")
    results = _results()
    report.write_json(results, tmp_path / "bench.json")
    plot.plot(results, tmp_path / "bench.png")
    assert json.loads((tmp_path / "bench.json").read_text()) == results
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_common_transfer_is_the_smallest_limit() -> None:
    assert diskphase.common_transfer_kb({"xsvhba": 256, "ib_srp": 1024, "nvme-rdma": 1020}) == 256
    assert diskphase.common_transfer_kb({"ib_srp": 4096}) == diskphase.PROBE_TRANSFER_KB
    assert diskphase.common_transfer_kb({}) == diskphase.PROBE_TRANSFER_KB


def test_every_job_runs_on_brd_and_some_on_null() -> None:
    jobs = diskphase.job_list()
    assert [b for b, _ in jobs].count("brd") == 6
    assert {j.name for b, j in jobs if b == "null"} == {
        "4k randread QD1",
        "4k randread QD32",
        "1M read",
    }
