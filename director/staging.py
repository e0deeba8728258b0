"""A connection's staging buffer: where data waits on its way to or from the host, used as a
ring. A region is taken just before the RDMA operation that uses it is posted, and is free
again once that operation has completed; the connection's RDMA operations complete in the
order they were posted, so regions are freed in the order they were taken. A region that an
RDMA READ fills is kept until its taker has copied the data out (release_kept()).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

ALIGN = 64  # regions start on cache lines


def _aligned(length: int) -> int:
    return max(ALIGN, (length + ALIGN - 1) // ALIGN * ALIGN)


class RdmaOrder(Protocol):
    """What the staging buffer needs of its connection (director.rc_conn.RcConnection)."""

    rdma_posted: int
    rdma_done: int

    def wait_rdma(self, number: int) -> None: ...


@dataclass(slots=True)
class Region:
    start: int
    end: int
    number: int  # of the RDMA operation using it
    kept: bool  # until release_kept()


class Staging:
    """`size` bytes of registered memory (`mr`, whatever the caller registered) over `conn`."""

    def __init__(self, conn: RdmaOrder, mr: object, size: int) -> None:
        self.conn = conn
        self.mr = mr
        self.size = size
        self.regions: deque[Region] = deque()  # oldest first

    def has_room(self, length: int) -> bool:
        """Whether take(length) would return without waiting."""
        self._reclaim()
        return self._fit(_aligned(length)) is not None

    def take(self, length: int, keep: bool = False) -> int:
        """The offset of `length` free bytes for the next RDMA operation the caller posts on
        the connection; waits for older operations to complete when the ring is full. A
        `keep` region stays taken after its operation completes, until release_kept()."""
        length = _aligned(length)
        if length > self.size:
            raise ValueError(f"{length} bytes do not fit a {self.size}-byte staging buffer")
        while True:
            self._reclaim()
            start = self._fit(length)
            if start is not None:
                break
            oldest = self.regions[0]
            if oldest.kept:
                raise RuntimeError("staging buffer full of kept regions: release_kept() first")
            self.conn.wait_rdma(oldest.number)
        self.regions.append(Region(start, start + length, self.conn.rdma_posted + 1, keep))
        return start

    def release_kept(self) -> None:
        """The kept regions' data has been copied out: they are free once their operations
        complete."""
        for region in self.regions:
            region.kept = False

    def _reclaim(self) -> None:
        done = self.conn.rdma_done
        while self.regions and not self.regions[0].kept and self.regions[0].number <= done:
            self.regions.popleft()

    def _fit(self, length: int) -> int | None:
        if not self.regions:
            return 0
        first = self.regions[0].start
        last_start, head = self.regions[-1].start, self.regions[-1].end
        if last_start >= first:  # in use: [first, head)
            if self.size - head >= length:
                return head
            return 0 if first >= length else None
        # wrapped, in use: [first, size) and [0, head)
        return head if first - head >= length else None
