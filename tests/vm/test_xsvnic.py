"""A vNIC is a true Linux NIC: the XCM installs it, xsvnic makes it a net_device connected to
the director's Ethernet card, and the host reaches the remote host behind that card with
ping, ping6, VLANs, ssh/scp and iperf3; the card's link state shows as carrier."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from director.ethgw import port_dirname
from harness import director, fuzz, lan, modload, tracefs
from harness.director import GUEST_PYTHON
from harness.fabric import Fabric
from harness.links import links, wait_for_state
from harness.modules import Build
from xsfuzz.catalog import KINDS
from xsfuzz.kind import Kind, Target, of_target
from xswire.xsvnic import XSVNIC_NACK_DUP_NAME, XSVNIC_NACK_INVALID, XSVNIC_NACK_LIMIT
from xswire.xsvnic_card import XSVNIC_TSO_BUF_SIZE

HELLO_INTERVAL = 1
UP_WITHIN = 90.0
SERVER = "host"
VNIC = "xsvnic0"
VNIC_MAC = "52:54:00:0a:00:02"
VNIC_MTU = 9000
VNIC_RESOURCE_ID = 0x2001
PORT = lan.PORTS[0]
SECOND_VNIC = "xsvnic1"
SECOND_PORT = lan.PORTS[1]
CARRIER_WITHIN = 15.0
RECONNECT_WITHIN = 45.0
UNJOINED_GROUP = "239.1.2.3"


def diagnostics(fabric: Fabric) -> str:
    host = fabric.host.console.output(
        f"dmesg | grep -E 'xscore|xsvnic' | tail -n 20; ip -s link show {VNIC} 2>&1 | head -n 12"
    )
    card = fabric.director.console.output(
        f"tail -n 10 {lan.ETHGW_LOG}; {lan.CARD_LOG} | tail -n 30;"
        " cat /sys/kernel/config/xsethgw/*/vnics/*/stats 2>&1 | grep -v ' 0$'"
    )
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
            f"add-vnic {SERVER} {VNIC} --mac {VNIC_MAC} --mtu {VNIC_MTU} --port {PORT.card_port}"
            f" --resource-id {VNIC_RESOURCE_ID:#x}",
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
    assert "cleared" in director.ctl(fabric.director, f"stats {SERVER} {VNIC} --clear")
    ping = con.run(f"ping -c 3 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
    assert ping.ok, ping.output + diagnostics(fabric)
    ping6 = con.run(f"ping -6 -c 3 -W 5 {PORT.remote_ipv6()}", check=False, timeout=60)
    assert ping6.ok, ping6.output + diagnostics(fabric)
    # The director asks the host for the vNIC's counters (STATS): they moved with the pings.
    counters = json.loads(director.ctl(fabric.director, f"stats {SERVER} {VNIC} --json"))
    assert counters["tx_packets"] >= 6 and counters["rx_packets"] >= 6, counters
    assert counters["tx_bytes"] >= 6 * 84 and counters["tx_errors"] == 0, counters


def test_ethtool_shows_driver_speed_rings_and_counters(fabric: Fabric, vnic: str) -> None:
    con = fabric.host.console
    assert "Speed: 10000Mb/s" in con.output(f"ethtool {vnic}")
    rings = con.output(f"ethtool -g {vnic}")
    assert "RX:\t\t128" in rings or "RX:\t\t\t128" in rings, rings
    stats = con.output(f"ethtool -S {vnic}")
    received = int(stats.split("ctrl_msgs_in:")[1].split()[0])
    assert received >= 1, stats  # START_RX_RESPONSE at least
    # Idle, the vNIC still tells the card it lives: HEART_BEAT every 2 s.
    sent = int(stats.split("ctrl_msgs_out:")[1].split()[0])
    con.run("sleep 5")
    later = con.output(f"ethtool -S {vnic}")
    assert int(later.split("ctrl_msgs_out:")[1].split()[0]) >= sent + 2, later
    features = con.output(f"ethtool -k {vnic}")
    assert "scatter-gather: on" in features, features


def ethtool_stat(fabric: Fabric, vnic: str, name: str) -> int:
    stats = fabric.host.console.output(f"ethtool -S {vnic}")
    return int(stats.split(f"{name}:")[1].split()[0])


SSH_KEY = "/tmp/id_xs"
SSH_OPTS = (
    f"-i {SSH_KEY} -o BatchMode=yes -o StrictHostKeyChecking=no"
    " -o UserKnownHostsFile=/dev/null -o ConnectTimeout=20"
)


def authorize_ssh(fabric: Fabric) -> str:
    """Let the host's root log in to the remote host by key; the ssh target."""
    host, remote = fabric.host.console, fabric.director.console
    host.run(f"[ -f {SSH_KEY} ] || ssh-keygen -q -t ed25519 -N '' -f {SSH_KEY}")
    key = host.output(f"cat {SSH_KEY}.pub").strip()
    remote.run(f"mkdir -p /root/.ssh && echo '{key}' > /root/.ssh/authorized_keys")
    return f"root@{PORT.remote_ipv4()}"


