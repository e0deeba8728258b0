"""A change a card's control plane could not make, tried again a while later without waiting
for the configuration to change again (fcgw and ethgw: taking their card down or up), and
logged once per run of failures."""

from __future__ import annotations

import time


class Retry:
    def __init__(self, period: float) -> None:
        self.period = period
        self.failed_at: float | None = None  # monotonic time of the last failure; None: none

    def failed(self) -> bool:
        """Note a failure now; True on the first of a run of them (the one to log)."""
        first = self.failed_at is None
        self.failed_at = time.monotonic()
        return first

    def succeeded(self) -> bool:
        """Note a success; True when it ends a run of failures."""
        ended = self.failed_at is not None
        self.failed_at = None
        return ended

    @property
    def pending(self) -> bool:
        return self.failed_at is not None

    def due(self) -> bool:
        return self.failed_at is not None and time.monotonic() - self.failed_at >= self.period
