"""xscore opens an XSMP link to each XCM that discovery names, keeps it alive, notices when the
XCM goes away or falls silent, reconnects, and survives an XCM that sends garbage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from ipaddress import IPv6Address
from typing import Any

import pytest

from director.xsmp_fuzz import CONFIRM_KINDS, KINDS, SESSION_KINDS
from harness import director, modload, tracefs
from harness.director import node_guid
from harness.fabric import Fabric
from harness.links import SYSFS_LINKS, links, only_link, wait_for_state
from harness.modules import Build
from xsfuzz.catalog import KINDS as CATALOG
from xsfuzz.kind import Target, of_target

XCM_KINDS = of_target(CATALOG.values(), Target.XCM_TO_HOST)

XSCORE = "xscore/xscore.ko"
XSVNIC = "xsvnic/xsvnic.ko"
HELLO_INTERVAL = 1
# xscore's default hello timeout: three hello intervals
HELLO_TIMEOUT = 3 * HELLO_INTERVAL
UP_WITHIN = 90.0


@pytest.fixture(scope="module")
def xcm(fabric: Fabric, fabric_services: str) -> Iterator[None]:
    director.start_xcm(fabric.director, HELLO_INTERVAL)
    yield
    director.stop_xcm(fabric.director)


@pytest.fixture(scope="module")
def xscore_params(fabric_services: str) -> str:
    return f"xds_gid={fabric_services}"


@pytest.fixture(scope="module")
def link_up(fabric: Fabric, module_build: Build, xscore_params: str, xcm: None) -> Iterator[None]:
    modload.insmod(fabric.host, module_build.release, XSCORE, xscore_params)
    yield
    modload.rmmod(fabric.host, XSCORE)


def restart_xcm(fabric: Fabric, fuzz: tuple[str, ...] = ()) -> None:
    director.stop_xcm(fabric.director)
    director.start_xcm(fabric.director, HELLO_INTERVAL, fuzz)


def test_link_comes_up_with_the_xcm_names(fabric: Fabric, link_up: None) -> None:
    if not wait_for_state(fabric.host, "up", UP_WITHIN):
        xcm_log = fabric.director.console.output(f"tail -n 40 {director.XCM_LOG}")
        pytest.fail(f"{links(fabric.host)}\nxcm:\n{xcm_log}")
    link = only_link(fabric.host)
    host_guid = node_guid(fabric.host)
    assert link["state"] == "up"
    assert link["port"] == "rxe0:1"
    assert link["xcm_guid"] == node_guid(fabric.director)
    assert link["xcm_address"] == IPv6Address(director.eui64_address(fabric.director)).compressed
    assert link["chassis_name"] == "xsigo-director"
    assert link["profile_name"] == f"profile-{host_guid[-6:]}"
    assert link["malformed"] == 0
    # every session is mutually authenticated (the fabric's keys: harness/auth.py)
    assert link["auth"] == "authenticated", link
    table = fabric.host.console.output(f"{director.GUEST_PYTHON} -m xsadm links")
    assert "xsigo-director" in table and f"profile-{host_guid[-6:]}" in table, table


def test_link_answers_every_hello(fabric: Fabric, link_up: None) -> None:
    assert wait_for_state(fabric.host, "up", UP_WITHIN)
    before = only_link(fabric.host)
    with tracefs.recording(fabric.host, "xscore"):
        fabric.host.console.run(f"sleep {3 * HELLO_INTERVAL + 1}")
        traced = tracefs.events(fabric.host, "xscore_xsmp_msg")
    after = only_link(fabric.host)
    # Each message in and out is a trace event of the link, with its class and length.
    ours = [event.text for event in traced if event.text.startswith(f"{before['name']} ")]
    assert any(" in class " in text for text in ours), traced
    assert any(" out class " in text for text in ours), traced
    assert after["msgs_in"] >= before["msgs_in"] + 2, (before, after)
    assert after["msgs_out"] >= before["msgs_out"] + 2, (before, after)
    assert after["state"] == "up"
    log = fabric.director.console.output(f"cat {director.XCM_LOG}")
    assert f"HELLO from host {node_guid(fabric.host)}" in log


def test_link_reconnects_after_an_xcm_restart(fabric: Fabric, link_up: None) -> None:
    assert wait_for_state(fabric.host, "up", UP_WITHIN)
    before = only_link(fabric.host)
    director.stop_xcm(fabric.director)
    assert wait_for_state(fabric.host, "up", 30, negate=True), links(fabric.host)
    with tracefs.recording(fabric.host, "xscore", "xsconn"):
        director.start_xcm(fabric.director, HELLO_INTERVAL)
        assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
        states = [e.text for e in tracefs.events(fabric.host, "xscore_session_state")]
    after = only_link(fabric.host)
    # The session's way back up is traced, under the link's name.
    assert f"{before['name']} OPENING -> UP" in states, states
    assert after["reconnects"] == before["reconnects"] + 1
    assert after["chassis_name"] == "xsigo-director"
    # the XCM said goodbye rather than vanish
    log = fabric.host.console.output("dmesg | grep 'XCM shut the session down' | tail -n 1")
    assert before["name"] in log, log


def xsadm_json(fabric: Fabric, command: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        fabric.host.console.output(f"{director.GUEST_PYTHON} -m xsadm {command} --json")
    )
    return rows


def test_operator_sees_discovery_repolls_and_resets_the_link(
    fabric: Fabric, link_up: None, fabric_services: str
) -> None:
    """`xsadm ports` shows what discovery found (sysfs); `xsadm repoll` runs a round at once,
    well before the next 20 s poll; `xsadm reset` drops the session, which comes straight back
    up and counts one reconnect."""
    assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
    (port,) = xsadm_json(fabric, "ports")
    assert port["name"] == "rxe0-1"
    assert port["discovery_mode"] == "service-record"
    assert port["xds"] == IPv6Address(fabric_services).compressed
    assert port["xcms"] == [node_guid(fabric.director)]
    assert port["discovery_error"] == 0 and port["discoveries"] >= 1, port
    con = fabric.host.console
    rounds = "cat /sys/class/xscore_port/rxe0-1/discoveries"
    con.run(f"{director.GUEST_PYTHON} -m xsadm repoll rxe0-1")
    assert con.wait_until(f'[ "$({rounds})" -gt {port["discoveries"]} ]', 10), xsadm_json(
        fabric, "ports"
    )
    before = only_link(fabric.host)
    con.run(f"{director.GUEST_PYTHON} -m xsadm reset {before['xcm_guid']}")
    assert con.wait_until(
        f'[ "$(cat {SYSFS_LINKS}/{before["name"]}/reconnects)" -gt {before["reconnects"]} ]', 30
    ), links(fabric.host)
    assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
    con.run(f"dmesg | grep -q '{before['name']}.*reset by the operator'")


def test_link_follows_a_rename_of_its_rdma_device(fabric: Fabric, link_up: None) -> None:
    """Link names embed the RDMA device's name: `rdma dev set` renames the link (and the
    device's debugfs directory) without disturbing its session, and renaming back restores it."""
    assert wait_for_state(fabric.host, "up", UP_WITHIN)
    before = only_link(fabric.host)
    xcm = before["xcm_guid"]
    assert before["name"] == f"rxe0-1-{xcm}", before
    con = fabric.host.console
    con.run("rdma dev set rxe0 name xsren0")
    try:
        assert con.wait_until(f"test -e {SYSFS_LINKS}/xsren0-1-{xcm}", 10), links(fabric.host)
        con.run(f"! test -e {SYSFS_LINKS}/rxe0-1-{xcm}")
        con.run("test -e /sys/kernel/debug/xscore/xsren0/port1/discovery")
        renamed = only_link(fabric.host)
        assert (renamed["port"], renamed["state"]) == ("xsren0:1", "up"), renamed
        assert renamed["reconnects"] == before["reconnects"]
    finally:
        con.run("rdma dev set xsren0 name rxe0")
    assert con.wait_until(f"test -e {SYSFS_LINKS}/rxe0-1-{xcm}", 10), links(fabric.host)
    con.run("test -e /sys/kernel/debug/xscore/rxe0/port1/discovery")
    assert only_link(fabric.host)["state"] == "up"