def test_vlans_from_vconfig_and_ip_link_reach_the_remote_vlans(fabric: Fabric, vnic: str) -> None:
    con = fabric.host.console
    ten, twenty = lan.VLANS
    con.run(f"vconfig add {vnic} {ten}")
    con.run(f"ip link add link {vnic} name {vnic}.{twenty} type vlan id {twenty}")
    try:
        for vlan in (ten, twenty):
            con.run(f"ip link set {vnic}.{vlan} up")
            con.run(f"ip addr add {PORT.host_ipv4(vlan)}/24 dev {vnic}.{vlan}")
        for vlan in (ten, twenty):
            ping = con.run(f"ping -c 2 -W 5 {PORT.remote_ipv4(vlan)}", check=False, timeout=60)
            assert ping.ok, f"VLAN {vlan}:\n{ping.output}{diagnostics(fabric)}"
        untagged = con.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
        assert untagged.ok, untagged.output
        card = fabric.director.console.output(f"{lan.CARD_LOG} | grep VLANs | tail -n 1")
        assert f"{ten}, {twenty}]" in card, card
    finally:
        con.run(f"vconfig rem {vnic}.{ten}", check=False)
        con.run(f"ip link del {vnic}.{twenty}", check=False)
    # The card is told; VID 0 (priority tags) stays while the interface is up.
    assert fabric.director.console.wait_until(
        f"{lan.CARD_LOG} | grep VLANs | tail -n 1 | grep -q 'VLANs \\[0\\]'", 15
    ), diagnostics(fabric)


def test_large_ping_with_df_fits_the_changed_mtu(fabric: Fabric, vnic: str) -> None:
    con = fabric.host.console
    remote = PORT.remote_ipv4()
    try:
        con.run(f"ip link set {vnic} mtu 4000")
        fits = con.run(f"ping -M do -s 3972 -c 2 -W 5 {remote}", check=False, timeout=60)
        assert fits.ok, fits.output + diagnostics(fabric)
        too_big = con.run(f"ping -M do -s 3973 -c 1 -W 2 {remote}", check=False, timeout=30)
        assert not too_big.ok, too_big.output
        # Above the installed MTU is refused.
        assert not con.run(f"ip link set {vnic} mtu {VNIC_MTU + 1}", check=False).ok
    finally:
        con.run(f"ip link set {vnic} mtu {VNIC_MTU}")
    jumbo = con.run(f"ping -M do -s 8972 -c 2 -W 5 {remote}", check=False, timeout=60)
    assert jumbo.ok, jumbo.output + diagnostics(fabric)


def test_ifconfig_alone_sets_address_netmask_mtu_and_state(fabric: Fabric, vnic: str) -> None:
    """The seed's commands, literally: net-tools' ioctls (SIOCSIFADDR, SIOCSIFNETMASK,
    SIOCSIFFLAGS, SIOCSIFMTU), not netlink."""
    con = fabric.host.console
    remote = PORT.remote_ipv4()
    try:
        con.run(f"ifconfig {vnic} down")
        assert "UP" not in con.output(f"ifconfig {vnic} | head -n 1")
        con.run(f"ip -4 addr flush dev {vnic}")
        con.run(f"ifconfig {vnic} {PORT.host_ipv4()} netmask 255.255.255.0 up")
        con.run(f"ifconfig {vnic} mtu 4000")
        shown = con.output(f"ifconfig {vnic}")
        assert f"inet {PORT.host_ipv4()}  netmask 255.255.255.0" in shown, shown
        assert "mtu 4000" in shown and "UP" in shown, shown
        assert wait_for_carrier(fabric, vnic, True), diagnostics(fabric)
        fits = con.run(f"ping -M do -s 3972 -c 2 -W 5 {remote}", check=False, timeout=60)
        assert fits.ok, fits.output + diagnostics(fabric)
        assert not con.run(f"ifconfig {vnic} mtu {VNIC_MTU + 1}", check=False).ok
    finally:
        con.run(f"ifconfig {vnic} mtu {VNIC_MTU} up")
        # Down removed the IPv6 addresses; the later tests use the one the fixture gave.
        con.run(f"ip -6 addr add {PORT.host_ipv6()}/64 dev {vnic} nodad", check=False)
    assert wait_for_carrier(fabric, vnic, True), diagnostics(fabric)
    ping = con.run(f"ping -c 2 -W 5 {remote}", check=False, timeout=60)
    assert ping.ok, ping.output + diagnostics(fabric)


