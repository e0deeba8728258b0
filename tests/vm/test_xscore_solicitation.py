"""Ethernet-mode discovery: without a fabric-services GID, xscore solicits the director with a
UD datagram to ff02::1 (as the original did on Ethernet), and the answer's XCM becomes a link.
Solicitation is opt-in per port, and a port takes answers only from the GIDs it trusts: a
competing answer that comes first is counted and passed over, and the director's is taken."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import director, fuzz, modload
from harness.fabric import Fabric
from harness.links import SYSFS_LINKS, links, only_link, wait_for_state
from harness.modules import Build
from xsfuzz.catalog import KINDS
from xsfuzz.kind import Kind, Target, of_target

XSCORE = "xscore/xscore.ko"
HELLO_INTERVAL = 1
UP_WITHIN = 90.0
PORT = "/sys/class/xscore_port/rxe0-1"
UNTRUSTED_XDS = "2001:db8::99"
DIRECTOR_GID = "2001:db8::2"
DEBUGFS = "/sys/kernel/debug/xscore/rxe0/port1/discovery"
ANSWERED_WITHIN = 30.0


@pytest.fixture(scope="module")
def soliciting_director(fabric: Fabric) -> Iterator[None]:
    director.start_xcm(fabric.director, HELLO_INTERVAL)
    director.start_solicitations(fabric.director)
    yield
    director.stop_solicitations(fabric.director)
    director.stop_xcm(fabric.director)


def test_solicitation_finds_the_xcm_and_the_link_comes_up(
    fabric: Fabric, module_build: Build, soliciting_director: None
) -> None:
    modload.insmod(fabric.host, module_build.release, XSCORE)
    try:
        # Solicitation is opt-in per port, and can be turned on at run time.
        con = fabric.host.console
        assert con.output(f"cat {PORT}/ud_discovery").strip() == "0"
        # An answer from a GID the port does not trust is dropped and counted: no link.
        con.run(f"echo {UNTRUSTED_XDS} > {PORT}/xds_gids")
        con.run(f"echo 1 > {PORT}/ud_discovery")
        assert con.wait_until(f"[ $(cat {PORT}/untrusted) -ge 1 ]", UP_WITHIN), links(fabric.host)
        con.run(f"! ls {SYSFS_LINKS}/ | grep -q .")
        # Trusting the director's GID, the answer's XCM becomes a link.
        con.run(f"echo {DIRECTOR_GID} > {PORT}/xds_gids")
        assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
        link = only_link(fabric.host)
        log = fabric.director.console.output(f"cat {director.SOLICIT_LOG}")
    finally:
        modload.rmmod(fabric.host, XSCORE)
    assert link["xcm_guid"] == director.node_guid(fabric.director)
    assert link["chassis_name"] == "xsigo-director"
    assert "solicitation from host" in log, log
    dmesg = fabric.host.console.output("dmesg | grep 'assigned 1 XCM' | tail -n 1")
    # the responder's GID stands in for the XDS's
    assert "2001:0db8:0000:0000:0000:0000:0000:0002" in dmesg, dmesg


def discovery_counters(fabric: Fabric) -> dict[str, int]:
    """The port's discovery counters (xscore's debugfs) by "discovery:<counter>"."""
    out = fabric.host.console.output(f"cat {DEBUGFS}")
    pairs = (line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return {f"discovery:{key}": int(value) for key, value in pairs if value.isdigit()}


def test_competing_answers_are_counted_and_passed_over_and_the_directors_is_taken(
    fabric: Fabric, module_build: Build, soliciting_director: None
) -> None:
    """Before each of the director's answers, a rogue or broken responder answers first (from a
    GID the port does not trust, or malformed): the port counts it where the campaign says, and
    takes the director's answer after it; the link stays up throughout, and the XCM list holds
    only the director's XCM."""
    con = fabric.host.console
    kinds = of_target(KINDS.values(), Target.SOLICIT_TO_HOST)
    assert len(kinds) >= 6
    modload.insmod(fabric.host, module_build.release, XSCORE)
    try:
        con.run(f"echo {DIRECTOR_GID} > {PORT}/xds_gids")
        con.run(f"echo 1 > {PORT}/ud_discovery")
        assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
        link = only_link(fabric.host)
        reconnects = con.output(f"cat {SYSFS_LINKS}/{link['name']}/reconnects").strip()

        def send(kind: Kind) -> None:
            assert kind.inject is not None
            director.stop_solicitations(fabric.director)
            director.start_solicitations(fabric.director, compete=kind.inject)
            con.run(f"echo 1 > {PORT}/repoll")
            sent = f"competing answer ({kind.inject}) sent first"
            log = director.SOLICIT_LOG
            answered = f"grep -A5 -F '{sent}' {log} | grep -q 'answered with 1 XCM'"
            assert fabric.director.console.wait_until(answered, ANSWERED_WITHIN), (
                fabric.director.console.output(f"cat {log}")
            )

        short = fuzz.deliver(kinds, lambda: discovery_counters(fabric), send)
        state = con.output(f"cat {DEBUGFS}")
        after = only_link(fabric.host)
        reconnects_after = con.output(f"cat {SYSFS_LINKS}/{link['name']}/reconnects").strip()
    finally:
        modload.rmmod(fabric.host, XSCORE)
        director.stop_solicitations(fabric.director)
        director.remove_gid(fabric.director, director.ROGUE_RESPONDER)
        director.start_solicitations(fabric.director)
    assert not short, short
    assert (after["name"], after["state"]) == (link["name"], "up"), after
    assert reconnects_after == reconnects
    xcms = [line for line in state.splitlines() if line.startswith("xcm")]
    assert xcms == ["xcms: 1", f"xcm: {director.node_guid(fabric.director)}"], state
