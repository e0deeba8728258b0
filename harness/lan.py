"""The test network behind the director's Ethernet I/O card: a network namespace "lan" in the
director VM holding the remote host (dropbear, iperf3), one veth per card port, and VLANs 10
and 20 on the first; and the card itself: the kernel gateway xsethgw, configured by its control
plane (python3 -m director ethgw)."""

from __future__ import annotations

from dataclasses import dataclass

from harness import director, modload
from harness.vm import Guest

NETNS = "lan"
IN_LAN = f"ip netns exec {NETNS}"
ETHGW_LOG = "/tmp/ethgw.log"
ETHGW_PID = "/tmp/ethgw.pid"
# What the gateway itself logs: the kernel's messages of xsethgw.
CARD_LOG = "dmesg | grep 'xsethgw: '"
CONFIGFS = "/sys/kernel/config"
# The Ethernet card's gateway; the FC card's (xsfcgw) is harness.san's and may be loaded
# beside it.
GATEWAY = "xsethgw/xsethgw.ko"
VLANS = (10, 20)
# iperf3 serves one client at a time: a test that cuts a stream off uses its own server.
SPARE_IPERF_PORT = 5202


@dataclass(frozen=True)
class LanPort:
    """One card port and the remote host's side of its network."""

    card_port: str  # eth/<n>
    gateway_ifname: str  # the director-side veth the card bridges to
    lan_ifname: str  # the remote host's interface
    subnet: int  # third octet of 198.18.<subnet>.0/24, and 2001:db8:<subnet>::/64

    def remote_ipv4(self, vlan: int | None = None) -> str:
        return f"198.18.{self.subnet + (vlan or 0)}.2"

    def remote_ipv6(self, vlan: int | None = None) -> str:
        return f"2001:db8:{self.subnet + (vlan or 0)}::2"

    def host_ipv4(self, vlan: int | None = None) -> str:
        return f"198.18.{self.subnet + (vlan or 0)}.1"

    def host_ipv6(self, vlan: int | None = None) -> str:
        return f"2001:db8:{self.subnet + (vlan or 0)}::1"


PORTS = (
    LanPort("eth/1", "gw-eth1", "lan1", 100),
    LanPort("eth/2", "gw-eth2", "lan2", 200),
)


def build(guest: Guest) -> None:
    """Create the lan namespace and its remote host, unless it exists."""
    con = guest.console
    if con.run(f"ip netns list | grep -qw {NETNS}", check=False).ok:
        return
    con.run(f"ip netns add {NETNS} && {IN_LAN} ip link set lo up")
    for port in PORTS:
        con.run(f"ip link add {port.gateway_ifname} type veth peer name {port.lan_ifname}")
        con.run(f"ip link set {port.lan_ifname} netns {NETNS}")
        con.run(f"ip link set {port.gateway_ifname} mtu 9000 up")
        lan = port.lan_ifname
        con.run(f"{IN_LAN} ip link set {lan} mtu 9000 up")
        # A card sees frames as a wire carries them: whole, with checksums filled in.
        offloads = "tx off tso off gso off gro off"
        con.run(f"{IN_LAN} ethtool -K {lan} {offloads} >/dev/null")
        con.run(f"ethtool -K {port.gateway_ifname} {offloads} >/dev/null")
        con.run(f"{IN_LAN} ip addr add {port.remote_ipv4()}/24 dev {lan}")
        con.run(f"{IN_LAN} ip -6 addr add {port.remote_ipv6()}/64 dev {lan} nodad")
    first = PORTS[0]
    for vlan in VLANS:
        sub = f"{first.lan_ifname}.{vlan}"
        con.run(f"{IN_LAN} ip link add link {first.lan_ifname} name {sub} type vlan id {vlan}")
        con.run(f"{IN_LAN} ip link set {sub} up")
        con.run(f"{IN_LAN} ip addr add {first.remote_ipv4(vlan)}/24 dev {sub}")
        con.run(f"{IN_LAN} ip -6 addr add {first.remote_ipv6(vlan)}/64 dev {sub} nodad")
    # The remote host: ssh with an empty root password, and iperf3.
    con.run("mkdir -p /etc/dropbear && passwd -d root >/dev/null")
    con.run(f"{IN_LAN} dropbear -R -B -p 22 -P /run/dropbear-lan.pid")
    con.run(f"{IN_LAN} iperf3 -s -D")
    con.run(f"{IN_LAN} iperf3 -s -D -p {SPARE_IPERF_PORT}")


def load_gateway(guest: Guest) -> None:
    """Load the kernel gateway of this guest's kernel unless it is loaded, with configfs."""
    con = guest.console
    con.run(f"mountpoint -q {CONFIGFS} || mount -t configfs none {CONFIGFS}")
    if con.run("[ -d /sys/module/xsethgw ]", check=False).ok:
        return
    release = con.output("uname -r").strip()
    # xsconn, the connection library it links against, first: insmod finds it in the build.
    modload.insmod(guest, release, GATEWAY)


def start_gateway(guest: Guest) -> None:
    """Give each card port its fabric address and start the Ethernet card."""
    con = guest.console
    build(guest)
    load_gateway(guest)
    director.ensure_config(guest, 1)
    director.add_card_addresses(guest, [p.card_port for p in PORTS])
    ports = " ".join(f"--port {p.card_port}={p.gateway_ifname}" for p in PORTS)
    con.run(
        f"{director.GUEST_PYTHON} -m director ethgw --config {director.DIRECTOR_CONFIG} {ports}"
        f" > {ETHGW_LOG} 2>&1 & echo $! > {ETHGW_PID}"
    )
    director.wait_for_start(con, "ethgw ready", ETHGW_LOG)


def stop_gateway(guest: Guest) -> None:
    """Stop the card (its control plane takes the configuration down, the connections close),
    unload the gateway and take its addresses away (its log stays for director.copy_logs)."""
    con = guest.console
    con.run(f"kill $(cat {ETHGW_PID}) && wait $(cat {ETHGW_PID}) 2>/dev/null; true")
    modload.rmmod(guest, GATEWAY)
    director.remove_card_addresses(guest, [p.card_port for p in PORTS])