def test_scp_of_16_mib_both_ways_keeps_the_bytes(fabric: Fabric, vnic: str) -> None:
    host, remote = fabric.host.console, fabric.director.console
    target = authorize_ssh(fabric)
    assert "lan1" in host.output(f"ssh {SSH_OPTS} {target} ip -o link show lan1", timeout=120)
    host.run("head -c 16M /dev/urandom > /tmp/up.bin")
    gathered = ethtool_stat(fabric, vnic, "tx_gathered")
    host.run(f"scp -O -q {SSH_OPTS} /tmp/up.bin {target}:/tmp/up.bin", timeout=600)
    sent = host.output("sha256sum < /tmp/up.bin").split()[0]
    assert remote.output("sha256sum < /tmp/up.bin").split()[0] == sent
    # 16 MiB in sends of at most a TCP segment of 64 KiB (TSO), every one from the skbs' own
    # memory.
    sends = 16 * 2**20 // XSVNIC_TSO_BUF_SIZE
    assert ethtool_stat(fabric, vnic, "tx_gathered") >= gathered + sends
    remote.run("head -c 16M /dev/urandom > /tmp/down.bin")
    host.run(f"scp -O -q {SSH_OPTS} {target}:/tmp/down.bin /tmp/down.bin", timeout=600)
    got = host.output("sha256sum < /tmp/down.bin").split()[0]
    assert remote.output("sha256sum < /tmp/down.bin").split()[0] == got
    host.run("rm -f /tmp/up.bin /tmp/down.bin")
    remote.run("rm -f /tmp/up.bin /tmp/down.bin")


def test_upload_with_scatter_gather_off_keeps_the_bytes(fabric: Fabric, vnic: str) -> None:
    """With SG off the stack hands over linear frames; they still go out whole."""
    host, remote = fabric.host.console, fabric.director.console
    target = authorize_ssh(fabric)
    host.run(f"ethtool -K {vnic} sg off")
    try:
        assert "scatter-gather: off" in host.output(f"ethtool -k {vnic}")
        host.run("head -c 4M /dev/urandom > /tmp/linear.bin")
        host.run(f"ssh {SSH_OPTS} {target} 'cat > /tmp/linear.bin' < /tmp/linear.bin", timeout=300)
        sent = host.output("sha256sum < /tmp/linear.bin").split()[0]
        assert remote.output("sha256sum < /tmp/linear.bin").split()[0] == sent
    finally:
        host.run(f"ethtool -K {vnic} sg on")
        host.run("rm -f /tmp/linear.bin")
        remote.run("rm -f /tmp/linear.bin")


def interface_errors(fabric: Fabric, name: str) -> dict[str, int]:
    counters = ("rx_errors", "tx_errors", "rx_dropped", "tx_dropped")
    out = fabric.host.console.output(
        "; ".join(f"cat /sys/class/net/{name}/statistics/{c}" for c in counters)
    )
    return dict(zip(counters, map(int, out.split()), strict=True))


def test_iperf3_tcp_both_directions_without_errors(fabric: Fabric, vnic: str) -> None:
    con = fabric.host.console
    before = interface_errors(fabric, vnic)
    for reverse in ("", " -R"):
        run = con.run(f"iperf3 -c {PORT.remote_ipv4()} -t 10{reverse}", check=False, timeout=120)
        assert run.ok and "iperf Done" in run.output, run.output + diagnostics(fabric)
    after = interface_errors(fabric, vnic)
    assert after["rx_errors"] == before["rx_errors"], after
    assert after["tx_errors"] == before["tx_errors"], after


CARD_VNIC = f"{lan.CONFIGFS}/xsethgw/{port_dirname(PORT.card_port)}/vnics/{VNIC_RESOURCE_ID:x}"


def card_counters(fabric: Fabric) -> dict[str, int]:
    """The kernel gateway's counters for the vNIC (configfs)."""
    out = fabric.director.console.output(f"cat {CARD_VNIC}/stats")
    return {name: int(value) for name, value in (line.split() for line in out.splitlines())}


def test_a_host_naming_another_hosts_vnic_is_refused_and_the_vnic_keeps_its_connections(
    fabric: Fabric, vnic: str
) -> None:
    """The card is bound to the GID of the host whose XCM session installed the vNIC: a
    connection request naming the vNIC from another GID is refused and counted, and the
    vNIC's own connections stay (its interface still reaches the remote host)."""
    con = fabric.host.console
    port_stats = f"{lan.CONFIGFS}/xsethgw/{port_dirname(PORT.card_port)}/stats"
    assert fabric.director.console.output(f"cat {CARD_VNIC}/host").strip(), "not bound"
    before = fabric.director.console.output(f"cat {port_stats}").split()
    (answer,) = director.connect_as_stranger(
        fabric.host, fabric.director, "eth", PORT.card_port, [VNIC_RESOURCE_ID]
    )
    assert answer.startswith("refused"), answer
    why = f"{VNIC_RESOURCE_ID:#x} refused: not from the host that installed it"
    assert fabric.director.console.run(f"dmesg | grep -q '{why}'", check=False).ok, why
    after = fabric.director.console.output(f"cat {port_stats}").split()
    refused = int(after[after.index("refused") + 1]) - int(before[before.index("refused") + 1])
    assert refused == 1, (before, after)
    assert "1 received" in con.output(f"ping -c 1 -W 5 {PORT.remote_ipv4()}", timeout=30)


