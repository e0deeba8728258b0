"""Helpers of the generated codecs (hand-written; the codecs themselves are generated)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def need(buf: bytes | bytearray | memoryview, offset: int, size: int, what: str) -> None:
    """Refuse to decode from a buffer too short to hold the object."""
    if offset < 0 or len(buf) - offset < size:
        raise ValueError(f"{what}: need {size} bytes at offset {offset}, buffer has {len(buf)}")


def fit(value: bytes, size: int, what: str) -> bytes:
    """A byte string for a fixed-size field (struct pads it with NULs), refused if too long:
    struct would cut it silently."""
    if len(value) > size:
        raise ValueError(f"{what}: {len(value)} bytes do not fit in {size}")
    return value


def pad_items(items: Sequence[T], count: int, make: Callable[[], T], what: str) -> list[T]:
    """An array field's items, padded with defaults up to its fixed count."""
    if len(items) > count:
        raise ValueError(f"{what}: {len(items)} items do not fit in {count}")
    return [*items, *(make() for _ in range(count - len(items)))]


def cstr(value: bytes) -> str:
    """The text of a char[] field: up to its first NUL, non-ASCII bytes escaped."""
    return value.split(b"\0", 1)[0].decode("ascii", "backslashreplace")
