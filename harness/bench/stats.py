"""What a bench figure is: the median of its repetitions, with their range beside it. One run
is not a measurement; the spread says how far a median can be trusted."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

RANGE = "\u2013"  # an en dash between the lowest and the highest


@dataclass(frozen=True)
class Summary:
    """The median of `count` repetitions and the lowest and highest of them."""

    median: float
    low: float
    high: float
    count: int

    def cell(self, digits: int = 2) -> str:
        """`median (low-high)`, or the value alone when there was one repetition."""
        value = f"{self.median:.{digits}f}"
        if self.count == 1:
            return value
        return f"{value} ({self.low:.{digits}f}{RANGE}{self.high:.{digits}f})"


def summarize(values: Sequence[float] | None) -> Summary | None:
    """The summary of a figure's repetitions; None when none of them gave a figure."""
    if not values:
        return None
    return Summary(
        median=statistics.median(values), low=min(values), high=max(values), count=len(values)
    )


def ratio(ours: Summary | None, theirs: Summary | None) -> float | None:
    """Ours over theirs, median over median; None when either is missing or theirs is 0."""
    if ours is None or theirs is None or not theirs.median:
        return None
    return ours.median / theirs.median