def test_lan_sends_with_offloads_reach_the_vnic_as_whole_frames(fabric: Fabric, vnic: str) -> None:
    """With TSO and checksum offload on the remote host's side, its TCP reaches the card's
    uplink as 64 KiB skbs with checksums left to fill in, as GRO on a physical uplink or a
    local sender hands them over; the card cuts them into frames of the vNIC's MTU with their
    checksums (none dropped as too big for the host, none unfinished) and the stream runs."""
    director_con = fabric.director.console
    lan_if = f"{lan.IN_LAN} ethtool -K {PORT.lan_ifname}"
    port_stats = f"{lan.CONFIGFS}/xsethgw/{port_dirname(PORT.card_port)}/stats"
    before = card_counters(fabric)
    director_con.run(f"{lan_if} tx on tso on gso on >/dev/null")
    try:
        run = fabric.host.console.run(
            f"iperf3 -c {PORT.remote_ipv4()} -t 5 -R", check=False, timeout=120
        )
    finally:
        director_con.run(f"{lan_if} tx off tso off gso off >/dev/null")
    after = card_counters(fabric)
    assert run.ok and "iperf Done" in run.output, run.output + diagnostics(fabric)
    assert after["too_big_for_host"] == before["too_big_for_host"], (after, diagnostics(fabric))
    assert after["frames_to_host"] > before["frames_to_host"], after
    stats = director_con.output(f"cat {port_stats}")
    assert "unfinished 0" in stats.splitlines(), stats


def test_tcp_from_the_vnic_goes_in_whole_segments_that_the_card_cuts_up(
    fabric: Fabric, vnic: str
) -> None:
    """The INSTALL offered TSO: xsvnic hands the card TCP segments of up to 64 KiB, one SEND
    each behind the TSO prefix (ethtool's tx_gso), and the card cuts them into frames of the
    MTU on its uplink (gso_from_host) with none refused as malformed; the stream runs without
    errors."""
    con = fabric.host.console
    features = con.output(f"ethtool -k {vnic}")
    assert "tcp-segmentation-offload: on" in features, features
    sent_whole = ethtool_stat(fabric, vnic, "tx_gso")
    before = card_counters(fabric)
    errors = interface_errors(fabric, vnic)
    run = con.run(f"iperf3 -c {PORT.remote_ipv4()} -t 5", check=False, timeout=120)
    after = card_counters(fabric)
    assert run.ok and "iperf Done" in run.output, run.output + diagnostics(fabric)
    assert ethtool_stat(fabric, vnic, "tx_gso") > sent_whole, con.output(f"ethtool -S {vnic}")
    assert after["gso_from_host"] > before["gso_from_host"], after
    for counter in ("tso_prefix", "gso_malformed", "no_mem", "oversize"):
        assert after[counter] == before[counter], (counter, before, after)
    assert interface_errors(fabric, vnic) == errors


HOST_SEND = f"/sys/kernel/debug/xsvnic/{VNIC}/send"
CARD_SEND = f"/sys/kernel/debug/xsethgw/{port_dirname(PORT.card_port)}/send"


def vnic_counted(fabric: Fabric, vnic: str) -> dict[str, int]:
    """The host's counts of what its card sent that it refused: ethtool's, and rx_errors."""
    out = fabric.host.console.output(f"ethtool -S {vnic}")
    counted = {
        f"ethtool:{name.strip()}": int(value)
        for name, _, value in (line.partition(":") for line in out.splitlines()[1:])
    }
    counted["netdev:rx_errors"] = interface_errors(fabric, vnic)["rx_errors"]
    return counted


def card_counted(fabric: Fabric) -> dict[str, int]:
    return {f"eth_card:{name}": value for name, value in card_counters(fabric).items()}


def test_a_hostile_cards_every_kind_is_counted_by_the_host_and_the_vnic_goes_on(
    fabric: Fabric, vnic: str
) -> None:
    """The card sends the vNIC each kind of the campaign's hostile control messages and frames
    (xsfuzz.eth_card) through its debugfs send hook: the host counts each by reason (ethtool's
    ctrl_refused_*, rx_errors), keeps its connections and still pings."""
    kinds = [
        *of_target(KINDS.values(), Target.ETH_CARD_TO_HOST_CTRL),
        *of_target(KINDS.values(), Target.ETH_CARD_TO_HOST_DATA),
    ]
    reconnects = ethtool_stat(fabric, vnic, "card_reconnects")

    def send(kind: Kind) -> None:
        assert kind.payload is not None
        conn = "ctrl" if kind.target is Target.ETH_CARD_TO_HOST_CTRL else "data"
        fabric.director.console.run(
            f"echo {VNIC_RESOURCE_ID:x} {conn} {kind.payload.hex() or '-'} > {CARD_SEND}"
        )

    missing = fuzz.deliver(kinds, lambda: vnic_counted(fabric, vnic), send)
    assert not missing, f"counted, wanted: {missing}\n{diagnostics(fabric)}"
    assert ethtool_stat(fabric, vnic, "card_reconnects") == reconnects
    ping = fabric.host.console.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
    assert ping.ok, ping.output + diagnostics(fabric)


