"""xscore discovers its XCMs by itself: ServiceRecord query to the fabric-services GID, then the
XCM request to the XDS it names, from the kernel's own MAD agent."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from director.fabric_services import MANGLES, WELL_FORMED_MANGLES
from harness import director, modload
from harness.director import FABRIC_LOG, node_guid
from harness.fabric import Fabric
from harness.modules import Build
from xsfuzz.catalog import MALFORMED_ANSWERS

XSCORE = "xscore/xscore.ko"


def test_xscore_learns_its_xcm_from_the_director(
    fabric: Fabric, module_build: Build, fabric_services: str
) -> None:
    host = fabric.host.console
    director_guid = node_guid(fabric.director)
    modload.insmod(fabric.host, module_build.release, XSCORE, f"xds_gid={fabric_services}")
    try:
        host.run(
            "for i in $(seq 120); do dmesg | grep -q 'xscore: rxe0: port 1: XCM ' && break; "
            "sleep 0.5; done",
            timeout=90,
        )
        log = host.output("dmesg | grep 'xscore: rxe0: port 1:'")
    finally:
        modload.rmmod(fabric.host, XSCORE)
    assert "assigned 1 XCM(s)" in log, log
    assert f"XCM {director_guid}" in log, log
    served = fabric.director.console.output(f"cat {FABRIC_LOG}")
    assert "XDS: host host" in served


DEBUGFS = "/sys/kernel/debug/xscore/rxe0/port1/discovery"
# Answers the host must recognise as malformed (counted and dropped); the other mangles are
# well-formed failures (an error status, or no answer at all).
MALFORMED = MALFORMED_ANSWERS


@pytest.fixture
def hostile_director(fabric: Fabric, fabric_services: str) -> Iterator[Callable[[str], None]]:
    """Swap the director's fabric services for ones that break every answer one way."""
    director.stop_fabric_services(fabric.director)
    try:
        yield lambda mangle: director.start_fabric_services(fabric.director, mangle) and None
    finally:
        fabric.director.console.run(f"kill $(cat {director.FABRIC_PID}) 2>/dev/null; true")
        director.start_fabric_services(fabric.director)


def discovery_state(fabric: Fabric) -> dict[str, str]:
    out = fabric.host.console.output(f"cat {DEBUGFS}")
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)


@pytest.mark.parametrize("mangle", sorted(set(MANGLES) - WELL_FORMED_MANGLES))
def test_xscore_refuses_a_broken_discovery_answer(
    fabric: Fabric,
    module_build: Build,
    fabric_services: str,
    hostile_director: Callable[[str], None],
    mangle: str,
) -> None:
    hostile_director(mangle)
    modload.insmod(fabric.host, module_build.release, XSCORE, f"xds_gid={fabric_services}")
    try:
        fabric.host.console.run(
            f"for i in $(seq 60); do grep -q '^discovery_failures: [1-9]' {DEBUGFS} && break; "
            "sleep 0.5; done",
            timeout=60,
        )
        state = discovery_state(fabric)
    finally:
        modload.rmmod(fabric.host, XSCORE)
    assert int(state["discovery_failures"]) >= 1, state
    assert state["xcms"] == "0", state
    if mangle in MALFORMED:
        assert int(state["malformed"]) >= 1, state
    else:
        assert state["malformed"] == "0", state
    assert f"mangled answer: {MANGLES[mangle]}" in fabric.director.console.output(
        f"cat {director.FABRIC_LOG}"
    )
