"""The director's XCM over soft-RoCE: a host opens an XSMP session over rdma_cm, registers,
gets REG_CONFIRM with the hello interval, chassis and profile names, then HELLOs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness import director, fuzz
from harness.director import GUEST_PYTHON, node_guid
from harness.fabric import HOST, Fabric
from xsfuzz.catalog import KINDS
from xsfuzz.kind import Kind, Target, of_target

HELLO_INTERVAL = 1


@pytest.fixture(scope="module")
def xcm(fabric: Fabric) -> Iterator[str]:
    address = director.start_xcm(fabric.director, HELLO_INTERVAL)
    yield address
    director.stop_xcm(fabric.director)


def test_host_registers_with_the_xcm_and_gets_hellos(fabric: Fabric, xcm: str) -> None:
    """The client offers no proof (pyverbs' synchronous rdma_cm does not show the accept's
    nonce): the director lets this host register without one while the test runs."""
    host_guid = node_guid(fabric.host)
    own = HOST.ipv6.split("/")[0]
    director.ctl(fabric.director, f"allow-unauthenticated {host_guid}")
    fabric.director.console.run("sleep 1.5")  # the XCM re-reads its configuration each second
    try:
        out = fabric.host.console.output(
            f"{GUEST_PYTHON} tests/vm/guest/xsmp_client.py {own} {xcm} {host_guid}",
            timeout=90,
        )
    finally:
        director.ctl(fabric.director, f"allow-unauthenticated {host_guid} --remove")
    answer = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert answer["type"] == "3"  # REG_CONFIRM
    assert answer["hello_interval"] == str(HELLO_INTERVAL)
    assert answer["chassis"] == "xsigo-director"
    assert answer["profile"] == f"profile-{host_guid[-6:]}"
    assert answer["hello_type"] == "1"  # HELLO
    log = fabric.director.console.output(f"cat {director.XCM_LOG}")
    assert f"host {host_guid} registered" in log
    assert f"HELLO from host {host_guid}" in log


def test_connections_that_do_not_register_are_dropped_and_capped(fabric: Fabric, xcm: str) -> None:
    """A host is as untrusted as any peer: a connection that sends no REGISTER is closed after
    --register-within seconds, and while --max-unregistered such connections wait, the next
    request is refused (rejected at the rdma_cm level)."""
    own = HOST.ipv6.split("/")[0]
    director.stop_xcm(fabric.director)
    address = director.start_xcm(
        fabric.director, HELLO_INTERVAL, options="--register-within 3 --max-unregistered 1"
    )
    con = fabric.host.console
    idle = f"{GUEST_PYTHON} tests/vm/guest/xsmp_idle.py {own} {address}"
    try:
        con.run(f"{idle} 8 > /tmp/idle-first.log 2>&1 &")
        con.run("sleep 1.5")
        second = con.output(f"{idle} 0", timeout=60)
        con.run("wait", timeout=60)
        first = con.output("cat /tmp/idle-first.log")
        log = fabric.director.console.output(f"cat {director.XCM_LOG}")
    finally:
        director.stop_xcm(fabric.director)
        director.start_xcm(fabric.director, HELLO_INTERVAL)
    assert first.strip() == "connected", first
    assert second.startswith("refused"), second
    assert "connection request refused: 1 sessions not registered yet" in log, log
    assert "a session did not register within 3 s: closed" in log, log


def xcm_counted(fabric: Fabric) -> dict[str, int]:
    """The XCM's counters from its state file, as the campaign names them (xcm:<name>)."""
    state = f"/run/xsigo-director/xcm-{node_guid(fabric.director)}.json"
    out = fabric.director.console.output(f"cat {state}")
    data = json.loads(out[out.index("{") :])
    return {f"xcm:{k}": v for k, v in data.items() if isinstance(v, int)}


def test_a_hostile_hosts_every_kind_is_counted_by_the_xcm_which_serves_on(
    fabric: Fabric, xcm: str
) -> None:
    """A host sends the XCM each kind of the campaign's malformed messages (xsfuzz.xcm_host:
    framing that lies, classes and objects that are not what they say, answers and STATS that
    do not decode), each on an XSMP connection of its own, without registering: the XCM drops
    and counts each, and a host then registers and gets its HELLOs as before."""
    own = HOST.ipv6.split("/")[0]
    kinds = of_target(KINDS.values(), Target.HOST_TO_XCM)
    sent: list[str] = []

    def send(kind: Kind) -> None:
        # A connection each: a console line holds one REGISTER's hex, not all of them.
        assert kind.payload is not None
        sent.append(
            fabric.host.console.output(
                f"{GUEST_PYTHON} tests/vm/guest/xsmp_send.py {own} {xcm} {kind.payload.hex()}",
                timeout=90,
            ).strip()
        )

    missing = fuzz.deliver(kinds, lambda: xcm_counted(fabric), send)
    log = fabric.director.console.output(f"grep malformed {director.XCM_LOG} | tail -n 20")
    assert sent == ["sent 1"] * len(kinds), sent
    assert not missing, f"counted, wanted: {missing}\n{log}"
    test_host_registers_with_the_xcm_and_gets_hellos(fabric, xcm)
