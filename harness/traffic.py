"""RDMA traffic between the guests, with the data checked end to end."""

from __future__ import annotations

import shlex

from harness.vm import Guest

RPING_PORT = 7174


def rping(server: Guest, client: Guest, server_ip: str, count: int = 20, size: int = 4096) -> int:
    """Move `count` verified RC ping-pongs (RDMA READ and WRITE) of `size` bytes via rdma_cm.

    rping's -V compares every byte received with what was sent; both ends must exit 0, and the
    client must report every iteration. Returns the number of iterations.
    """
    opts = f"-a {shlex.quote(server_ip)} -p {RPING_PORT} -C {count} -S {size} -V -v"
    log = "/tmp/rping-server.log"
    server.console.run(f"rping -s {opts} > {log} 2>&1 & echo $! > /tmp/rping-server.pid")
    client.console.run("sleep 1")
    client_log = "/tmp/rping-client.log"
    client.console.run(f"timeout 120 rping -c {opts} > {client_log} 2>&1", timeout=150)
    server.console.run("wait $(cat /tmp/rping-server.pid) 2>/dev/null; true", timeout=60)
    server_rc = server.console.run(f"grep -q 'server DISCONNECT' {log}", check=False)
    iterations = int(client.console.output(f"grep -c '^ping data: ' {client_log} || true"))
    if iterations != count or not server_rc.ok:
        tail = server.console.output(f"tail -c 2000 {log}")
        raise AssertionError(
            f"rping: client saw {iterations} of {count} verified iterations; server log:\n{tail}"
        )
    return iterations