def test_a_hostile_hosts_every_kind_is_counted_by_the_card_and_the_vnic_goes_on(
    fabric: Fabric, vnic: str
) -> None:
    """The vNIC sends the card each kind of the campaign's hostile frames and control
    messages (xsfuzz.eth_host: TSO prefixes and segments that lie, frames it may not send,
    lists of bad sizes) through its debugfs send hook: the card counts each in the vNIC's
    stats, keeps its connections and forwards the vNIC's pings."""
    kinds = [
        *of_target(KINDS.values(), Target.HOST_TO_ETH_CARD_CTRL),
        *of_target(KINDS.values(), Target.HOST_TO_ETH_CARD_DATA),
    ]
    reconnects = ethtool_stat(fabric, vnic, "card_reconnects")

    def send(kind: Kind) -> None:
        assert kind.payload is not None
        conn = "ctrl" if kind.target is Target.HOST_TO_ETH_CARD_CTRL else "data"
        fabric.host.console.run(f"echo {conn} {kind.payload.hex() or '-'} > {HOST_SEND}")

    missing = fuzz.deliver(kinds, lambda: card_counted(fabric), send)
    assert not missing, f"counted, wanted: {missing}\n{diagnostics(fabric)}"
    assert ethtool_stat(fabric, vnic, "card_reconnects") == reconnects
    ping = fabric.host.console.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
    assert ping.ok, ping.output + diagnostics(fabric)


def test_frames_the_vnic_may_not_send_are_counted_and_dropped(fabric: Fabric, vnic: str) -> None:
    """A host's frames from another MAC, on a VLAN it did not assign, or above the card's MTU
    for the vNIC are dropped and counted by the card; the vNIC goes on."""
    host = fabric.host.console
    send = f"{GUEST_PYTHON} tests/vm/guest/rawframe.py {vnic} ff:ff:ff:ff:ff:ff"
    before = card_counters(fabric)
    host.run(f"{send} 52:54:00:0a:00:99 --count 3")
    host.run(f"{send} {VNIC_MAC} --vlan 77 --count 3")
    fabric.director.console.run(f"echo 1500 > {CARD_VNIC}/mtu")
    try:
        host.run(f"{send} {VNIC_MAC} --size 2000 --count 3")
        host.run("sleep 1")
    finally:
        fabric.director.console.run(f"echo {VNIC_MTU} > {CARD_VNIC}/mtu")
    after = card_counters(fabric)
    for counter in ("foreign_src_mac", "vlan_not_assigned", "oversize"):
        assert after[counter] >= before[counter] + 3, (counter, after, diagnostics(fabric))
    ping = host.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
    assert ping.ok, ping.output + diagnostics(fabric)


def test_carrier_follows_the_card_port_link(fabric: Fabric, vnic: str) -> None:
    director.ctl(fabric.director, f"port-link {PORT.card_port} down")
    try:
        assert wait_for_carrier(fabric, vnic, False), diagnostics(fabric)
    finally:
        director.ctl(fabric.director, f"port-link {PORT.card_port} up")
    assert wait_for_carrier(fabric, vnic, True), diagnostics(fabric)
    ping = fabric.host.console.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
    assert ping.ok, ping.output


def multicast_frames_seen(fabric: Fabric, vnic: str) -> int:
    """Send frames to a multicast group nobody on the host joined; how many reach the vNIC."""
    host = fabric.host.console
    host.run(
        f"{GUEST_PYTHON} tests/vm/guest/multicast.py count {vnic} {UNJOINED_GROUP} 8"
        " > /tmp/mcast-count.log 2>&1 &"
    )
    host.run("sleep 1")
    fabric.director.console.run(
        f"cd /mnt/xs && {lan.IN_LAN} python3 tests/vm/guest/multicast.py send"
        f" {PORT.remote_ipv4()} {UNJOINED_GROUP} 20",
        timeout=60,
    )
    host.run("wait", timeout=60, check=False)
    out = host.output("cat /tmp/mcast-count.log")
    assert "frames=" in out, out
    return int(out.split("frames=")[1].split()[0])


def wait_for_card_multicast(fabric: Fabric, summary: str) -> bool:
    """Whether the card's latest multicast filter for a vNIC reads `summary` ("all", ...)."""
    return fabric.director.console.wait_until(
        f"{lan.CARD_LOG} | grep multicast | tail -n 1 | grep -q 'multicast {summary}$'", 15
    )


@pytest.mark.default_kernel_only
def test_allmulti_and_promisc_admit_every_multicast_group(fabric: Fabric, vnic: str) -> None:
    con = fabric.host.console
    assert multicast_frames_seen(fabric, vnic) == 0, diagnostics(fabric)
    for flag in ("allmulticast", "promisc"):
        con.run(f"ip link set {vnic} {flag} on")
        try:
            assert wait_for_card_multicast(fabric, "all"), diagnostics(fabric)
            assert multicast_frames_seen(fabric, vnic) > 0, f"{flag}:\n{diagnostics(fabric)}"
        finally:
            con.run(f"ip link set {vnic} {flag} off")
        assert wait_for_card_multicast(fabric, r"[0-9]* addresses"), diagnostics(fabric)
    assert multicast_frames_seen(fabric, vnic) == 0, diagnostics(fabric)


