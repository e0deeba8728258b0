"""Delivering the fuzz campaign's kinds (xsfuzz) in the VMs and checking that the receiver
counted each where the kind says."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from xsfuzz.kind import Kind

# Counted within this long of the last send (the receiver counts in its completion work).
COUNTED_WITHIN = 30.0


def deliver(
    kinds: Iterable[Kind],
    counted: Callable[[], dict[str, int]],
    send: Callable[[Kind], None],
    within: float = COUNTED_WITHIN,
) -> dict[str, tuple[int, int]]:
    """Send each kind, then wait for the receiver to count each where it says.

    `counted` reads the receiver's counters by "<where>:<counter>"; the answer is what fell
    short, each as (counted, wanted): empty when every kind was counted.
    """
    before = counted()
    wanted: dict[str, int] = {}
    for kind in kinds:
        send(kind)
        wanted[kind.counted_as] = wanted.get(kind.counted_as, 0) + 1
    deadline = time.monotonic() + within
    while True:
        after = counted()
        short = {
            where: (after.get(where, 0) - before.get(where, 0), want)
            for where, want in wanted.items()
            if after.get(where, 0) - before.get(where, 0) < want
        }
        if not short or time.monotonic() > deadline:
            return short
        time.sleep(1)
