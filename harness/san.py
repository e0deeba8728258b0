"""The storage behind the director's FC I/O card: the card itself (python3 -m director fcgw),
its targets and their file-backed LUNs, as the operator CLI configures them."""

from __future__ import annotations

from director.config import fabric_address, io_port_guid
from harness import director
from harness.vm import Guest

FCGW_LOG = "/tmp/fcgw.log"
FCGW_PID = "/tmp/fcgw.pid"
LUN_DIR = "/var/lib/xsigo-director/luns"
PORTS = ("fc/1", "fc/2")


def card_address(guest: Guest, port: str) -> str:
    """Where the card's `port` listens: the fabric prefix and the port's I/O GUID."""
    guid = io_port_guid(int(director.node_guid(guest), 16), port)
    return fabric_address(director.FABRIC_PREFIX, guid)


def start_card(guest: Guest) -> None:
    """Give each FC port its fabric address and start the FC card."""
    con = guest.console
    director.ensure_config(guest, 1)
    for port in PORTS:
        address = card_address(guest, port)
        con.run(f"ip -6 addr replace {address}/64 dev $(cat /run/xs-fabric-ifname) nodad")
    ports = " ".join(f"--port {p}" for p in PORTS)
    con.run(
        f"{director.GUEST_PYTHON} -m director fcgw --config {director.DIRECTOR_CONFIG} {ports}"
        f" --lun-dir {LUN_DIR} > {FCGW_LOG} 2>&1 & echo $! > {FCGW_PID}"
    )
    director.wait_for_start(con, "fcgw ready", FCGW_LOG)


def stop_card(guest: Guest) -> str:
    """Stop the card and take its addresses away; return what it logged."""
    con = guest.console
    con.run(f"kill $(cat {FCGW_PID}) && wait $(cat {FCGW_PID}) 2>/dev/null; true")
    for port in PORTS:
        address = card_address(guest, port)
        con.run(f"ip -6 addr del {address}/64 dev $(cat /run/xs-fabric-ifname)", check=False)
    return con.output(f"cat {FCGW_LOG}")
