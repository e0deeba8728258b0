"""What a hostile or broken host sends the FC card: command IOCBs whose handles, scatter list,
LUN or byte count lie, and a write index past the ring. The host's xsvhba builds them (its
debugfs inject, by name), since they go through its own ring; the card must refuse each and
count it in its stats, and serve the vHBA on (the ring index drops its connections, after
which it reconnects)."""

from __future__ import annotations

from xsfuzz.kind import Kind, Target


def _inject(name: str, doc: str, counter: str) -> Kind:
    kind_name = f"host-{name.replace('_', '-')}"
    return Kind(kind_name, Target.HOST_TO_FC_CARD, doc, f"fc_card:{counter}", inject=name)


KINDS: list[Kind] = [
    _inject("bad_handle", "a handle past the vHBA's slots", "bad_handle"),
    _inject("dup_handle", "a handle already in flight", "dup_handle"),
    _inject("two_segments", "two data segments where the card takes one", "bad_sg"),
    _inject("short_segment", "a data segment short of the byte count", "bad_length"),
    _inject("lun_300", "LUN 300, past the 256 a target reports", "bad_lun"),
    _inject(
        "length_mismatch",
        "a byte count of 8 blocks for a CDB of 1: the card would read past the I/O",
        "length_mismatch",
    ),
    _inject("ring_index", "a write index past the ring: the card drops the vHBA", "ring_index"),
]
