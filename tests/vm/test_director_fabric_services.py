"""The director's fabric services over soft-RoCE: a host finds the XDS with a ServiceRecord
query to the director and gets its XCM assignment from the XDS, both as GSI MADs."""

from __future__ import annotations

from harness.director import FABRIC_LOG, GUEST_PYTHON, ipv6_gid, node_guid
from harness.fabric import Fabric


def test_host_finds_the_xds_and_gets_its_xcm_assignment(
    fabric: Fabric, fabric_services: str
) -> None:
    index, _ = ipv6_gid(fabric.host)
    out = fabric.host.console.output(
        f"{GUEST_PYTHON} tests/vm/guest/xds_query.py {fabric_services} {index}", timeout=60
    )
    answer = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    director_guid = node_guid(fabric.director)
    assert answer["sa_status"] == "0"
    assert answer["xds_gid"] == fabric_services.replace(":", "")
    assert answer["xds_guid"] == director_guid
    assert answer["xds_status"] == "0"
    assert answer["echo_port"] == node_guid(fabric.host)
    assert answer["xcm_count"] == "1"
    assert answer["xcm"] == director_guid
    log = fabric.director.console.output(f"cat {FABRIC_LOG}")
    assert "ServiceRecord XSIGOXDS answered" in log
    assert "XDS: host host" in log
