"""The lan veths' settings: which offloads they have, giving them their normal ones back when
the director's Ethernet card can take them, and copying them onto another veth so that routed
TCP crosses the same kind of link as the vNIC's frames.

The Python card (director/ethgw.py) reads frames through a packet socket and forwards them as
they come: a 64 KiB GSO frame or one with its checksum left to offload would reach the host
as it is, so harness/lan.py turns the offloads off for it. A card in the kernel takes GSO
frames, and then the veths keep the offloads a veth has by default.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness import lan
from harness.vm import Guest

# `ethtool -k` names -> `ethtool -K` names, for the offloads harness/lan.py turns off.
FEATURES = {
    "tx-checksumming": "tx",
    "scatter-gather": "sg",
    "tcp-segmentation-offload": "tso",
    "generic-segmentation-offload": "gso",
    "generic-receive-offload": "gro",
}
NORMAL = {short: True for short in FEATURES.values()}


def parse_features(text: str) -> dict[str, bool]:
    """The offloads of FEATURES as `ethtool -k` shows them ("name: on", "name: off [fixed]"),
    by their `ethtool -K` names."""
    found: dict[str, bool] = {}
    for line in text.splitlines():
        name, _, state = line.strip().partition(":")
        if name in FEATURES and state.split():
            found[FEATURES[name]] = state.split()[0] == "on"
    return found


def ethtool_args(features: Mapping[str, bool]) -> str:
    """`ethtool -K` arguments that set `features`."""
    return " ".join(f"{name} {'on' if on else 'off'}" for name, on in features.items())


def describe(features: Mapping[str, bool]) -> str:
    return ", ".join(f"{name} {'on' if on else 'off'}" for name, on in features.items())


def card_in_kernel(director: Guest, card: str) -> bool:
    """Whether a kernel module whose name holds `card` ("ethgw", "fcgw") is loaded in the
    director VM: the card in the kernel, rather than the Python one."""
    return director.console.run(f"grep -q '^[^ ]*{card}' /proc/modules", check=False).ok


def features(director: Guest, ifname: str, netns: str | None = None) -> dict[str, bool]:
    prefix = f"ip netns exec {netns} " if netns else ""
    return parse_features(director.console.output(f"{prefix}ethtool -k {ifname}"))


def set_features(
    director: Guest, ifname: str, wanted: Mapping[str, bool], netns: str | None = None
) -> None:
    prefix = f"ip netns exec {netns} " if netns else ""
    director.console.run(f"{prefix}ethtool -K {ifname} {ethtool_args(wanted)} >/dev/null")


def restore_offloads(director: Guest) -> None:
    """Both ends of every card port's veth get a veth's default offloads back."""
    for port in lan.PORTS:
        set_features(director, port.gateway_ifname, NORMAL)
        set_features(director, port.lan_ifname, NORMAL, lan.NETNS)


def copy_settings(director: Guest, template: lan.LanPort, gateway: str, remote: str) -> None:
    """Give the veth pair (gateway, remote in the lan namespace) the MTU and offloads of the
    card port `template`'s pair."""
    con = director.console
    mtu = con.output(f"cat /sys/class/net/{template.gateway_ifname}/mtu").strip()
    con.run(f"ip link set {gateway} mtu {mtu}")
    con.run(f"{lan.IN_LAN} ip link set {remote} mtu {mtu}")
    set_features(director, gateway, features(director, template.gateway_ifname))
    set_features(director, remote, features(director, template.lan_ifname, lan.NETNS), lan.NETNS)
