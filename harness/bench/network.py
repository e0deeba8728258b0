"""TCP throughput (iperf3) and ping latency from the host to the remote host in the director
VM's lan namespace, over a vNIC or routed over the fabric link."""

from __future__ import annotations

from harness.bench import parse
from harness.vm import Guest


def iperf3_command(server_ip: str, seconds: int, streams: int, reverse: bool, port: int) -> str:
    command = f"iperf3 -c {server_ip} -p {port} -t {seconds} -P {streams} -i 0 -J"
    return command + (" -R" if reverse else "")


def iperf3_gbps(
    client: Guest,
    server_ip: str,
    seconds: int,
    streams: int = 1,
    reverse: bool = False,
    port: int = 5201,
) -> float:
    """TCP throughput from `client` to the server (reverse: from the server to `client`)."""
    command = iperf3_command(server_ip, seconds, streams, reverse, port)
    return parse.iperf3_gbps(client.console.output(f"{command} 2>&1", timeout=seconds + 90))


def ping_latency(client: Guest, address: str, count: int) -> parse.Latency:
    out = client.console.output(f"ping -c {count} -i 0.02 {address}", timeout=count + 60)
    return parse.ping_latency(out)