def interface_is_up(fabric: Fabric, name: str, up: bool) -> bool:
    want = 1 if up else 0
    return fabric.host.console.wait_until(
        f"[ $(( $(cat /sys/class/net/{name}/flags) & 1 )) = {want} ]", CARRIER_WITHIN
    )


def interface_mtu_is(fabric: Fabric, name: str, mtu: int) -> bool:
    return fabric.host.console.wait_until(
        f'[ "$(cat /sys/class/net/{name}/mtu)" = {mtu} ]', CARRIER_WITHIN
    )


@pytest.mark.default_kernel_only
def test_operator_update_changes_mtu_and_admin_state_in_place(fabric: Fabric, vnic: str) -> None:
    con = fabric.host.console
    try:
        director.ctl(fabric.director, f"set-vnic {SERVER} {vnic} --mtu 4000")
        assert interface_mtu_is(fabric, vnic, 4000), diagnostics(fabric)
        assert director.wait_for_device_status(fabric.director, vnic, "installed", 30)
        # Past what xsvnic takes, ctl refuses it in one line: nothing reaches the host.
        refused = director.ctl_refused(fabric.director, f"set-vnic {SERVER} {vnic} --mtu 9001")
        assert refused.startswith("ctl: ") and "MTU 9001" in refused, refused
        assert interface_mtu_is(fabric, vnic, 4000)
        director.ctl(fabric.director, f"set-vnic {SERVER} {vnic} --admin down")
        assert interface_is_up(fabric, vnic, False), diagnostics(fabric)
    finally:
        director.ctl(fabric.director, f"set-vnic {SERVER} {vnic} --mtu {VNIC_MTU} --admin up")
    assert interface_is_up(fabric, vnic, True), diagnostics(fabric)
    assert interface_mtu_is(fabric, vnic, VNIC_MTU), diagnostics(fabric)
    assert wait_for_carrier(fabric, vnic, True), diagnostics(fabric)
    # Down took the IPv6 address (IPv4 stays): put it back for the tests that follow.
    con.run(f"ip -6 addr add {PORT.host_ipv6()}/64 dev {vnic} nodad", check=False)
    ping = con.run(f"ping -M do -s 8972 -c 2 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
    assert ping.ok, ping.output + diagnostics(fabric)


def test_update_above_the_installed_mtu_is_refused_by_the_host(fabric: Fabric, vnic: str) -> None:
    """A vNIC's buffers are sized for the MTU it was installed with: an UPDATE past it is
    refused, the operator sees the refusal, and the interface keeps its MTU."""
    name = "xssmall"
    director.ctl(
        fabric.director,
        f"add-vnic {SERVER} {name} --mac 52:54:00:0a:00:08 --mtu 1500"
        f" --port {SECOND_PORT.card_port}",
    )
    try:
        assert wait_for_interface(fabric, name), diagnostics(fabric)
        assert director.wait_for_device_status(fabric.director, name, "installed", 30)
        director.ctl(fabric.director, f"set-vnic {SERVER} {name} --mtu 4000")
        assert director.wait_for_device_status(
            fabric.director, name, f"update refused (reason {XSVNIC_NACK_INVALID})", 30
        ), diagnostics(fabric)
        assert interface_mtu_is(fabric, name, 1500)
    finally:
        director.ctl(fabric.director, f"delete {SERVER} {name}")
    assert wait_for_interface(fabric, name, present=False), diagnostics(fabric)


def vnic_devices(fabric: Fabric) -> int:
    """The host's vNIC auxiliary devices, bound to xsvnic or not."""
    out = fabric.host.console.output("ls /sys/bus/auxiliary/devices | grep -c vnic || true")
    return int(out.split()[0])


def test_install_refusals_reach_the_operator_and_leave_nothing_behind(
    fabric: Fabric, vnic: str
) -> None:
    before = vnic_devices(fabric)
    # A multicast MAC never reaches the host: ctl refuses it (and the XCM would skip it).
    bad_mac = director.ctl_refused(
        fabric.director,
        f"add-vnic {SERVER} xsbadmac --mac 01:00:5e:00:00:01 --port {SECOND_PORT.card_port}",
    )
    assert bad_mac.startswith("ctl: ") and "multicast" in bad_mac, bad_mac
    refused = {
        "lo": (f"--mac 52:54:00:0a:00:04 --port {SECOND_PORT.card_port}", XSVNIC_NACK_DUP_NAME),
    }
    try:
        for name, (options, _) in refused.items():
            director.ctl(fabric.director, f"add-vnic {SERVER} {name} {options}")
        for name, (_, reason) in refused.items():
            assert director.wait_for_device_status(
                fabric.director, name, f"refused (reason {reason})", 45
            ), diagnostics(fabric)
        assert not fabric.host.console.run("ip link show xsbadmac", check=False).ok
    finally:
        for name in refused:
            director.ctl(fabric.director, f"delete {SERVER} {name}")
    assert fabric.host.console.wait_until(
        f'[ "$(ls /sys/bus/auxiliary/devices | grep -c vnic)" = {before} ]', 30
    ), diagnostics(fabric)
    ping = fabric.host.console.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False)
    assert ping.ok, ping.output