def test_silent_xcm_is_dropped_after_the_hello_timeout(fabric: Fabric, link_up: None) -> None:
    assert wait_for_state(fabric.host, "up", UP_WITHIN)
    before = only_link(fabric.host)
    director.signal_xcm(fabric.director, "STOP")
    try:
        # a frozen XCM closes nothing: only the missing HELLOs can tell
        assert wait_for_state(fabric.host, "up", HELLO_TIMEOUT + 15, negate=True)
    finally:
        director.signal_xcm(fabric.director, "CONT")
    log = fabric.host.console.output("dmesg | grep 'XCM silent past the hello timeout'")
    assert before["name"] in log
    assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
    assert only_link(fabric.host)["reconnects"] == before["reconnects"] + 1


def test_link_recovers_from_a_port_bounce(fabric: Fabric, link_up: None) -> None:
    """The host's fabric port goes down (the RDMA port with it) and comes back: the link is
    dropped by the hello timeout, not retried while the port is down, and up again after."""
    host = fabric.host.console
    ifname = "$(cat /run/xs-fabric-ifname)"
    assert wait_for_state(fabric.host, "up", UP_WITHIN)
    before = only_link(fabric.host)
    # keep the fabric addresses (and so the GIDs) across the bounce, as a configured host would
    host.run(f"sysctl -qw net.ipv6.conf.{ifname}.keep_addr_on_down=1")
    host.run(f"ip link set dev {ifname} down")
    try:
        assert wait_for_state(fabric.host, "up", HELLO_TIMEOUT + 30, negate=True)
    finally:
        host.run(f"ip link set dev {ifname} up")
    assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
    assert only_link(fabric.host)["reconnects"] == before["reconnects"] + 1
    log = host.output("dmesg | grep 'xscore: rxe0: port 1:' | tail -n 5")
    assert "ACTIVE -> DOWN" in log and "DOWN -> ACTIVE" in log, log


