"""Every VM test is guarded by the kernel-log scan of both guests: a splat written while the
test ran fails that test, with the splat quoted; one written between tests fails the next test's
set-up (tests/conftest.py). A test that loses the fabric is failed for it, and the pair is
booted again before the next test (tests/vm/fabric_loss.py)."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from harness import director
from harness.console import ConsoleError
from harness.fabric import Fabric
from tests.conftest import RAISED_LOGLEVELS, KernelLog, unread_splats
from tests.vm import fabric_loss


def pytest_configure(config: pytest.Config) -> None:
    fabric_loss.configure(config)


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
    lost_ok = item.get_closest_marker(fabric_loss.MARKER) is not None
    try:
        result = yield
    except BaseException:
        problems = log.conclude(lost_ok)
        if problems:
            item.add_report_section("call", "kernel log splats", "\n\n".join(problems))
        raise
    problems = log.conclude(lost_ok)
    if problems:
        pytest.fail("kernel log shows splats:\n" + "\n\n".join(problems), pytrace=False)
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.vm)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    fabric_loss.reboot_if_lost(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    """Probe both guests before the test's teardown (so that teardowns do not wait on a lost
    guest) and after it (a teardown can lose one too); on a loss, fail this test for it."""
    fabric = getattr(item, "funcargs", {}).get("fabric")
    if not isinstance(fabric, Fabric) or fabric.lost is not None:
        # No fabric, or one already lost before this test (its reboot failed): nothing new.
        return (yield)
    why = fabric.check()
    splats = survivors_splats(fabric) if why else []
    if why:
        fabric.lose(why)
    error: BaseException | None = None
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        error = exc
    if fabric.lost is None and (why := fabric.check()):
        splats = survivors_splats(fabric)
        fabric.lose(why)
    if fabric.lost is None:
        if error is not None:
            raise error
        return None
    loss = fabric_loss.lost(item, fabric, fabric.lost, ignored=int(error is not None))
    if not loss.expected:
        pytest.fail(
            f"fabric lost by {item.nodeid}: {loss.why}; both guests are booted again before the"
            " next test that needs them" + "".join(f"\n\nunread splat: {s}" for s in splats),
            pytrace=False,
        )
    return None


def survivors_splats(fabric: Fabric) -> list[str]:
    """The splats no scan has read yet in the guests that still answer, before they go."""
    try:
        return unread_splats(fabric)
    except ConsoleError as exc:
        return [f"(the kernel log could not be read: {exc})"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = fabric_loss.summary(terminalreporter.config)
    if lines:
        terminalreporter.section("fabric losses")
        for line in lines:
            terminalreporter.line(line)
    if RAISED_LOGLEVELS:
        terminalreporter.section("console log levels raised (set back to the boot's)")
        for report in RAISED_LOGLEVELS:
            terminalreporter.line(report)
