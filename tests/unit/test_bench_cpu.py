"""CPU cost from /proc/stat samples, the lan veths' offloads as ethtool shows them, and the
backends told apart by size."""

from __future__ import annotations

import pytest

from harness.bench import backends, cpu, veths

BEFORE = "cpu  1000 10 500 8000 90 5 45 0 0 0\n1234.50 1100.00\n"
# 2 s later: 60 + 0 + 40 + 0 + 20 busy jiffies (user nice system irq softirq), 80 idle/iowait
AFTER = "cpu  1060 10 540 8070 100 5 65 0 7 0\n1236.50 1101.00\n"


def test_busy_jiffies_exclude_idle_and_iowait() -> None:
    sample = cpu.parse_sample(BEFORE)
    assert sample == cpu.CpuSample(busy_jiffies=1000 + 10 + 500 + 5 + 45, uptime_s=1234.5)


def test_cpu_rate_is_busy_seconds_per_elapsed_second() -> None:
    rate = cpu.cpu_rate(cpu.parse_sample(BEFORE), cpu.parse_sample(AFTER))
    assert rate == pytest.approx(1.2 / 2.0)


def test_rate_over_no_time_is_refused() -> None:
    with pytest.raises(cpu.CpuError):
        cpu.cpu_rate(cpu.parse_sample(AFTER), cpu.parse_sample(BEFORE))


def test_garbage_is_not_a_sample() -> None:
    with pytest.raises(cpu.CpuError):
        cpu.parse_sample("cat: /proc/stat: No such file")


def test_cost_per_io_and_per_gb() -> None:
    # half a CPU at 500 IOPS: 1 ms of CPU per I/O
    assert cpu.per_io_us(0.5, 500) == pytest.approx(1000)
    # half a CPU at 0.4 Gbit/s (0.05 GB/s): 10 CPU-seconds per GB
    assert cpu.per_gb_s(0.5, 0.4) == pytest.approx(10)


ETHTOOL_K = """Features for gw-eth1:
rx-checksumming: on
tx-checksumming: off
\ttx-checksum-ipv4: off [fixed]
scatter-gather: on
\ttx-scatter-gather: on
tcp-segmentation-offload: off
\ttx-tcp-segmentation: off
generic-segmentation-offload: off
generic-receive-offload: on
large-receive-offload: off [fixed]
"""


def test_offloads_are_read_by_their_ethtool_set_names() -> None:
    found = veths.parse_features(ETHTOOL_K)
    assert found == {"tx": False, "sg": True, "tso": False, "gso": False, "gro": True}
    assert veths.ethtool_args(found) == "tx off sg on tso off gso off gro on"


def test_normal_offloads_are_all_on() -> None:
    assert veths.ethtool_args(veths.NORMAL) == "tx on sg on tso on gso on gro on"


def test_backends_are_told_apart_by_size() -> None:
    sizes = {"sdc": backends.NULL_MIB, "sdb": backends.RAMDISK_MIB}
    assert backends.by_size(sizes) == {"brd": "sdb", "null": "sdc"}


def test_a_disk_of_no_backends_size_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="no backend"):
        backends.by_size({"sda": 64})
    with pytest.raises(RuntimeError, match="both"):
        backends.by_size({"sda": backends.RAMDISK_MIB, "sdb": backends.RAMDISK_MIB})
