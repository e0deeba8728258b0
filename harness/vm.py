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
# How long a live guest has to answer a trivial command before it counts as unresponsive.
PROBE_TIMEOUT = 20.0
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
        if not self._log.closed:
            self._log.flush()
        text = self.console_log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self._child.isalive()

    @property
    def pid(self) -> int:
        """QEMU's process id."""
        return self._child.pid

    def fault(self) -> str | None:
        """Why this guest can no longer be used, without asking it anything: its QEMU exited
        (with the console's last line, which is QEMU's own message when QEMU quit), or its
        console refuses commands (harness/console.py); None when neither."""
        if not self._child.isalive():
            if self._child.signalstatus is not None:
                how = f"was killed by signal {self._child.signalstatus}"
            else:
                how = f"exited with status {self._child.exitstatus}"
            return f"{self.name} VM's QEMU {how}; its console's last line: {self._last_line()!r}"
        if self.console.fault is not None:
            return f"{self.name} VM: {self.console.fault}"
        return None

    def probe(self, timeout: float = PROBE_TIMEOUT) -> str | None:
        """fault(), or else whether the shell answers a trivial command within `timeout`."""
        why = self.fault()
        if why is None:
            try:
                self.console.run("true", timeout=timeout)
            except ConsoleError as exc:
                why = self.fault() or f"{self.name} VM: {exc}"
        return why

    def _last_line(self) -> str:
        """The console's last line that is not the console protocol's own (harness/console.py
        markers, and their echo once QEMU is gone and the terminal echoes again)."""
        lines = self.console_tail(20).splitlines()
        ours = [line for line in lines if line.strip() and "__XS_" not in line]
        return ours[-1].strip() if ours else ""

    def kill(self, why: str) -> None:
        """Stop QEMU at once (a guest that is lost, not one to power off cleanly); the console
        refuses commands from now on, with `why`."""
        self.console.close(why)
        self._child.close(force=True)
        self._log.close()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Power the guest off, or kill QEMU when the guest does not answer."""
        self.console.close("the guest was shut down")
        if self._child.isalive():
            self._child.sendline("sync; busybox poweroff -f")
            with contextlib.suppress(pexpect.TIMEOUT):
                self._child.expect(pexpect.EOF, timeout=timeout)
        self._child.close(force=True)
        self._log.close()
