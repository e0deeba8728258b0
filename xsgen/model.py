"""The spec model: structs of fixed-size fields with explicit byte order, enums and constants."""

from __future__ import annotations

from dataclasses import dataclass, field

SCALARS = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}
OCTETS = {"bytes", "char"}
BYTE_ORDERS = {"be", "le"}


class SpecError(ValueError):
    """A spec that cannot describe a wire format; the message names the file and the field."""


@dataclass(frozen=True)
class Constant:
    name: str
    value: int | str
    doc: str
    type: str | None = None
    spelling: str | None = None  # the integer as the spec wrote it (decimal or 0x hex)


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: int
    doc: str


@dataclass(frozen=True)
class Enum:
    name: str
    doc: str
    values: tuple[EnumValue, ...]
    flags: bool = False


@dataclass
class Field:
    name: str
    type: str
    doc: str
    count: int | None = None
    order: str | None = None
    offset: int = 0
    element_size: int = 0
    struct: Struct | None = None

    @property
    def size(self) -> int:
        return self.element_size * (self.count or 1)

    @property
    def is_scalar(self) -> bool:
        return self.type in SCALARS

    @property
    def is_octets(self) -> bool:
        return self.type in OCTETS


@dataclass
class Struct:
    name: str
    doc: str
    size: int
    fields: list[Field] = field(default_factory=list)
    packed: bool = False

    @property
    def alignment(self) -> int:
        if self.packed:
            return 1
        return max((_natural_alignment(f) for f in self.fields), default=1)


def _natural_alignment(f: Field) -> int:
    if f.is_scalar:
        return SCALARS[f.type]
    if f.struct is not None:
        return f.struct.alignment
    return 1


def needs_packing(struct: Struct) -> bool:
    """Whether a C compiler's natural layout would differ from the wire layout."""
    offset = 0
    align = 1
    for f in struct.fields:
        a = _natural_alignment(f)
        align = max(align, a)
        offset = (offset + a - 1) // a * a
        if offset != f.offset:
            return True
        offset += f.size
    return (offset + align - 1) // align * align != struct.size


@dataclass
class Spec:
    name: str
    doc: str
    source: str
    constants: list[Constant]
    enums: list[Enum]
    structs: list[Struct]
    order: str = "be"

    def struct(self, name: str) -> Struct:
        for s in self.structs:
            if s.name == name:
                return s
        raise KeyError(name)
