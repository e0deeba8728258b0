"""Integer literals shared by the C and Python renderings."""

from __future__ import annotations


def int_literal(value: int) -> str:
    """Small numbers and sizes (powers of two) read best in decimal, codes and masks in hex."""
    if value < 256 or (value <= 65536 and value & (value - 1) == 0):
        return str(value)
    return f"0x{value:x}"
