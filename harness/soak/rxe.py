"""Faults of rxe (or of the TCG guest under it) that the soak counts apart from ours: each is a
fingerprint documented in docs/rxe-notes.md by its name. A splat matches when its first line
and the lines quoted with it (the call trace) both match."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness import crashscan


@dataclass(frozen=True)
class Fingerprint:
    name: str  # as docs/rxe-notes.md names it
    first_line: re.Pattern[str]
    trace: re.Pattern[str]


FINGERPRINTS = (
    Fingerprint(
        "double fault in an rxe packet allocation",
        re.compile(r"double fault"),
        re.compile(r"\brxe_init_packet\b"),
    ),
)


def fingerprint(splat: crashscan.Splat) -> str | None:
    """The name of the documented rxe fault this splat is, or None."""
    for known in FINGERPRINTS:
        if known.first_line.search(splat.line) and known.trace.search(splat.excerpt):
            return known.name
    return None


def classify(console_tail: str) -> tuple[list[str], list[str]]:
    """The splats of a lost guest's console: (the documented rxe faults, the others)."""
    rxe: list[str] = []
    others: list[str] = []
    for splat in crashscan.scan(console_tail):
        name = fingerprint(splat)
        if name is not None:
            rxe.append(name)
        elif rxe and splat.kind == "panic" and "Fatal exception" in splat.line:
            continue  # the panic that the fingerprinted oops ends in
        else:
            others.append(f"{splat.kind}: {splat.line}")
    return rxe, others
