"""Fixtures shared by the test tiers: the kernel matrix, module builds and booted fabrics.

A fabric (two VMs of one kernel) is booted once per kernel and shared by every VM test of that
kernel; pytest orders the tests so that only one fabric runs at a time. Every VM test is
bracketed by a kernel-log marker on both guests and fails on any splat written after it; what
is written between tests fails the next test's set-up, or the fabric's teardown after the last.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import (
    crashscan,
    director,
    kernel_tree,
    kernels,
    kmemleak,
    matrix,
    modules,
    qemu,
    runs,
)
from harness.bench import suite
from harness.fabric import Fabric
from harness.vm import Guest

_STARTED = pytest.StashKey[float]()
# Console log levels found raised after a test (KernelLog.conclude), each with the guest's log
# tail, for the run's summary. Not a failure by itself (a splat the scan knows fails the test);
# set back, so that kernel messages stop mixing into the output of the commands that follow.
RAISED_LOGLEVELS: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--kernel",
        action="append",
        default=[],
        help="matrix kernel id to test (repeatable; 'all': every cell; 'default': the matrix's"
        " default; none: the cells of ci/kernels.toml that `make test` runs)",
    )
    parser.addoption(
        "--kernel-tree",
        action="append",
        default=[],
        metavar="PATH",
        help="a kernel tree you built (make bzImage modules; in place or O=) to test, as a"
        " kernel beside any --kernel (repeatable)",
    )


def _named_kernels(config: pytest.Config) -> list[str]:
    """The kernel ids given on the command line: --kernel's, then each --kernel-tree's."""
    trees = [kernel_tree.kernel_id(Path(p)) for p in config.getoption("kernel_tree")]
    return [*config.getoption("kernel"), *trees]


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = time.monotonic()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Keep the time of a full default run (`make test`: no paths, no selection) for the
    bench's report."""
    config = session.config
    selected = config.getoption("keyword") or config.getoption("markexpr")
    full = config.args_source == pytest.Config.ArgsSource.TESTPATHS and not selected
    if full and not _named_kernels(config) and session.testscollected:
        seconds = time.monotonic() - config.stash[_STARTED]
        suite.record(seconds, session.testscollected, session.testsfailed)


DEFAULT_KERNEL_ONLY = "default_kernel_only"
NAMED_KERNELS_ONLY = "named_kernels_only"