def test_install_refused_by_the_host_binds_when_installed_again(fabric: Fabric, vnic: str) -> None:
    """A vNIC the host refused (its name was taken) comes up when the XCM installs it again
    after the name was freed: the refusal is not final."""
    con = fabric.host.console
    name, mac = "xsretry", "52:54:00:0a:00:05"
    con.run(f"ip link add link {vnic} name {name} type vlan id 99")
    try:
        director.ctl(
            fabric.director, f"add-vnic {SERVER} {name} --mac {mac} --port {SECOND_PORT.card_port}"
        )
        assert director.wait_for_device_status(
            fabric.director, name, f"refused (reason {XSVNIC_NACK_DUP_NAME})", 45
        ), diagnostics(fabric)
        con.run(f"ip link del {name}")
        director.stop_xcm(fabric.director)
        director.start_xcm(fabric.director, HELLO_INTERVAL)
        assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
        assert director.wait_for_device_status(fabric.director, name, "installed", 45), diagnostics(
            fabric
        )
        assert con.output(f"cat /sys/class/net/{name}/address") == mac
    finally:
        con.run(f"ip link del {name} type vlan 2>/dev/null; true")
        director.ctl(fabric.director, f"delete {SERVER} {name}")
    assert wait_for_interface(fabric, name, present=False), diagnostics(fabric)


@pytest.mark.parametrize("limit", ["max_vdevs", "max_vdevs_host"])
def test_installs_past_the_per_link_and_host_limits_are_refused(
    fabric: Fabric, vnic: str, limit: str
) -> None:
    """max_vdevs caps one link's vNICs, max_vdevs_host every device of the host, of every
    kind and link: each set to what is installed now refuses the next vNIC."""
    con = fabric.host.console
    before = vnic_devices(fabric)
    # the link's vNICs, or every device of the host
    pattern = r"^xscore\.vnic\." if limit == "max_vdevs" else r"^xscore\."
    count = f"ls /sys/bus/auxiliary/devices | grep -c '{pattern}' || true"
    installed = int(con.output(count).split()[0])
    limit = f"/sys/module/xscore/parameters/{limit}"
    default = con.output(f"cat {limit}")
    name = "xsover"
    con.run(f"echo {installed} > {limit}")
    try:
        director.ctl(
            fabric.director,
            f"add-vnic {SERVER} {name} --mac 52:54:00:0a:00:06 --port {SECOND_PORT.card_port}",
        )
        assert director.wait_for_device_status(
            fabric.director, name, f"refused (reason {XSVNIC_NACK_LIMIT})", 45
        ), diagnostics(fabric)
        assert vnic_devices(fabric) == before
        assert not con.run(f"ip link show {name}", check=False).ok
    finally:
        con.run(f"echo {default} > {limit}")
        director.ctl(fabric.director, f"delete {SERVER} {name}")
    ping = con.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False)
    assert ping.ok, ping.output


def test_card_restart_reconnects_the_vnic(fabric: Fabric, vnic: str) -> None:
    lan.stop_gateway(fabric.director)
    try:
        assert wait_for_carrier(fabric, vnic, False), diagnostics(fabric)
    finally:
        with tracefs.recording(fabric.host, "xscore", "xsconn"):
            lan.start_gateway(fabric.director)
            # The host retries with a backoff of at most 8 s.
            back = fabric.host.console.wait_until(
                f'[ "$(cat /sys/class/net/{vnic}/carrier)" = 1 ]', RECONNECT_WITHIN
            )
            states = [e.text for e in tracefs.events(fabric.host, "xscore_session_state")]
    assert back, diagnostics(fabric)
    # The vNIC's session with its card is traced under the interface's name.
    assert f"{vnic} CONNECTING -> UP" in states, states
    ping = fabric.host.console.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False)
    assert ping.ok, ping.output + diagnostics(fabric)


@pytest.mark.default_kernel_only
def test_card_taken_down_by_the_operator_drops_carrier_and_up_again_reconnects(
    fabric: Fabric, vnic: str
) -> None:
    director.ctl(fabric.director, "card-state eth down")
    try:
        assert wait_for_carrier(fabric, vnic, False), diagnostics(fabric)
        gone = fabric.director.console.wait_until(
            '[ -z "$(ls -A /sys/kernel/config/xsethgw)" ]', 30
        )
        assert gone, fabric.director.console.output("ls /sys/kernel/config/xsethgw")
    finally:
        director.ctl(fabric.director, "card-state eth up")
    back = fabric.host.console.wait_until(
        f'[ "$(cat /sys/class/net/{vnic}/carrier)" = 1 ]', RECONNECT_WITHIN
    )
    assert back, diagnostics(fabric)
    ping = fabric.host.console.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False)
    assert ping.ok, ping.output + diagnostics(fabric)


