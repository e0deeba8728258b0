"""Network figures between the guests: iperf3 (over the plain virtio link or a vNIC), perftest
over rxe RC, and ping latency."""

from __future__ import annotations

from harness.bench import parse
from harness.fabric import RXE_DEVICE
from harness.vm import Guest

# The lan namespace's iperf3 servers use 5201/5202; this one listens in the director's own
# namespace, on the fabric link itself.
PLAIN_IPERF_PORT = 5301


def start_plain_iperf_server(director: Guest) -> None:
    director.console.run(f"iperf3 -s -D -p {PLAIN_IPERF_PORT}")


def iperf3_gbps(
    client: Guest,
    server_ip: str,
    seconds: int,
    streams: int = 1,
    reverse: bool = False,
    port: int = 5201,
) -> float:
    """TCP throughput from `client` to the server (reverse: from the server to `client`)."""
    command = f"iperf3 -c {server_ip} -p {port} -t {seconds} -P {streams} -i 0 -J"
    if reverse:
        command += " -R"
    return parse.iperf3_gbps(client.console.output(f"{command} 2>&1", timeout=seconds + 90))


def _perftest(tool: str, options: str, server: Guest, client: Guest, server_ip: str) -> str:
    """Run one perftest pair over rdma_cm; return the client's output."""
    log = f"/tmp/{tool}-server.log"
    common = f"{tool} -d {RXE_DEVICE} -R -F {options}"
    server.console.run(f"{common} > {log} 2>&1 & echo $! > /tmp/{tool}.pid")
    client.console.run("sleep 1")
    out = client.console.output(f"timeout 120 {common} {server_ip} 2>&1", timeout=150)
    server.console.run(f"wait $(cat /tmp/{tool}.pid) 2>/dev/null; true", timeout=60)
    return out


def rxe_bw_gbps(tool: str, server: Guest, client: Guest, server_ip: str, seconds: int) -> float:
    """ib_send_bw or ib_write_bw, 64 KiB messages, for `seconds`."""
    out = _perftest(tool, f"--report_gbits -D {seconds}", server, client, server_ip)
    return parse.perftest_bw_gbps(out)


def rxe_send_latency(
    server: Guest, client: Guest, server_ip: str, iterations: int
) -> parse.Latency:
    """ib_send_lat, 2-byte messages."""
    return parse.perftest_latency(
        _perftest("ib_send_lat", f"-n {iterations}", server, client, server_ip)
    )


def ping_latency(client: Guest, address: str, count: int) -> parse.Latency:
    out = client.console.output(f"ping -c {count} -i 0.02 {address}", timeout=count + 60)
    return parse.ping_latency(out)
