"""The director's fabric services over soft-RoCE: a host finds the XDS with a ServiceRecord
query to the director and gets its XCM assignment from the XDS, both as GSI MADs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.fabric import RXE_DEVICE, Fabric
from harness.vm import Guest

GIDS = f"/sys/class/infiniband/{RXE_DEVICE}/ports/1/gids"
PYTHON = "cd /mnt/xs && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/mnt/xs python3"


def ipv6_gid(guest: Guest) -> tuple[int, str]:
    """Index and text of the guest's 2001:db8:: GID (IPv4-mapped GIDs cannot carry GSI
    request/response pairs: see docs/wire-deviations.md)."""
    path = guest.console.output(f"grep -l '^2001:0db8' {GIDS}/*").strip()
    return int(path.rsplit("/", 1)[1]), guest.console.output(f"cat {path}").strip()


def node_guid(guest: Guest) -> str:
    return guest.console.output(f"cat /sys/class/infiniband/{RXE_DEVICE}/node_guid").strip()


@pytest.fixture(scope="module")
def fabric_services(fabric: Fabric) -> Iterator[str]:
    director = fabric.director.console
    for guest in fabric.guests:
        guest.console.run("modprobe ib_umad")
    index, gid = ipv6_gid(fabric.director)
    director.run(
        f"{PYTHON} -m director fabric --gid-index {index} > /tmp/fabric.log 2>&1 & "
        "echo $! > /tmp/fabric.pid"
    )
    director.run("for i in $(seq 50); do grep -q 'fabric services on' /tmp/fabric.log && break; "
                 "sleep 0.2; done; grep -q 'fabric services on' /tmp/fabric.log")  # fmt: skip
    yield gid
    director.run("kill $(cat /tmp/fabric.pid); cat /tmp/fabric.log")


def test_host_finds_the_xds_and_gets_its_xcm_assignment(
    fabric: Fabric, fabric_services: str
) -> None:
    index, _ = ipv6_gid(fabric.host)
    out = fabric.host.console.output(
        f"{PYTHON} tests/vm/guest/xds_query.py {fabric_services} {index}", timeout=60
    )
    answer = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    director_guid = node_guid(fabric.director).replace(":", "")
    assert answer["sa_status"] == "0"
    assert answer["xds_gid"] == fabric_services.replace(":", "")
    assert answer["xds_guid"] == director_guid
    assert answer["xds_status"] == "0"
    assert answer["echo_port"] == node_guid(fabric.host).replace(":", "")
    assert answer["xcm_count"] == "1"
    assert answer["xcm"] == director_guid
    log = fabric.director.console.output("cat /tmp/fabric.log")
    assert "ServiceRecord XSIGOXDS answered" in log
    assert "XDS: host host" in log
