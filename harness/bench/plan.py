"""How much a bench run measures: how many repetitions, and how long each measurement runs.
`FULL` gives the published figures (about 40 minutes on this machine); `QUICK` one short
repetition, to try the bench out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    repetitions: int
    tcp_s: int  # each iperf3 run
    rdma_s: int  # each perftest bandwidth run
    fio_s: int  # each fio job, after its ramp
    pings: int
    lat_iterations: int  # each perftest latency run
    idle_s: int  # the guests' CPU with nothing running


FULL = Plan(repetitions=5, tcp_s=5, rdma_s=3, fio_s=5, pings=200, lat_iterations=1000, idle_s=5)
QUICK = Plan(repetitions=1, tcp_s=3, rdma_s=2, fio_s=3, pings=20, lat_iterations=100, idle_s=2)
