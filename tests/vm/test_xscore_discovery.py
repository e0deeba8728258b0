"""xscore discovers its XCMs by itself: ServiceRecord query to the fabric-services GID, then the
XCM request to the XDS it names, from the kernel's own MAD agent."""

from __future__ import annotations

from harness import modload
from harness.director import FABRIC_LOG, node_guid
from harness.fabric import Fabric
from harness.modules import Build

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
