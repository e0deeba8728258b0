"""`python -m harness shell`, driven as a person would drive it, through tmux: a console to
each VM with the product set up, Ctrl-] to switch, a gdb stub on each QEMU, and a clean quit.
Its own VM pair: it runs before the suite's shared fabric boots (tests/vm)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from harness import kernels, modules, shell
from harness.paths import REPO

BOOTED_WITHIN = 600.0  # the modules built, both VMs booted, the product set up
ANSWER_WITHIN = 60.0


class Pane:
    """One tmux session on a server of its own, running one command."""

    def __init__(self, command: str) -> None:
        self.server = f"xs-shell-test-{os.getpid()}"
        self.tmux = ["tmux", "-L", self.server]
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-s", "shell", "-x", "220", "-y", "50", command],
            cwd=REPO, check=True,
        )  # fmt: skip

    def text(self) -> str:
        out = subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-J", "-S", "-2000", "-t", "shell"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return out.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", "shell", *keys], check=True)

    def type(self, line: str) -> None:
        self.keys("-l", line)
        self.keys("Enter")

    def wait_for(self, pattern: str, within: float) -> re.Match[str]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            time.sleep(0.5)
        raise AssertionError(f"no {pattern!r} within {within:.0f} s:\n{self.text()[-3000:]}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], check=False, capture_output=True)


@pytest.fixture
def pane(kernel_id: str, kernel: kernels.Kernel, module_build: modules.Build) -> Iterator[Pane]:
    command = (
        f"{shlex.quote(sys.executable)} -m harness shell --kernel {shlex.quote(kernel_id)} --gdb;"
        " echo shell-exited=$?; sleep 600"
    )
    if shutil.which("tmux") is None:
        pytest.fail("tmux is missing: make test installs it (harness/bootstrap.sh)")
    started = Pane(command)
    try:
        yield started
    finally:
        started.close()


def gdb_packet(payload: str) -> bytes:
    return f"${payload}#{sum(payload.encode()) % 256:02x}".encode()


def ask_gdb_stub(port: int) -> bytes:
    """The stub's answer to '?' (why the target stopped), then a detach, which lets the
    guest run on."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as stub:
        stub.sendall(gdb_packet("?"))
        answer = b""
        while b"#" not in answer.lstrip(b"+"):
            answer += stub.recv(4096)
        stub.sendall(b"+" + gdb_packet("D"))
        time.sleep(0.5)
        return answer


@pytest.mark.default_kernel_only
def test_harness_shell_gives_each_vm_a_console_switched_with_ctrl_bracket(pane: Pane) -> None:
    pane.wait_for(re.escape(shell.BANNER), BOOTED_WITHIN)
    # The host first, its vNIC there: the product is set up.
    pane.type("echo on-$((6 * 7)); ls /sys/class/net")
    pane.wait_for(r"(?s)on-42\s.*xsvnic0", ANSWER_WITHIN)
    pane.keys("C-]")
    pane.wait_for(re.escape(shell.MENU), ANSWER_WITHIN)
    pane.keys("d")
    pane.wait_for(r"the director's console", ANSWER_WITHIN)
    pane.type("ls /sys/kernel/config/xsethgw; echo dir-$((7 * 6))")
    pane.wait_for(r"eth1\s+eth2\s+dir-42", ANSWER_WITHIN)
    # Each QEMU's gdb stub answers, and the guest runs on after the detach.
    ports = [int(p) for p in re.findall(r"gdb stub at 127\.0\.0\.1:(\d+)", pane.text())]
    assert len(ports) == 2, pane.text()[-3000:]
    for port in ports:
        assert re.match(rb"\+?\$[ST][0-9a-f]{2}", ask_gdb_stub(port)), port
    pane.type("echo still-$((5 * 5))")
    pane.wait_for(r"still-25", ANSWER_WITHIN)
    pane.keys("C-]")
    pane.wait_for(f"(?s){re.escape(shell.MENU)}.*{re.escape(shell.MENU)}", ANSWER_WITHIN)
    pane.keys("q")
    pane.wait_for(r"shell-exited=0", 120)
