"""A running test guest: its QEMU process, console log and shell."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TextIO

import pexpect

from harness.console import Console, ConsoleError
from harness.qemu import GuestSpec, command

BOOT_TIMEOUT = 300.0
READY = r"XS-GUEST-READY[^\r\n]*"
BOOT_FAILURES = [r"XS-STAGE1-FAILED[^\r\n]*", r"Kernel panic[^\r\n]*"]


class BootError(ConsoleError):
    pass


class Guest:
    """A guest booted by QEMU whose serial console is driven by pexpect."""

    def __init__(self, spec: GuestSpec, log_dir: Path, append_log: bool = False) -> None:
        """Boot a guest; its console goes to <role>.console.log, after what an earlier guest of
        that role wrote there with `append_log`."""
        self.spec = spec
        self.name = spec.role
        log_dir.mkdir(parents=True, exist_ok=True)
        self.console_log_path = log_dir / f"{spec.role}.console.log"
        self._log: TextIO = self.console_log_path.open(
            "a" if append_log else "w", encoding="utf-8", errors="replace"
        )
        argv = command(spec)
        self._log.write("# " + " ".join(argv) + "\n")
        self._child = pexpect.spawn(
            argv[0],
            argv[1:],
            encoding="utf-8",
            codec_errors="replace",
            timeout=BOOT_TIMEOUT,
            maxread=65536,
            searchwindowsize=None,
        )
        self._child.logfile_read = self._log
        self.console = Console(self._child, self.name)
        self.boot_seconds: float | None = None
        self._started = time.monotonic()

    def wait_ready(self, timeout: float = BOOT_TIMEOUT) -> None:
        try:
            index = self._child.expect([READY, *BOOT_FAILURES], timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            raise BootError(f"[{self.name}] did not boot:\n{self.console_tail()}") from exc
        if index != 0:
            raise BootError(
                f"[{self.name}] boot failed: {self._child.after}\n{self.console_tail()}"
            )
        self.boot_seconds = time.monotonic() - self._started
        self.console.prepare_shell()

    def console_tail(self, lines: int = 60) -> str:
        self._log.flush()
        text = self.console_log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self._child.isalive()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Power the guest off, or kill QEMU when the guest does not answer."""
        if self._child.isalive():
            self._child.sendline("sync; busybox poweroff -f")
            with contextlib.suppress(pexpect.TIMEOUT):
                self._child.expect(pexpect.EOF, timeout=timeout)
        self._child.close(force=True)
        self._log.close()
