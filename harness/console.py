"""Drive a guest's serial console: run shell commands with an exit status and a timeout.

Each command is followed by an echo of a unique marker carrying `$?`. The marker's digits only
exist in the shell's output, never in an echo of the command line, so the result is unambiguous
even before terminal echo has been turned off.

A command that outlives its timeout is interrupted with Ctrl-C, which must reach the guest's tty
and not the QEMU that carries it (harness/qemu.py). The console then resynchronises: one more
marker, whose echo proves the shell is back at its prompt and leaves the interrupted command's
output behind. A guest that does not answer it is unresponsive: the console says so (`fault`)
and refuses further commands at once, rather than let each one wait out its own timeout.
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
import secrets
import select
from dataclasses import dataclass
from typing import BinaryIO

import pexpect

DEFAULT_TIMEOUT = 120.0
# How long a guest has to answer the resync after an interrupted command.
RESYNC_TIMEOUT = 15.0


class ConsoleError(Exception):
    """The guest did not answer as a shell should."""


@dataclass(frozen=True)
class Result:
    command: str
    status: int
    output: str

    @property
    def ok(self) -> bool:
        return self.status == 0


class CommandFailed(ConsoleError):
    def __init__(self, where: str, result: Result) -> None:
        self.result = result
        super().__init__(
            f"[{where}] `{result.command}` exited {result.status}:\n{result.output.rstrip()}"
        )


class CommandTimeout(ConsoleError):
    pass


class Console:
    """A shell on a pexpect-spawned serial console."""

    def __init__(self, child: pexpect.spawn, name: str) -> None:
        self._child = child
        self.name = name
        self._session = secrets.token_hex(3)
        self._counter = itertools.count(1)
        # Why this console takes no more commands (closed, or the guest stopped answering).
        self.fault: str | None = None

    def close(self, why: str) -> None:
        """Take no more commands: each would fail with `why`."""
        if self.fault is None:
            self.fault = why

    def interact(self, keys_in: int, out: BinaryIO, escape: bytes, typed: bytes = b"") -> bytes:
        """Relay a person's terminal to the guest: `typed`, then what `keys_in` (a terminal in
        raw mode) gives, to the guest; the guest's output to `out` and to the console's log.
        Until `escape` comes; what was typed after it is returned, not lost."""
        child = self._child
        fd = child.child_fd
        if child.buffer:  # read by pexpect already, not yet shown
            out.write(child.buffer.encode())
            out.flush()
            child.buffer = ""
        log = child.logfile_read
        text = codecs.getincrementaldecoder("utf-8")("replace")
        keys = typed
        while True:
            head, sep, rest = keys.partition(escape)
            if head:
                os.write(fd, head)
            if sep:
                return rest
            ready, _, _ = select.select([keys_in, fd], [], [])
            keys = b""
            if fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    self.close("the guest's console closed")
                    raise ConsoleError(f"[{self.name}] the console closed")
                out.write(data)
                out.flush()
                if log is not None:
                    log.write(text.decode(data))
                    log.flush()
            if keys_in in ready:
                keys = os.read(keys_in, 1024)

    def abandon_line(self) -> None:
        """Ctrl-C, then Ctrl-U: what a person left running or half typed goes, so that the
        next line reaches the shell."""
        self._child.sendcontrol("c")
        self._child.sendcontrol("u")

    def prepare_shell(self) -> None:
        """Silence echo, prompts and job notices so that output is exactly what commands print."""
        self.run("stty -echo -onlcr cols 1000; set +m; PS1=''; PS2=''", timeout=30)

    def run(self, command: str, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> Result:
        if self.fault is not None:
            raise ConsoleError(f"[{self.name}] not running `{command}`: {self.fault}")
        token = self._token()
        joiner = " " if command.rstrip().endswith("&") else "; "
        self._child.sendline(f"{command}{joiner}echo {token}$?__")
        try:
            self._child.expect(re.escape(token) + r"(\d+)__", timeout=timeout)
        except pexpect.TIMEOUT as exc:
            output = self._before()
            raise CommandTimeout(
                f"[{self.name}] `{command}` did not finish within {timeout:.0f} s;"
                f" {self._interrupt(command)}; output so far:\n{output}"
            ) from exc
        except pexpect.EOF as exc:
            self.close("console closed (QEMU exited)")
            raise ConsoleError(
                f"[{self.name}] console closed while running `{command}`:\n{self._before()}"
            ) from exc
        result = Result(command, int(self._child.match.group(1)), self._clean(self._child.before))
        if check and not result.ok:
            raise CommandFailed(self.name, result)
        return result

    def _token(self) -> str:
        return f"__XS_{self._session}_{next(self._counter)}_"

    def _interrupt(self, command: str) -> str:
        """Ctrl-C the running command, then wait for the shell to echo a fresh marker, which
        discards whatever the interrupted command printed. Says how that went."""
        self._child.sendcontrol("c")
        token = self._token()
        self._child.sendline(f"echo {token}$?__")
        try:
            self._child.expect(re.escape(token) + r"\d+__", timeout=RESYNC_TIMEOUT)
        except pexpect.TIMEOUT:
            self.close(
                f"console unresponsive: the shell did not answer within {RESYNC_TIMEOUT:.0f} s"
                f" of the Ctrl-C that interrupted `{command}`"
            )
        except pexpect.EOF:
            self.close(f"console closed: QEMU exited on the Ctrl-C that interrupted `{command}`")
        return self.fault or "Ctrl-C interrupted it and the shell answered again"

    def wait_until(self, condition: str, timeout: float, interval: float = 0.5) -> bool:
        """Re-run the shell `condition` in the guest until it succeeds; False after `timeout`
        seconds. The loop runs in the guest, so polling costs no console round trips. True
        means the condition held when it was checked: it is not checked again, as a second
        look could find a state that has moved on since."""
        polls = max(1, int(timeout / interval))
        return self.run(
            f"__xs_met=; for i in $(seq {polls}); do if {condition}; then __xs_met=1; break; fi;"
            f' sleep {interval}; done; [ -n "$__xs_met" ] || {{ {condition}; }}',
            timeout=timeout + 60,
            check=False,
        ).ok

    def output(self, command: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Run a command that must succeed and return what it printed."""
        return self.run(command, timeout=timeout).output

    def _before(self) -> str:
        before = self._child.before
        return self._clean(before) if isinstance(before, str) else ""

    @staticmethod
    def _clean(text: str) -> str:
        text = text.replace("\r\n", "\n").replace("\r", "")
        # Drop the echo of our own command line, if terminal echo was still on.
        lines = [line for line in text.split("\n") if "echo __XS_" not in line]
        return "\n".join(lines).strip("\n")
