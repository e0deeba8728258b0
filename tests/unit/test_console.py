"""The console driver on a local shell: exit statuses, output, timeouts and recovery. That
Ctrl-C reaches a guest through QEMU, rather than stopping QEMU, is tests/unit/test_qemu.py's and
tests/vm/test_console_timeout.py's."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from harness import console as console_module
from harness.console import CommandFailed, CommandTimeout, Console, ConsoleError


def _interruptible() -> None:
    """In the shell's process: SIGINT at its default. A run started in the background by a
    non-interactive shell (`make test &`) ignores it, and children keep an ignored signal, so
    no Ctrl-C would stop their commands; a guest's shell, which this stands in for, has it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def console() -> Iterator[Console]:
    child = pexpect.spawn(
        "sh",
        ["-i"],
        encoding="utf-8",
        env={"PS1": "$ ", "PATH": "/usr/bin:/bin"},
        preexec_fn=_interruptible,
    )
    con = Console(child, "local")
    con.prepare_shell()
    yield con
    child.close(force=True)


def test_output_is_exactly_what_the_command_printed(console: Console) -> None:
    assert console.output("printf 'a\\nb\\n'") == "a\nb"


def test_exit_status_is_reported(console: Console) -> None:
    assert console.run("exit_with() { return $1; }; exit_with 3", check=False).status == 3


def test_failing_command_raises_with_its_output(console: Console) -> None:
    with pytest.raises(CommandFailed) as info:
        console.run("echo oops; false")
    assert info.value.result.status == 1
    assert "oops" in str(info.value)


def test_background_command_does_not_break_the_protocol(console: Console) -> None:
    console.run("sleep 0.1 &")
    assert console.output("echo after") == "after"


def test_timeout_interrupts_the_command_and_the_shell_stays_usable(console: Console) -> None:
    with pytest.raises(CommandTimeout) as info:
        console.run("sleep 30", timeout=1)
    assert "Ctrl-C interrupted it" in str(info.value)
    assert console.fault is None
    assert console.output("echo alive", timeout=10) == "alive"


def test_after_a_timeout_the_next_command_reads_none_of_the_interrupted_ones_output(
    console: Console,
) -> None:
    """The resync marker after Ctrl-C consumes what the interrupted command printed."""
    with pytest.raises(CommandTimeout) as info:
        console.run("echo leftover; sleep 30", timeout=1)
    assert "leftover" in str(info.value)
    assert console.output("echo next", timeout=10) == "next"


def test_a_shell_that_does_not_answer_after_ctrl_c_is_reported_unresponsive(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command that ignores SIGINT keeps the shell from the resync: the timeout says so,
    and the console refuses further commands at once instead of waiting on them."""
    monkeypatch.setattr(console_module, "RESYNC_TIMEOUT", 1.0)
    console.run("trap '' INT")
    with pytest.raises(CommandTimeout) as info:
        console.run("sleep 30", timeout=1)
    assert "console unresponsive" in str(info.value)
    assert console.fault is not None and "unresponsive" in console.fault
    with pytest.raises(ConsoleError, match="not running `echo again`: console unresponsive"):
        console.run("echo again", timeout=30)


def test_wait_until_polls_until_the_condition_holds(console: Console, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    console.run(f"(sleep 0.3; touch {flag}) &")
    assert console.wait_until(f"test -e {flag}", timeout=5, interval=0.1)


def test_wait_until_gives_up_after_the_timeout(console: Console, tmp_path: Path) -> None:
    assert not console.wait_until(f"test -e {tmp_path / 'never'}", timeout=0.3, interval=0.1)


def test_wait_until_reports_a_condition_seen_to_hold_even_if_it_stops(
    console: Console, tmp_path: Path
) -> None:
    """A state observed is reported: the link that came up and went down again right after
    (the flaky hostile-XCM test) must not read as never up."""
    flag = tmp_path / "flag"
    condition = f"test -e {flag} && rm {flag}"  # holds once, then no more
    console.run(f"(sleep 0.3; touch {flag}) &")
    assert console.wait_until(condition, timeout=5, interval=0.1)