def test_a_port_bounce_under_a_connected_vnic_ends_with_it_reconnected(
    fabric: Fabric, vnic: str
) -> None:
    """The host's fabric port goes down under a connected vNIC until the vNIC has lost its
    carrier, and comes back: the session's close sends nothing while the port is down (on rxe
    that would break the device's GSI QP, docs/rxe-notes.md), so once the port is active the
    vNIC connects again and pings."""
    con = fabric.host.console
    ifname = "$(cat /run/xs-fabric-ifname)"
    reconnects = ethtool_stat(fabric, vnic, "card_reconnects")
    # the fabric addresses (and so the GIDs) stay, as on a configured host
    con.run(f"sysctl -qw net.ipv6.conf.{ifname}.keep_addr_on_down=1")
    con.run(f"ip link set dev {ifname} down")
    try:
        # the card's silence, or the connection's retries, end the session
        lost = con.wait_until(f'[ "$(cat /sys/class/net/{vnic}/carrier)" = 0 ]', 60)
    finally:
        con.run(f"ip link set dev {ifname} up")
    assert lost, diagnostics(fabric)
    back = con.wait_until(f'[ "$(cat /sys/class/net/{vnic}/carrier)" = 1 ]', RECONNECT_WITHIN)
    assert back, diagnostics(fabric)
    assert ethtool_stat(fabric, vnic, "card_reconnects") > reconnects
    ping = con.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False)
    assert ping.ok, ping.output + diagnostics(fabric)


@pytest.mark.default_kernel_only
def test_xcm_restart_leaves_the_vnic_and_its_traffic_alone(fabric: Fabric, vnic: str) -> None:
    con = fabric.host.console
    ifindex = con.output(f"cat /sys/class/net/{vnic}/ifindex")
    con.run(f"ping -c 40 -i 0.5 -W 5 {PORT.remote_ipv4()} > /tmp/ping-xcm.log 2>&1 &")
    director.stop_xcm(fabric.director)
    director.start_xcm(fabric.director, HELLO_INTERVAL)
    assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
    # The new XCM installs the vNIC again; the host keeps the one it has.
    assert director.wait_for_device_status(fabric.director, vnic, "installed", 45)
    con.run("wait", timeout=90, check=False)
    log = con.output("cat /tmp/ping-xcm.log")
    assert " 0% packet loss" in log, log + diagnostics(fabric)
    assert con.output(f"cat /sys/class/net/{vnic}/ifindex") == ifindex


def delete_under_iperf3(fabric: Fabric, name: str, remote: str, reverse: bool = False) -> None:
    """Delete vNIC `name` from the operator CLI while iperf3 runs over it to `remote`; return
    once the interface is gone and iperf3 ended."""
    con = fabric.host.console
    # A TCP stream whose interface vanishes never ends by itself: bound it.
    con.run(
        f"timeout -s KILL 40 iperf3 -c {remote} -p {lan.SPARE_IPERF_PORT}{' -R' if reverse else ''}"
        " -t 30 > /tmp/iperf-cut.log 2>&1 &"
    )
    con.run("sleep 3")
    director.ctl(fabric.director, f"delete {SERVER} {name}")
    assert wait_for_interface(fabric, name, present=False), diagnostics(fabric)
    con.run("wait", timeout=60, check=False)


@pytest.mark.default_kernel_only
def test_second_vnic_on_another_port_comes_and_goes_under_traffic(
    fabric: Fabric, vnic: str
) -> None:
    con = fabric.host.console
    name = SECOND_VNIC
    director.ctl(
        fabric.director,
        f"add-vnic {SERVER} {name} --mac 52:54:00:0a:00:03 --port {SECOND_PORT.card_port} --no-tso",
    )
    assert wait_for_interface(fabric, name), diagnostics(fabric)
    # Offered no TSO, it segments and checksums its TCP itself and sends no prefix.
    features = con.output(f"ethtool -k {name}")
    assert "tx-tcp-segmentation: off [fixed]" in features, features
    con.run(f"ip link set {name} up && ip addr add {SECOND_PORT.host_ipv4()}/24 dev {name}")
    assert wait_for_carrier(fabric, name, True), diagnostics(fabric)
    ping = con.run(f"ping -c 2 -W 5 {SECOND_PORT.remote_ipv4()}", check=False, timeout=60)
    assert ping.ok, ping.output + diagnostics(fabric)
    first = con.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
    assert first.ok, first.output
    delete_under_iperf3(fabric, name, SECOND_PORT.remote_ipv4())
    again = con.run(f"ping -c 2 -W 5 {PORT.remote_ipv4()}", check=False, timeout=60)
    assert again.ok, again.output


def test_vnic_deleted_under_traffic_goes_cleanly(fabric: Fabric, vnic: str) -> None:
    # The card closes the connections when the director deletes the vNIC or when the host,
    # told first, closes them: whichever comes first, once more than before.
    closed = f"{lan.CARD_LOG} | grep -c 'vNIC {VNIC_RESOURCE_ID:#x}: connections closed'"
    before = int(fabric.director.console.output(f"{closed} || true").split()[0])
    delete_under_iperf3(fabric, vnic, PORT.remote_ipv4(), reverse=True)
    assert fabric.director.console.wait_until(f'[ "$({closed})" -gt {before} ]', 30), diagnostics(
        fabric
    )
    assert fabric.director.console.wait_until(f"! [ -e {CARD_VNIC} ]", 30), diagnostics(fabric)
