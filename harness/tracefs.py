"""The trace events of our modules in a guest, through tracefs: turned on for a system (xscore,
xsvhba), the buffer read back, then off again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from harness.vm import Guest

TRACING = "/sys/kernel/tracing"
# Enough for a test's worth of events (per CPU; the guests have one).
BUFFER_KIB = 4096
# "<task>-<pid> [cpu] flags timestamp: event: text"
_LINE = re.compile(r"^\s*\S.*?\[\d+\]\s+\S+\s+[\d.]+:\s+(\w+):\s?(.*)$")


@dataclass(frozen=True)
class TraceEvent:
    name: str
    text: str


def parse(trace: str) -> list[TraceEvent]:
    """The events of a tracefs `trace` file's text (its comment header left out)."""
    return [
        TraceEvent(m.group(1), m.group(2))
        for line in trace.splitlines()
        if not line.startswith("#") and (m := _LINE.match(line))
    ]


def _mount(guest: Guest) -> None:
    guest.console.run(f"test -e {TRACING}/trace || mount -t tracefs tracefs {TRACING}", check=True)


@contextmanager
def recording(guest: Guest, *systems: str) -> Iterator[None]:
    """Record the events of `systems` from an empty buffer while the block runs."""
    con = guest.console
    _mount(guest)
    con.run(f"echo {BUFFER_KIB} > {TRACING}/buffer_size_kb")
    con.run(f": > {TRACING}/trace")
    for system in systems:
        con.run(f"echo 1 > {TRACING}/events/{system}/enable")
    try:
        yield
    finally:
        for system in systems:
            con.run(f"echo 0 > {TRACING}/events/{system}/enable", check=False)


def events(guest: Guest, name: str | None = None) -> list[TraceEvent]:
    """What the buffer holds now, or only the events called `name`."""
    found = parse(guest.console.output(f"cat {TRACING}/trace", timeout=120))
    return [event for event in found if name is None or event.name == name]