def test_xscore_unloaded_while_its_port_is_down_connects_again_once_the_port_is_up(
    fabric: Fabric, module_build: Build, xscore_params: str, link_up: None
) -> None:
    """xscore is unloaded under an up link while the host's fabric port is down; xsconn stays.
    The link's CM id outlives its connection (xsconn parks it, as `rdma res` shows) and ends,
    with its DREQ, only once the port is active: on rxe a send while the port is down breaks
    the device's GSI QP for good (docs/rxe-notes.md), and no discovery or connection request
    would go out after. Loaded again, xscore finds the XCM and the link comes up."""
    host = fabric.host.console
    ifname = "$(cat /run/xs-fabric-ifname)"
    # rdma_cm names a kernel id by the module that made it.
    cm_ids = "rdma res show cm_id | grep -c '\\[xsconn\\]'"
    assert wait_for_state(fabric.host, "up", UP_WITHIN)
    port_log = "dmesg | grep -c 'xscore: rxe0: port 1: ACTIVE -> DOWN'"
    downs = int(host.output(f"{port_log} || true").strip() or 0)
    host.run(f"sysctl -qw net.ipv6.conf.{ifname}.keep_addr_on_down=1")
    host.run(f"ip link set dev {ifname} down")
    try:
        try:
            assert host.wait_until(f'[ "$({port_log})" -gt {downs} ]', 30)
            host.run("rmmod xscore")
            assert host.run("[ -d /sys/module/xsconn ]", check=False).ok
            parked = host.output(f"{cm_ids} || true").strip()
            assert parked == "1", host.output("rdma res show cm_id")
        finally:
            host.run(f"ip link set dev {ifname} up")
        # Ended once the port is active, not left behind.
        assert host.wait_until(f'[ "$({cm_ids})" = 0 ]', 30), host.output("rdma res show cm_id")
    finally:
        modload.insmod(fabric.host, module_build.release, XSCORE, xscore_params)
    assert wait_for_state(fabric.host, "up", UP_WITHIN), f"{links(fabric.host)}\n" + host.output(
        "dmesg | grep -E 'xscore|xsconn' | tail -n 20"
    )


@pytest.mark.default_kernel_only
def test_hostile_xcm_is_counted_and_survived(
    fabric: Fabric, module_build: Build, link_up: None
) -> None:
    """Every fuzz kind once: each malformed message counted and dropped, a broken REG_CONFIRM
    refused, the oversized message resetting the session; the link ends up again. xsvnic is
    loaded: where a vNIC INSTALL keeps its name, xscore learns from the vNIC class's service."""
    assert wait_for_state(fabric.host, "up", UP_WITHIN)
    modload.insmod(fabric.host, module_build.release, XSVNIC)
    before = only_link(fabric.host)
    restart_xcm(fabric, tuple(KINDS))
    try:
        # Dropped, not acted on: the kinds the campaign's catalogue counts as malformed.
        dropped = sum(k.counted_as == "link:malformed" for k in XCM_KINDS)
        link_dir = "/sys/class/xscore_link/*"
        fabric.host.console.wait_until(
            f"[ $(cat {link_dir}/malformed) -ge {before['malformed'] + dropped} ]"
            f" && grep -qx up {link_dir}/state",
            120,
        )
        # The oversized message, sent last, may end the session after the count was reached:
        # once it was sent, the link must be up and stay up past a hello timeout.
        oversized = SESSION_KINDS["oversized"][0]
        fabric.director.console.wait_until(f"grep -qF '{oversized}' {director.XCM_LOG}", 60)
        up = f"grep -qx up {link_dir}/state"
        up_again = fabric.host.console.wait_until(
            f"{up} && sleep {HELLO_TIMEOUT + 1} && {up}", UP_WITHIN
        )
        after = only_link(fabric.host)
        xcm_log = fabric.director.console.output(f"cat {director.XCM_LOG}")
        host_log = fabric.host.console.output("dmesg | grep xscore | tail -n 30")
    finally:
        restart_xcm(fabric)
        modload.rmmod(fabric.host, XSVNIC)
    context = f"{after}\nhost:\n{host_log}\nxcm:\n{xcm_log[-3000:]}"
    assert up_again, context
    for kind in CONFIRM_KINDS:
        assert CONFIRM_KINDS[kind][0] in xcm_log, kind
    for kind in SESSION_KINDS:
        assert SESSION_KINDS[kind][0] in xcm_log, kind
    assert after["malformed"] >= before["malformed"] + dropped, context
    unhandled = sum(k.counted_as == "link:unhandled" for k in XCM_KINDS)
    assert after["unhandled"] >= before["unhandled"] + unhandled, context
    assert after["chassis_name"] == "xsigo-director"
    refused = fabric.host.console.output("dmesg | grep -c 'malformed REG_CONFIRM'")
    assert int(refused) >= 1
