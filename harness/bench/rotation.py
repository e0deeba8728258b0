"""The order of a bench's measurements: every repetition runs every item once, and each
repetition starts one item further on, so no contender or job always runs first (on a cold
cache) or right after the same neighbour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def rotated(items: Sequence[T], turn: int) -> list[T]:
    """`items` started `turn` places on, wrapping round."""
    if not items:
        return []
    start = turn % len(items)
    return [*items[start:], *items[:start]]


def schedule(items: Sequence[T], repetitions: int) -> list[tuple[int, T]]:
    """(repetition, item) in the order they run: repetition by repetition, each rotated."""
    return [(turn, item) for turn in range(repetitions) for item in rotated(items, turn)]
