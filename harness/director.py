"""Run the software director (director/) in the director VM and read the guests' RDMA identity."""

from __future__ import annotations

from collections.abc import Sequence

from harness.fabric import RXE_DEVICE
from harness.vm import Guest

GIDS = f"/sys/class/infiniband/{RXE_DEVICE}/ports/1/gids"
GUEST_PYTHON = "cd /mnt/xs && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/mnt/xs python3"
FABRIC_LOG = "/tmp/fabric.log"
FABRIC_PID = "/tmp/fabric.pid"


def ipv6_gid(guest: Guest) -> tuple[int, str]:
    """Index and text of the guest's 2001:db8:: GID (IPv4-mapped GIDs cannot carry GSI
    request/response pairs: see docs/wire-deviations.md)."""
    # the lowest index: the address the harness gave the NIC, not one a test added later
    path = guest.console.output(f"grep -l '^2001:0db8' {GIDS}/* | head -n 1").strip()
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


XCM_LOG = "/tmp/xcm.log"
XCM_PID = "/tmp/xcm.pid"
FABRIC_PREFIX = "2001:db8::"


def eui64_address(guest: Guest) -> str:
    """The fabric-prefix IPv6 address whose interface ID is the guest's node GUID: where a host
    finds an XCM from the GUID the XDS names (the original built the XCM's GID the same way)."""
    guid = node_guid(guest)
    return FABRIC_PREFIX + ":".join(guid[i : i + 4] for i in range(0, 16, 4))


def start_xcm(director: Guest, hello_interval: int, fuzz: Sequence[str] = ()) -> str:
    """Start the XCM on the director's EUI-64 address; return that address. With `fuzz`, it
    sends each host those malformed messages once (director/xsmp_fuzz.py)."""
    con = director.console
    address = eui64_address(director)
    fuzz_args = "".join(f" --fuzz {kind}" for kind in fuzz)
    con.run(f"ip -6 addr replace {address}/64 dev $(cat /run/xs-fabric-ifname) nodad")
    con.run(
        f"{GUEST_PYTHON} -m director xcm --address {address} --hello-interval {hello_interval}"
        f"{fuzz_args} > {XCM_LOG} 2>&1 & echo $! > {XCM_PID}"
    )
    ready = f"grep -q 'xcm ready' {XCM_LOG}"
    con.run(f"for i in $(seq 100); do {ready} && break; sleep 0.2; done; {ready} || cat {XCM_LOG}")
    con.run(ready)
    return address


def signal_xcm(director: Guest, signal: str) -> None:
    """Send the XCM a signal: STOP freezes it without closing its connections, CONT thaws it."""
    director.console.run(f"kill -{signal} $(cat {XCM_PID})")


def stop_xcm(director: Guest) -> str:
    """Stop the XCM and take its address away again; return what it logged."""
    con = director.console
    con.run(f"kill $(cat {XCM_PID}) && wait $(cat {XCM_PID}) 2>/dev/null; true")
    con.run(f"ip -6 addr del {eui64_address(director)}/64 dev $(cat /run/xs-fabric-ifname)")
    return con.output(f"cat {XCM_LOG}")
