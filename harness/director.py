"""Run the software director (director/) in the director VM and read the guests' RDMA identity."""

from __future__ import annotations

from harness.fabric import RXE_DEVICE
from harness.vm import Guest

GIDS = f"/sys/class/infiniband/{RXE_DEVICE}/ports/1/gids"
GUEST_PYTHON = "cd /mnt/xs && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/mnt/xs python3"
FABRIC_LOG = "/tmp/fabric.log"
FABRIC_PID = "/tmp/fabric.pid"


def ipv6_gid(guest: Guest) -> tuple[int, str]:
    """Index and text of the guest's 2001:db8:: GID (IPv4-mapped GIDs cannot carry GSI
    request/response pairs: see docs/wire-deviations.md)."""
    path = guest.console.output(f"grep -l '^2001:0db8' {GIDS}/*").strip()
    return int(path.rsplit("/", 1)[1]), guest.console.output(f"cat {path}").strip()


def node_guid(guest: Guest) -> str:
    """The guest's rxe node GUID as 16 hex digits."""
    out = guest.console.output(f"cat /sys/class/infiniband/{RXE_DEVICE}/node_guid")
    return out.strip().replace(":", "")


def start_fabric_services(director: Guest, mangle: str | None = None) -> str:
    """Start the fabric services (XDS, SA role) in the background; return the GID they serve.
    With `mangle`, every answer is broken that way (director/fabric_services.py MANGLES)."""
    con = director.console
    con.run("modprobe ib_umad")
    index, gid = ipv6_gid(director)
    con.run(
        f"{GUEST_PYTHON} -m director fabric --gid-index {index}"
        f"{f' --mangle {mangle}' if mangle else ''} > {FABRIC_LOG} 2>&1 & "
        f"echo $! > {FABRIC_PID}"
    )
    ready = f"grep -q 'fabric services on' {FABRIC_LOG}"
    con.run(f"for i in $(seq 50); do {ready} && break; sleep 0.2; done; {ready}")
    return gid


def stop_fabric_services(director: Guest) -> str:
    """Stop them; return what they logged."""
    director.console.run(f"kill $(cat {FABRIC_PID}) && wait $(cat {FABRIC_PID}) 2>/dev/null; true")
    return director.console.output(f"cat {FABRIC_LOG}")