def pytest_configure(config: pytest.Config) -> None:
    for tree in config.getoption("kernel_tree"):
        found = kernel_tree.problems(Path(tree))
        if found:
            raise pytest.UsageError(f"--kernel-tree {tree}: " + "; ".join(found))
    # JUnit XML for every run, in its run directory (harness/runs.py), unless asked elsewhere.
    if not config.option.xmlpath and not hasattr(config, "workerinput"):
        config.option.xmlpath = str(runs.current() / "junit.xml")
    config.addinivalue_line(
        "markers",
        f"{DEFAULT_KERNEL_ONLY}: a long end-to-end test that `make test` runs on the matrix's"
        " default kernel only; named kernels (--kernel, `make matrix`) run it on each of them",
    )
    config.addinivalue_line(
        "markers",
        f"{NAMED_KERNELS_ONLY}: a test too long for `make test` on any kernel (minutes of gcc"
        " under TCG); it runs where kernels are named (--kernel: `make matrix`, its own target)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep `make test` inside CI's time: its long end-to-end tests run once, on the default
    kernel; the other cells run the rest, which covers every path those tests take."""
    if _named_kernels(config):
        return
    default = matrix.load().default
    skip = pytest.mark.skip(
        reason=f"long: `make test` runs it on kernel {default}; `make matrix` on every kernel"
    )
    named_only = pytest.mark.skip(reason="too long for `make test`: `make matrix` runs it")
    for item in items:
        callspec = getattr(item, "callspec", None)
        kernel_id = callspec.params.get("kernel_id") if callspec else None
        if item.get_closest_marker(NAMED_KERNELS_ONLY):
            item.add_marker(named_only)
        elif kernel_id not in (None, default) and item.get_closest_marker(DEFAULT_KERNEL_ONLY):
            item.add_marker(skip)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "kernel_id" in metafunc.fixturenames:
        m = matrix.load()
        chosen = _named_kernels(metafunc.config) or m.test_ids()
        if "all" in chosen:
            chosen = m.ids()
        chosen = list(dict.fromkeys(m.default if c == "default" else c for c in chosen))
        metafunc.parametrize("kernel_id", chosen, scope="session")


@pytest.fixture(scope="session")
def kernel(kernel_id: str) -> kernels.Kernel:
    return kernels.fetch(kernels.spec_of(kernel_id))


@pytest.fixture(scope="session")
def module_build(kernel: kernels.Kernel) -> modules.Build:
    return modules.build(kernel.kdir, kernel.config)


@pytest.fixture(scope="session")
def fabric(kernel: kernels.Kernel, module_build: modules.Build) -> Iterator[Fabric]:
    """Both guests of a kernel, shared by every VM test. On a kernel with kmemleak (the debug
    kernel) the host is checked for leaks once every test module unloaded ours. A test that
    loses the fabric gets it booted again in place (tests/vm/fabric_loss.py)."""
    with Fabric(kernel, runs.current() / "consoles" / kernel.release) as booted:
        leak_checked = kmemleak.available(booted.host)
        if leak_checked:
            kmemleak.forget(booted.host)
        yield booted
        if booted.lost is not None:
            # The test that lost it was failed for it (tests/vm/fabric_loss.py); the lost guests
            # have no log left to read.
            return
        director.copy_logs(booted.director, runs.current() / "director" / kernel.release)
        unread = unread_splats(booted)
        if unread:
            pytest.fail(
                "kernel log shows splats written after the last test:\n" + "\n\n".join(unread),
                pytrace=False,
            )
        if leak_checked:
            leaks = kmemleak.report(booted.host)
            if leaks:
                pytest.fail(f"kmemleak on the host:\n{leaks}", pytrace=False)


class KernelLog:
    """Kernel-log markers and scans on the guests of a fabric, for the test that runs now."""

    def __init__(self, fabric: Fabric, label: str) -> None:
        self.fabric = fabric
        self.label = label

    def mark(self, guest: Guest | None = None) -> None:
        """Mark every guest's log, or only `guest`'s (one booted during the test)."""
        for each in [guest] if guest else self.fabric.guests:
            each.console.run(crashscan.mark_command(self.label))

    def splats(self, guest: Guest) -> list[crashscan.Splat]:
        """The splats since this test's marker; what the log holds since it is kept in the
        run's artifacts (harness/runs.py)."""
        log = crashscan.after_mark(guest.console.output(crashscan.TAIL_COMMAND), self.label)
        (runs.excerpt_dir(self.label) / f"{guest.name}.log").write_text(log)
        return crashscan.scan(log)

    def conclude(self, lost_ok: bool = False) -> list[str]:
        """problems(), then a checkpoint marker on each usable guest, so that the next scan
        (unread_splats) starts after what this one read. A console log level found raised is
        set back (tests/conftest.py RAISED_LOGLEVELS)."""
        reports = self.problems(lost_ok)
        for guest in self.fabric.guests:
            if guest.fault() is None:
                self._check_loglevel(guest)
                guest.console.run(crashscan.mark_command(f"{self.label}.checked"))
        return reports

    def _check_loglevel(self, guest: Guest) -> None:
        raised = guest.console.output(crashscan.loglevel_command(qemu.CONSOLE_LOGLEVEL))
        if raised.strip():
            RAISED_LOGLEVELS.append(f"{guest.name}, by the end of {self.label}: {raised}")

    def take(self, guest: Guest) -> list[crashscan.Splat]:
        """Splats since the marker, which the caller owns: the guard will not report them."""
        found = self.splats(guest)
        self.mark()
        return found

    def problems(self, lost_ok: bool = False) -> list[str]:
        """Guests lost (QEMU exited, or not answering) and splats since the marker, as reports
        to fail a test with; with `lost_ok` (a test that loses a guest on purpose) only the
        splats of the guests that still answer."""
        reports = []
        for guest in self.fabric.guests:
            why = guest.probe()
            if why is not None:
                if not lost_ok:
                    reports.append(f"{why}:\n{guest.console_tail()}")
                continue
            reports.extend(f"{guest.name}: {splat}" for splat in self.splats(guest))
        return reports


def restore_host(fabric: Fabric, log: KernelLog | None = None) -> Guest:
    """An ordinary host VM in place of the current one, for the tests that follow: the log
    guard scans it from here (with `log`), and kmemleak counts only what it loses from here."""
    host = fabric.replace_host()
    if log is not None:
        log.mark(host)
    if kmemleak.available(host):
        kmemleak.forget(host)
    return host


def unread_splats(fabric: Fabric) -> list[str]:
    """Splats in what no test's scan has read yet: written after the last checkpoint, while
    fixtures were set up or torn down between tests, or while the guests booted."""
    reports = []
    for guest in fabric.guests:
        if guest.fault() is None:
            log = guest.console.output(crashscan.TAIL_COMMAND)
            found = crashscan.scan(crashscan.after_newest_mark(log))
            reports.extend(f"{guest.name}: {splat}" for splat in found)
    return reports


@pytest.fixture
def kernel_log(request: pytest.FixtureRequest, fabric: Fabric) -> KernelLog:
    """Marks both guests' kernel logs; tests/vm/conftest.py scans them after the test. A splat
    written since the previous test's scan (its teardown, or this test's module and session
    fixtures) fails this test's set-up."""
    label = re.sub(r"[^\w.-]", "_", request.node.nodeid)[-120:]
    log = KernelLog(fabric, label)
    unread = unread_splats(fabric)
    log.mark()
    if unread:
        pytest.fail(
            "kernel log shows splats written before this test began (the previous test's"
            " teardown, this test's fixtures, or the boot):\n" + "\n\n".join(unread),
            pytrace=False,
        )
    return log
