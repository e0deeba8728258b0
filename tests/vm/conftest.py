"""Every VM test is guarded by the kernel-log scan of both guests: a splat written while the
test ran fails that test, with the splat quoted; one written between tests fails the next test's
set-up (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from harness import director
from harness.fabric import Fabric
from tests.conftest import KernelLog


@pytest.fixture(scope="session")
def fabric_services(fabric: Fabric) -> Iterator[str]:
    """The director's fabric services, running; yields the GID they answer on."""
    fabric.host.console.run("modprobe ib_umad")
    gid = director.start_fabric_services(fabric.director)
    yield gid
    director.stop_fabric_services(fabric.director)


@pytest.fixture(autouse=True)
def _guard_kernel_log(kernel_log: KernelLog) -> KernelLog:
    return kernel_log


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Scan after the test, whether it passed or not: a failed test's splats are what explains
    it, so they are added to its report."""
    log = getattr(item, "funcargs", {}).get("kernel_log")
    if not isinstance(log, KernelLog):
        return (yield)
    try:
        result = yield
    except BaseException:
        problems = log.conclude()
        if problems:
            item.add_report_section("call", "kernel log splats", "\n\n".join(problems))
        raise
    problems = log.conclude()
    if problems:
        pytest.fail("kernel log shows splats:\n" + "\n\n".join(problems), pytrace=False)
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.vm)
