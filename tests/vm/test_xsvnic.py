"""A vNIC is a true Linux NIC: the XCM installs it, xsvnic makes it a net_device connected to
the director's Ethernet card, and the host reaches the remote host behind that card with
ping, ping6, VLANs, ssh/scp and iperf3; the card's link state shows as carrier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import director, lan, modload
from harness.fabric import Fabric
from harness.links import links, wait_for_state
from harness.modules import Build

HELLO_INTERVAL = 1
UP_WITHIN = 90.0
SERVER = "host"
VNIC = "xsvnic0"
VNIC_MAC = "52:54:00:0a:00:02"
VNIC_MTU = 9000
PORT = lan.PORTS[0]
SECOND_VNIC = "xsvnic1"
SECOND_PORT = lan.PORTS[1]
CARRIER_WITHIN = 15.0


def diagnostics(fabric: Fabric) -> str:
    host = fabric.host.console.output(
        f"dmesg | grep -E 'xscore|xsvnic' | tail -n 20; ip -s link show {VNIC} 2>&1 | head -n 12"
    )
    card = fabric.director.console.output(f"tail -n 30 {lan.ETHGW_LOG}")
    return f"host:\n{host}\ncard:\n{card}"


def wait_for_interface(fabric: Fabric, name: str, present: bool = True) -> bool:
    test = f"[ -e /sys/class/net/{name} ]"
    return fabric.host.console.wait_until(test if present else f"! {test}", 45)


def wait_for_carrier(fabric: Fabric, name: str, on: bool) -> bool:
    want = 1 if on else 0
    return fabric.host.console.wait_until(
        f'[ "$(cat /sys/class/net/{name}/carrier 2>/dev/null)" = {want} ]', CARRIER_WITHIN
    )


@pytest.fixture(scope="module")
def vnic(fabric: Fabric, module_build: Build, fabric_services: str) -> Iterator[str]:
    """xsvnic0 on card port eth/1, up, with addresses on the remote host's subnet."""
    lan.start_gateway(fabric.director)
    director.start_xcm(fabric.director, HELLO_INTERVAL)
    modload.load_product(fabric.host, module_build.release, f"xds_gid={fabric_services}")
    con = fabric.host.console
    try:
        assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
        director.ctl(
            fabric.director,
            f"add-vnic {SERVER} {VNIC} --mac {VNIC_MAC} --mtu {VNIC_MTU} --port {PORT.card_port}",
        )
        assert wait_for_interface(fabric, VNIC), diagnostics(fabric)
        con.run(f"ip link set {VNIC} up")
        con.run(f"ip addr add {PORT.host_ipv4()}/24 dev {VNIC}")
        con.run(f"ip -6 addr add {PORT.host_ipv6()}/64 dev {VNIC} nodad")
        assert wait_for_carrier(fabric, VNIC, True), diagnostics(fabric)
        yield VNIC
    finally:
        director.ctl(fabric.director, f"delete {SERVER} {VNIC} || true")
        director.ctl(fabric.director, f"delete {SERVER} {SECOND_VNIC} || true")
        wait_for_interface(fabric, VNIC, present=False)
        modload.unload_product(fabric.host)
        director.stop_xcm(fabric.director)
        lan.stop_gateway(fabric.director)


def test_vnic_has_the_installed_mac_and_mtu(fabric: Fabric, vnic: str) -> None:
    out = fabric.host.console.output(f"ifconfig {vnic}")
    assert VNIC_MAC in out.lower(), out
    assert f"mtu {VNIC_MTU}" in out, out
    info = fabric.host.console.output(f"ethtool -i {vnic}")
    assert "driver: xsvnic" in info, info


def test_ping_and_ping6_reach_the_remote_host(fabric: Fabric, vnic: str) -> None:
    con = fabric.host.console
    ping = con.run(f"ping -c 3 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
    assert ping.ok, ping.output + diagnostics(fabric)
    ping6 = con.run(f"ping -6 -c 3 -W 5 {PORT.remote_ipv6()}", check=False, timeout=60)
    assert ping6.ok, ping6.output + diagnostics(fabric)
