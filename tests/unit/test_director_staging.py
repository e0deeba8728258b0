"""The FC card's staging buffer: regions are reused only after the RDMA operation that used
them has completed, in the order they were taken, without overlapping one still in use."""

from __future__ import annotations

import pytest

from director.staging import ALIGN, Staging


class FakeConnection:
    """RDMA operations numbered as a connection numbers them; complete() plays the CQ."""

    def __init__(self) -> None:
        self.rdma_posted = 0
        self.rdma_done = 0
        self.waited: list[int] = []

    def post(self) -> int:
        self.rdma_posted += 1
        return self.rdma_posted

    def complete(self, number: int) -> None:
        self.rdma_done = max(self.rdma_done, number)

    def wait_rdma(self, number: int) -> None:
        assert number <= self.rdma_posted, "waited for an operation never posted"
        self.waited.append(number)
        self.complete(number)


def take_and_post(staging: Staging, conn: FakeConnection, length: int) -> tuple[int, int]:
    at = staging.take(length)
    return at, conn.post()


def take_and_post_kept(staging: Staging, conn: FakeConnection) -> tuple[int, int]:
    at = staging.take(ALIGN, keep=True)
    return at, conn.post()


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_regions_in_use_never_overlap_while_the_ring_wraps() -> None:
    conn = FakeConnection()
    staging = Staging(conn, mr=None, size=16 * ALIGN)
    live: dict[int, tuple[int, int]] = {}  # operation number -> region
    lengths = [ALIGN, 3 * ALIGN, 5 * ALIGN, 2 * ALIGN, 7 * ALIGN, 100, 1]
    for step in range(200):
        length = lengths[step % len(lengths)]
        at, number = take_and_post(staging, conn, length)
        region = (at, at + max(ALIGN, -(-length // ALIGN) * ALIGN))
        assert region[1] <= staging.size
        for other_number, other in live.items():
            if other_number > conn.rdma_done:
                assert not overlaps(region, other), (step, region, other)
        live[number] = region
        if step % 3 == 2:
            conn.complete(number - 1)  # completions lag the posts
    assert conn.waited, "the ring never filled: the test did not exercise waiting"


def test_a_full_ring_waits_for_the_oldest_operation_only() -> None:
    conn = FakeConnection()
    staging = Staging(conn, mr=None, size=4 * ALIGN)
    for _ in range(4):
        take_and_post(staging, conn, ALIGN)
    at, _ = take_and_post(staging, conn, ALIGN)
    assert conn.waited == [1]
    assert at == 0


def test_completed_regions_are_reused_without_waiting() -> None:
    conn = FakeConnection()
    staging = Staging(conn, mr=None, size=4 * ALIGN)
    for _ in range(4):
        take_and_post(staging, conn, ALIGN)
    conn.complete(4)
    assert staging.has_room(4 * ALIGN)
    assert staging.take(4 * ALIGN) == 0
    assert conn.waited == []


def test_has_room_says_whether_take_would_wait() -> None:
    conn = FakeConnection()
    staging = Staging(conn, mr=None, size=4 * ALIGN)
    take_and_post(staging, conn, 3 * ALIGN)
    assert staging.has_room(ALIGN)
    assert not staging.has_room(2 * ALIGN)


def test_a_region_larger_than_the_buffer_is_refused() -> None:
    staging = Staging(FakeConnection(), mr=None, size=4 * ALIGN)
    with pytest.raises(ValueError):
        staging.take(4 * ALIGN + 1)


def test_a_kept_region_outlives_its_operation_until_released() -> None:
    conn = FakeConnection()
    staging = Staging(conn, mr=None, size=4 * ALIGN)
    kept, _ = take_and_post_kept(staging, conn)
    conn.complete(conn.rdma_posted)
    others = [take_and_post(staging, conn, ALIGN)[0] for _ in range(3)]
    assert kept not in others
    assert not staging.has_room(ALIGN)
    with pytest.raises(RuntimeError):
        staging.take(ALIGN)  # waiting would never free it
    staging.release_kept()
    conn.complete(conn.rdma_posted)
    assert staging.take(4 * ALIGN) == 0
