"""The console driver on a local shell: exit statuses, output, timeouts and recovery."""

from __future__ import annotations

from collections.abc import Iterator

import pexpect
import pytest

from harness.console import CommandFailed, CommandTimeout, Console


@pytest.fixture
def console() -> Iterator[Console]:
    child = pexpect.spawn(
        "sh", ["-i"], encoding="utf-8", env={"PS1": "$ ", "PATH": "/usr/bin:/bin"}
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
    with pytest.raises(CommandTimeout):
        console.run("sleep 30", timeout=1)
    assert console.output("echo alive", timeout=10) == "alive"
