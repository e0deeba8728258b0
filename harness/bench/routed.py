"""Plain TCP to the same remote host as the vNIC's, routed over the same fabric link: the host
sends to the director's address on the link, the director forwards into the lan namespace
over a veth pair with the card ports' settings. What the vNIC is measured against."""

from __future__ import annotations

from harness import lan
from harness.bench import veths
from harness.fabric import DIRECTOR, HOST
from harness.vm import Guest

GATEWAY_IFNAME = "gw-route"
REMOTE_IFNAME = "lan-route"
SUBNET = "198.18.50"
GATEWAY_IP = f"{SUBNET}.1"
REMOTE_IP = f"{SUBNET}.2"


def build(director: Guest, host: Guest) -> str:
    """Make the routed path (the lan namespace must exist); return the remote host's address
    on it."""
    con = director.console
    con.run(f"ip link add {GATEWAY_IFNAME} type veth peer name {REMOTE_IFNAME}")
    con.run(f"ip link set {REMOTE_IFNAME} netns {lan.NETNS}")
    veths.copy_settings(director, lan.PORTS[0], GATEWAY_IFNAME, REMOTE_IFNAME)
    con.run(f"ip addr add {GATEWAY_IP}/24 dev {GATEWAY_IFNAME} && ip link set {GATEWAY_IFNAME} up")
    con.run(f"{lan.IN_LAN} ip addr add {REMOTE_IP}/24 dev {REMOTE_IFNAME}")
    con.run(f"{lan.IN_LAN} ip link set {REMOTE_IFNAME} up")
    fabric_subnet = HOST.ipv4.rsplit(".", 1)[0] + ".0/24"
    con.run(f"{lan.IN_LAN} ip route replace {fabric_subnet} via {GATEWAY_IP}")
    con.run("sysctl -qw net.ipv4.ip_forward=1")
    host.console.run(f"ip route replace {SUBNET}.0/24 via {DIRECTOR.ip}")
    return REMOTE_IP
