"""The transport's floor and ceiling: perftest between the two VMs over rxe RC (rdma_cm), the
same link every contender uses. Latency rows are the floor of a round trip of that size;
bandwidth rows the ceiling of what a protocol over RC can move."""

from __future__ import annotations

from dataclasses import dataclass

from harness.bench import parse
from harness.console import CommandFailed, Result
from harness.fabric import RXE_DEVICE
from harness.vm import Guest


@dataclass(frozen=True)
class PerftestRow:
    name: str
    tool: str
    options: str

    @property
    def is_latency(self) -> bool:
        return self.tool.endswith("_lat")


ROWS = (
    PerftestRow("ib_send_lat 64 B", "ib_send_lat", "-s 64"),
    PerftestRow("ib_write_lat 4 KiB", "ib_write_lat", "-s 4096"),
    PerftestRow("ib_read_lat 4 KiB", "ib_read_lat", "-s 4096"),
    PerftestRow("ib_write_bw 4 KiB, 32 outstanding", "ib_write_bw", "-s 4096 -t 32"),
    PerftestRow("ib_write_bw 1 MiB", "ib_write_bw", "-s 1048576"),
    PerftestRow("ib_send_bw 64 KiB", "ib_send_bw", "-s 65536"),
)
SEND_BW_64K = "ib_send_bw 64 KiB"
SEND_LAT_64 = "ib_send_lat 64 B"
# Each row its own rdma_cm port: a row that reused the port of the one before it was rejected
# (no listener) for about a minute, though its own server listened.
FIRST_PORT = 18515


# A client rejected for want of a listener, or one that hangs (timeout's 124): rdma_cm
# perftest connects more than once, and on a loaded machine a client can overtake the
# server's listen. Connection set-up is not what a row measures, so the pair runs again.
ATTEMPTS = 3
RETRY_ON = ("RDMA_CM_EVENT_REJECTED",)
CLIENT_TIMEOUT_S = 90


def _perftest(tool: str, options: str, server: Guest, client: Guest, server_ip: str) -> str:
    """Run one perftest pair over rdma_cm; return the client's output. The client starts once
    the server's rdma_cm ID listens; a pair whose connection failed runs again."""
    for attempt in range(1, ATTEMPTS + 1):
        result = _perftest_once(tool, options, server, client, server_ip)
        if result.ok:
            return result.output
        again = result.status == 124 or any(word in result.output for word in RETRY_ON)
        if not again or attempt == ATTEMPTS:
            raise CommandFailed(client.name, result)
        client.console.run("sleep 1")
    raise AssertionError("unreachable")


def _perftest_once(tool: str, options: str, server: Guest, client: Guest, server_ip: str) -> Result:
    log = f"/tmp/{tool}-server.log"
    pid = f"/tmp/{tool}.pid"
    common = f"{tool} -d {RXE_DEVICE} -R -F {options}"
    con = server.console
    con.run(f"timeout 200 {common} > {log} 2>&1 & echo $! > {pid}")
    if not con.wait_until(f"rdma res show cm_id | grep -q 'state LISTEN.*comm {tool}'", 60):
        con.run(f"kill $(cat {pid}) 2>/dev/null; cat {log}; false")
    try:
        return client.console.run(
            f"timeout {CLIENT_TIMEOUT_S} {common} {server_ip} 2>&1",
            timeout=CLIENT_TIMEOUT_S + 30,
            check=False,
        )
    finally:
        # The server ends with its client; one left waiting (its client failed) is stopped, so
        # that the next run finds the port free.
        if not con.wait_until(f"! kill -0 $(cat {pid}) 2>/dev/null", 30):
            con.run(f"kill $(cat {pid}) 2>/dev/null; true")
        con.run(f"wait $(cat {pid}) 2>/dev/null; true", timeout=60)


def measure(
    row: PerftestRow,
    server: Guest,
    client: Guest,
    server_ip: str,
    seconds: int,
    iterations: int,
) -> dict[str, float]:
    """A latency row's p50 and p99 (µs; perftest reports half a round trip for send and
    write, a whole one for read), or a bandwidth row's Gbit/s, MB/s and messages/s."""
    options = f"{row.options} -p {FIRST_PORT + ROWS.index(row)}"
    if row.is_latency:
        out = _perftest(row.tool, f"{options} -n {iterations}", server, client, server_ip)
        latency = parse.perftest_latency(out)
        return {"p50_us": latency.p50_us, "p99_us": latency.p99_us}
    out = _perftest(row.tool, f"{options} --report_gbits -D {seconds}", server, client, server_ip)
    bw = parse.perftest_bw(out)
    return {"gbps": bw.gbps, "mb_per_s": bw.gbps * 125, "msg_per_s": bw.msg_per_s}
