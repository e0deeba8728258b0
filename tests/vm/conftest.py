"""Every VM test is guarded by the kernel-log scan of both guests: a splat written while the
test ran fails that test, with the splat quoted."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from harness.fabric import RXE_DEVICE, Fabric
from harness.vm import Guest
from tests.conftest import KernelLog

GIDS = f"/sys/class/infiniband/{RXE_DEVICE}/ports/1/gids"
PYTHON = "cd /mnt/xs && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/mnt/xs python3"


def ipv6_gid(guest: Guest) -> tuple[int, str]:
    """Index and text of the guest's 2001:db8:: GID (IPv4-mapped GIDs cannot carry GSI
    request/response pairs: see docs/wire-deviations.md)."""
    path = guest.console.output(f"grep -l '^2001:0db8' {GIDS}/*").strip()
    return int(path.rsplit("/", 1)[1]), guest.console.output(f"cat {path}").strip()


def node_guid(guest: Guest) -> str:
    return guest.console.output(f"cat /sys/class/infiniband/{RXE_DEVICE}/node_guid").strip()


@pytest.fixture(scope="session")
def fabric_services(fabric: Fabric) -> Iterator[str]:
    """The director's fabric services, running; yields the GID they answer on."""
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


@pytest.fixture(autouse=True)
def _guard_kernel_log(kernel_log: KernelLog) -> KernelLog:
    return kernel_log


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    result = yield
    log = getattr(item, "funcargs", {}).get("kernel_log")
    if isinstance(log, KernelLog):
        problems = log.problems()
        if problems:
            pytest.fail("kernel log shows splats:\n" + "\n\n".join(problems), pytrace=False)
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.vm)
