"""A perftest pair over rdma_cm whose connection failed runs again; other failures do not."""

from __future__ import annotations

from typing import Any

import pytest

from harness.bench import transport
from harness.console import CommandFailed, Result

ROW = """
 #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]   99% percentile[usec]   99.9% percentile[usec]
 64      1000          180.21         2210.80      251.33             270.12         60.04           540.77                  2210.80
"""  # noqa: E501 - perftest's own line


class FakeConsole:
    """Every command succeeds, but the perftest clients answer from `clients` in turn."""

    def __init__(self, clients: list[Result] | None = None) -> None:
        self.clients = clients or []
        self.commands: list[str] = []

    def run(self, command: str, timeout: float = 0, check: bool = True) -> Result:
        self.commands.append(command)
        if command.startswith("timeout") and "198.18.0.2" in command:
            return self.clients.pop(0)
        return Result(command, 0, "")

    def wait_until(self, condition: str, timeout: float, interval: float = 0.5) -> bool:
        return True


class FakeGuest:
    def __init__(self, name: str, console: FakeConsole) -> None:
        self.name = name
        self.console = console


def _pair(*clients: Result) -> tuple[Any, Any]:
    return FakeGuest("director", FakeConsole()), FakeGuest("host", FakeConsole(list(clients)))


REJECTED = Result("client", 139, "RDMA CM event error:\nEvent: RDMA_CM_EVENT_REJECTED; error: 8.")
ROW_OK = Result("client", 0, ROW)
BW_OK = Result(
    "client",
    0,
    " #bytes     #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]\n"
    " 65536      2790             0.00               0.59   		   0.001122\n",
)
LATENCY = transport.ROWS[0]


def test_a_rejected_connection_is_tried_again() -> None:
    server, client = _pair(REJECTED, ROW_OK)
    figures = transport.measure(LATENCY, server, client, "198.18.0.2", 2, 100)
    assert figures == {"p50_us": 251.33, "p99_us": 540.77}
    starts = [c for c in server.console.commands if c.startswith("timeout 200 ib_send_lat")]
    assert len(starts) == 2


def test_each_row_has_its_own_port() -> None:
    ports = set()
    for row in transport.ROWS:
        server, client = _pair(ROW_OK if row.is_latency else BW_OK)
        transport.measure(row, server, client, "198.18.0.2", 2, 100)
        start = next(c for c in server.console.commands if c.startswith("timeout 200"))
        ports.add(start.split(" -p ")[1].split()[0])
    assert len(ports) == len(transport.ROWS)


def test_a_hung_client_is_tried_again_until_the_last_attempt() -> None:
    hung = Result("client", 124, "")
    server, client = _pair(*[hung] * transport.ATTEMPTS)
    with pytest.raises(CommandFailed):
        transport.measure(LATENCY, server, client, "198.18.0.2", 2, 100)
    assert not client.console.clients


def test_other_failures_are_not_tried_again() -> None:
    broken = Result("client", 1, "Couldn't allocate MR")
    server, client = _pair(broken, ROW_OK)
    with pytest.raises(CommandFailed, match="allocate MR"):
        transport.measure(LATENCY, server, client, "198.18.0.2", 2, 100)
    assert client.console.clients == [ROW_OK]
