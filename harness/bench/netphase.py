"""The network half of a bench run: the transport rows, TCP over the vNIC and routed TCP to
the same remote host (each with both guests' CPU per GB), ping over both, and the guests'
CPU when idle; all of them in every repetition, each repetition rotated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harness.bench import cpu, network, rotation, transport
from harness.bench.plan import Plan
from harness.bench.series import Series, attempt
from harness.fabric import DIRECTOR, Fabric
from harness.vm import Guest

# (key, streams, reverse): tx is host -> remote, rx remote -> host.
TCP_CASES = (("tx_1", 1, False), ("rx_1", 1, True), ("tx_4", 4, False), ("rx_4", 4, True))


@dataclass(frozen=True)
class Item:
    path: tuple[str, ...]
    measure: Callable[[], Mapping[str, float]]


def _guests(fabric: Fabric) -> dict[str, Guest]:
    return {"host": fabric.host, "director": fabric.director}


def tcp(fabric: Fabric, remote: str, streams: int, reverse: bool, plan: Plan) -> dict[str, float]:
    """iperf3's Gbit/s, and each guest's CPU-seconds per GB moved, from a window inside the
    run (after the connections are up, before they close)."""
    window = cpu.Window(delay=1.5, length=max(1.0, plan.tcp_s - 2.5))
    sampler = cpu.Sampler(_guests(fabric), window)
    sampler.start()
    gbps = network.iperf3_gbps(fabric.host, remote, plan.tcp_s, streams=streams, reverse=reverse)
    rates = sampler.rates()
    figures = {"gbps": gbps}
    for name, rate in rates.items():
        figures[f"{name}_cpu"] = rate
        figures[f"{name}_cpu_s_per_gb"] = cpu.per_gb_s(rate, gbps)
    return figures


def ping(fabric: Fabric, remote: str, plan: Plan) -> dict[str, float]:
    latency = network.ping_latency(fabric.host, remote, plan.pings)
    return {"p50_us": latency.p50_us, "p99_us": latency.p99_us}


def idle(fabric: Fabric, plan: Plan) -> dict[str, float]:
    """What the guests spend with no workload: the XSMP links' heartbeats, the director's
    services, the tools' start-up is not in it. Part of every CPU figure."""
    sampler = cpu.Sampler(_guests(fabric), cpu.Window(delay=0.5, length=plan.idle_s))
    sampler.start()
    fabric.host.console.run(f"sleep {plan.idle_s + 1}", timeout=plan.idle_s + 60)
    return {f"{name}_cpu": rate for name, rate in sampler.rates().items()}


def items(fabric: Fabric, plan: Plan, vnic_remote: str, routed_remote: str) -> list[Item]:
    found = [
        Item(
            ("transport", row.name),
            lambda r=row: transport.measure(
                r, fabric.director, fabric.host, DIRECTOR.ip, plan.rdma_s, plan.lat_iterations
            ),
        )
        for row in transport.ROWS
    ]
    for path_name, remote in (("xsvnic", vnic_remote), ("routed", routed_remote)):
        for key, streams, reverse in TCP_CASES:
            found.append(
                Item(
                    ("network", path_name, key),
                    lambda r=remote, s=streams, b=reverse: tcp(fabric, r, s, b, plan),
                )
            )
        found.append(Item(("network", path_name, "ping"), lambda r=remote: ping(fabric, r, plan)))
    found.append(Item(("network", "idle"), lambda: idle(fabric, plan)))
    return found


def run(fabric: Fabric, plan: Plan, series: Series, vnic_remote: str, routed_remote: str) -> None:
    every = items(fabric, plan, vnic_remote, routed_remote)
    for turn, item in rotation.schedule(every, plan.repetitions):
        attempt(series, item.path, item.measure, f"repetition {turn + 1}")
