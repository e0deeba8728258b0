"""The bench's parsers and report, on output shaped as the guests' tools print it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.bench import parse, report, suite

SEND_BW = """
---------------------------------------------------------------------------------------
                    Send BW Test
 Dual-port       : OFF		Device         : rxe0
 Number of qps   : 1		Transport type : IB
---------------------------------------------------------------------------------------
 #bytes     #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]
 65536      2790             0.00               0.59   		   0.001122
---------------------------------------------------------------------------------------
"""

SEND_LAT = """
 #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]   99% percentile[usec]   99.9% percentile[usec]
 2       1000          180.21         2210.80      251.33             270.12         60.04           540.77                  2210.80
---------------------------------------------------------------------------------------
"""  # noqa: E501 - perftest's own line


def test_iperf3_figure_is_the_receivers_throughput_in_gbps() -> None:
    text = "warning: ignored\n" + json.dumps(
        {"end": {"sum_sent": {"bits_per_second": 9e9}, "sum_received": {"bits_per_second": 2.5e9}}}
    )
    assert parse.iperf3_gbps(text) == pytest.approx(2.5)


def test_iperf3_error_is_reported_not_read_as_a_figure() -> None:
    with pytest.raises(parse.ParseError, match="unable to connect"):
        parse.iperf3_gbps(json.dumps({"error": "unable to connect to server"}))


def test_perftest_bandwidth_is_the_average_column_with_its_message_rate() -> None:
    assert parse.perftest_bw_gbps(SEND_BW) == pytest.approx(0.59)
    assert parse.perftest_bw(SEND_BW).msg_per_s == pytest.approx(1122)


def test_perftest_bandwidth_in_mb_per_s_is_refused() -> None:
    with pytest.raises(parse.ParseError):
        parse.perftest_bw_gbps(SEND_BW.replace("Gb/sec", "MB/sec"))


def test_perftest_latency_is_typical_and_99th_percentile() -> None:
    assert parse.perftest_latency(SEND_LAT) == parse.Latency(p50_us=251.33, p99_us=540.77)


def test_perftest_without_result_row_is_an_error() -> None:
    with pytest.raises(parse.ParseError):
        parse.perftest_latency(SEND_LAT.splitlines()[1])


def test_ping_percentiles_are_nearest_rank_in_microseconds() -> None:
    replies = "\n".join(
        f"64 bytes from 198.18.100.2: icmp_seq={i} ttl=64 time={i / 10:.1f} ms"
        for i in range(1, 101)
    )
    text = f"PING 198.18.100.2 56(84) bytes of data.\n{replies}\n--- statistics ---"
    latency = parse.ping_latency(text)
    assert latency.p50_us == pytest.approx(5000)
    assert latency.p99_us == pytest.approx(9900)


def test_ping_without_replies_is_an_error() -> None:
    with pytest.raises(parse.ParseError):
        parse.ping_latency("100 packets transmitted, 0 received, 100% packet loss")


def _fio_json(direction: str, error: int = 0) -> str:
    side = {
        "iops": 1234.5,
        "bw_bytes": 5_056_512,
        "clat_ns": {"percentile": {"50.000000": 700_000, "99.000000": 2_500_000}},
    }
    empty = {"iops": 0, "bw_bytes": 0, "clat_ns": {"percentile": {}}}
    job = {"error": error, "read": empty, "write": empty, direction: side}
    return "note: both jobs\n" + json.dumps({"jobs": [job]})


def test_fio_figures_come_from_the_jobs_direction() -> None:
    figures = parse.fio_figures(_fio_json("write"), "write")
    assert figures == parse.FioFigures(iops=1234.5, mb_per_s=5.056512, p50_us=700, p99_us=2500)


def test_fio_job_error_is_not_a_figure() -> None:
    with pytest.raises(parse.ParseError, match="job error"):
        parse.fio_figures(_fio_json("read", error=5), "read")


def test_suite_record_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    assert suite.last(path) is None
    suite.record(2500.04, collected=434, failed=2, path=path)
    entry = suite.last(path)
    assert entry is not None
    assert entry["seconds"] == 2500.0 and entry["outcome"] == "2 of 434 failed"


def test_readme_gets_the_table_between_its_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{report.README_START}\nold\n{report.README_END}\ntail\n")
    assert report.update_readme(readme, "| new |\n", "bench.png")
    text = readme.read_text()
    assert "old" not in text and "| new |" in text and "![bench plot](bench.png)" in text
    assert text.endswith(f"{report.README_END}\ntail\n")


def test_readme_without_markers_is_left_alone(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# x\n")
    assert not report.update_readme(readme, "| new |\n", "bench.png")
    assert readme.read_text() == "# x\n"
