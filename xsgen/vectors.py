"""Golden vectors: byte strings written field by field in specs/vectors/*.yaml with the values
they must decode to. This module reads and checks them; the Python codecs decode them in tests
and xsgen/golden.py turns them into a C program built on the generated headers.

Hex syntax: whitespace-separated tokens, `#` starts a comment, `00*60` repeats a byte 60 times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from xsgen.model import Field, Spec, SpecError, Struct

REPEAT = re.compile(r"^([0-9a-fA-F]{2})\*(\d+)$")


@dataclass(frozen=True)
class Vector:
    name: str
    spec: str
    struct: str
    data: bytes
    fields: dict[str, Any]


def parse_hex(text: str, where: str) -> bytes:
    out = bytearray()
    for line in text.splitlines():
        for token in line.split("#", 1)[0].split():
            repeat = REPEAT.match(token)
            if repeat:
                out += bytes([int(repeat.group(1), 16)]) * int(repeat.group(2))
            elif re.fullmatch(r"([0-9a-fA-F]{2})+", token):
                out += bytes.fromhex(token)
            else:
                raise SpecError(f"{where}: bad hex token {token!r}")
    return bytes(out)


VECTOR_KEYS = {"name", "struct", "hex", "fields"}


def load_vectors(root: Path, specs: list[Spec]) -> list[Vector]:
    """Every vector of specs/vectors/<spec>.yaml, checked against its spec's struct."""
    by_name = {spec.name: spec for spec in specs}
    vectors: list[Vector] = []
    for path in sorted((root / "specs" / "vectors").glob("*.yaml")):
        spec = by_name.get(path.stem)
        if spec is None:
            raise SpecError(f"{path.relative_to(root)}: no spec named {path.stem}")
        seen: set[str] = set()
        for raw in yaml.safe_load(path.read_text()) or []:
            where = f"{path.relative_to(root)}: {raw.get('name')}"
            unknown = sorted(str(k) for k in raw if k not in VECTOR_KEYS)
            missing = sorted(k for k in VECTOR_KEYS - {"fields"} if k not in raw)
            if unknown or missing:
                raise SpecError(f"{where}: unknown keys {unknown}, missing keys {missing}")
            if raw["name"] in seen:
                raise SpecError(f"{where}: defined twice")
            seen.add(raw["name"])
            try:
                struct = spec.struct(str(raw["struct"]))
            except KeyError:
                raise SpecError(f"{where}: {spec.name} has no struct {raw['struct']}") from None
            data = parse_hex(str(raw["hex"]), where)
            if len(data) != struct.size:
                raise SpecError(
                    f"{where}: {len(data)} bytes, struct {struct.name} has {struct.size}"
                )
            vectors.append(
                Vector(
                    str(raw["name"]),
                    spec.name,
                    struct.name,
                    data,
                    complete(struct, raw.get("fields") or {}, where),
                )
            )
    return vectors


def complete(struct: Struct, given: dict[str, Any], where: str) -> dict[str, Any]:
    """Expected values for every field of the struct: a field the vector leaves out must be zero
    (or empty text), so that the checks cover each byte and not only the fields written down."""
    fields = {f.name: f for f in struct.fields}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise SpecError(f"{where}: struct {struct.name} has no fields {unknown}")
    out: dict[str, Any] = {}
    for f in struct.fields:
        value = given.get(f.name)
        at = f"{where}.{f.name}"
        if f.is_octets:
            out[f.name] = "" if value is None else value
            expected_octets(f, out[f.name])
        elif f.struct is not None and f.count:
            items = list(value or [])
            if len(items) > f.count:
                raise SpecError(f"{at}: {len(items)} items, the field holds {f.count}")
            items += [{}] * (f.count - len(items))
            out[f.name] = [complete(f.struct, item, f"{at}[{i}]") for i, item in enumerate(items)]
        elif f.struct is not None:
            out[f.name] = complete(f.struct, value or {}, at)
        elif f.count:
            items = [int(v) for v in (value or [])]
            if len(items) > f.count:
                raise SpecError(f"{at}: {len(items)} items, the field holds {f.count}")
            out[f.name] = items + [0] * (f.count - len(items))
        else:
            out[f.name] = int(value or 0)
        if f.is_scalar:
            for v in out[f.name] if f.count else [out[f.name]]:
                if not 0 <= v < 1 << (8 * f.element_size):
                    raise SpecError(f"{at}: {v:#x} does not fit in {f.type}")
    return out


def expected_octets(f: Field, value: Any) -> bytes:
    """The exact bytes a char[] (text) or bytes (hex) field must hold, NUL padded."""
    raw = str(value).encode() if f.type == "char" else bytes.fromhex(str(value))
    if len(raw) > f.size:
        raise SpecError(f"expected value of {f.name} is longer than the field ({f.size} bytes)")
    return raw + b"\0" * (f.size - len(raw))
