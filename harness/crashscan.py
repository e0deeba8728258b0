"""Find kernel splats in a kernel log: the oracle that fails any test that hurt the kernel.

Tests write a marker to /dev/kmsg before they start; only the log after the newest marker is
scanned, so each splat is charged to the test that caused it. A checkpoint marker after each scan
lets the next scan see what was written between two tests (fixture set-up and teardown), so no
part of the log goes unread.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MARK_PREFIX = "XS-MARK"
TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
# (kind, pattern searched in the message text without its timestamp)
SPLAT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("kernel BUG", r"kernel BUG at "),
        ("BUG", r"\bBUG: "),
        ("WARNING", r"^WARNING: "),
        ("Oops", r"\bOops\b"),
        ("general protection fault", r"general protection fault"),
        ("UBSAN", r"\bUBSAN: "),
        ("KASAN", r"\bKASAN: "),
        ("hung task", r"INFO: task \S+ blocked for more than"),
        ("lockdep", r"possible circular locking dependency"),
        ("lockdep", r"possible recursive locking"),
        ("RCU", r"suspicious RCU usage"),
        ("RCU stall", r"rcu: INFO: \S+ (self-)?detected stall"),
        ("kmemleak", r"unreferenced object 0x"),
        ("panic", r"Kernel panic - not syncing"),
    )
)
END_OF_SPLAT = re.compile(r"---\[ end (trace|Kernel panic)")
QUOTE_LINES = 40


@dataclass(frozen=True)
class Splat:
    kind: str
    line: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.line}\n{self.excerpt}"


def message(line: str) -> str:
    return TIMESTAMP.sub("", line.rstrip("\r"))


def _after_last(log: str, is_mark: Callable[[str], bool]) -> str | None:
    """The lines after the last one whose message is_mark() accepts; None if none does."""
    lines = log.splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if is_mark(message(lines[index])):
            return "\n".join(lines[index + 1 :])
    return None


def after_mark(log: str, label: str) -> str:
    """The part of a kernel log written after the newest marker with this label."""
    needle = f"{MARK_PREFIX} {label}"
    after = _after_last(log, needle.__eq__)
    if after is None:
        raise LookupError(f"marker {needle!r} is not in the kernel log (ring buffer overrun?)")
    return after


def after_newest_mark(log: str) -> str:
    """The part of a kernel log written after its newest marker of any label; all of a log that
    has none (a guest's boot)."""
    after = _after_last(log, lambda text: text.startswith(f"{MARK_PREFIX} "))
    return log if after is None else after


def scan(log: str) -> list[Splat]:
    """Every splat in the log, each quoted with the lines that follow it. Blank lines do not
    count: a serial console's log has one after each kernel line (its lines end in \\r\\r\\n),
    and they would halve the quote."""
    lines = [line for line in log.splitlines() if line.strip()]
    splats: list[Splat] = []
    index = 0
    while index < len(lines):
        text = message(lines[index])
        kind = next((k for k, pattern in SPLAT_PATTERNS if pattern.search(text)), None)
        if kind is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and end - index < QUOTE_LINES:
            end += 1
            if END_OF_SPLAT.search(lines[end - 1]):
                break
        splats.append(Splat(kind, text, "\n".join(lines[index:end])))
        index = end
    return splats


# The guest's kernel log from its newest marker on: a test's scan reads only that much over the
# console, not the whole log of a long session.
TAIL_COMMAND = f"dmesg | tac | sed '/{MARK_PREFIX} /q' | tac"


def mark_command(label: str) -> str:
    """The guest shell command that writes a marker into the kernel log."""
    if not re.fullmatch(r"[\w.:/\[\]-]+", label):
        raise ValueError(f"marker label {label!r} has characters unsafe for a shell")
    return f"echo '{MARK_PREFIX} {label}' > /dev/kmsg"


# The kernel raises its console log level when it reports trouble (console_verbose(): an oops,
# a panic, lockdep, a hung task set to panic) or when told (sysrq, dmesg -n). Raised, every
# message reaches the console the harness reads commands' output from. This prints nothing
# while the level is `expected`; else the level and the log's tail, and sets it back.
def loglevel_command(expected: int, tail: int = 40, printk: str = "/proc/sys/kernel/printk") -> str:
    return (
        f"read level rest < {printk};"
        f' if [ "$level" -gt {expected} ]; then dmesg -n {expected};'
        f' echo "console log level $level"; dmesg | tail -n {tail}; fi'
    )
