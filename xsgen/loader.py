"""Read a YAML spec, check it, and compute every field's offset."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from xsgen.model import (
    BYTE_ORDERS,
    OCTETS,
    SCALARS,
    Constant,
    Enum,
    EnumValue,
    Field,
    Spec,
    SpecError,
    Struct,
    needs_packing,
)

LITERAL = re.compile(r"^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)$")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
CONSTANT_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class SpelledInt(int):
    """An integer from a spec that remembers how it was written (0x0B stays 0x0B, not 11)."""

    spelling: str


class _SpecYamlLoader(yaml.SafeLoader):
    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:  # type: ignore[override]
        value = super().construct_yaml_int(node)
        text = str(node.value)
        if not LITERAL.match(text):
            return value
        spelled = SpelledInt(value)
        spelled.spelling = text
        return spelled


_SpecYamlLoader.add_constructor("tag:yaml.org,2002:int", _SpecYamlLoader.construct_yaml_int)


FIELD_KEYS = {"name", "type", "count", "order", "doc"}
STRUCT_KEYS = {"name", "size", "doc", "fields"}
ENUM_KEYS = {"name", "doc", "values", "flags"}
CONSTANT_KEYS = {"name", "value", "type", "doc"}
SPEC_KEYS = {"name", "doc", "order", "constants", "enums", "structs"}


def _require(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise SpecError(f"{where}: {message}")


def _keys(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    """Unknown keys are mistakes (an unquoted comma in a YAML flow mapping makes one)."""
    unknown = sorted(str(k) for k in raw if k not in allowed)
    _require(not unknown, where, f"unknown keys {unknown}")


def _field(
    raw: dict[str, Any], where: str, structs: dict[str, Struct], offset: int, default_order: str
) -> Field:
    name = raw.get("name", "")
    _require(bool(IDENTIFIER.match(str(name))), where, f"bad field name {name!r}")
    where = f"{where}.{name}"
    _keys(raw, FIELD_KEYS, where)
    ftype = raw.get("type")
    count = raw.get("count")
    _require(count is None or (isinstance(count, int) and count > 0), where, "bad count")
    order = raw.get("order")
    f = Field(name=name, type=str(ftype), doc=str(raw.get("doc", "")), count=count, offset=offset)
    if ftype in SCALARS:
        f.element_size = SCALARS[ftype]
        if f.element_size > 1:
            f.order = order or default_order
            _require(f.order in BYTE_ORDERS, where, f"byte order must be be or le, not {order!r}")
        else:
            _require(order is None, where, "a byte has no byte order")
    elif ftype in OCTETS:
        _require(count is not None, where, f"{ftype} needs a count")
        _require(order is None, where, f"{ftype} has no byte order")
        f.element_size = 1
    elif ftype in structs:
        _require(order is None, where, "a struct field has no byte order of its own")
        f.struct = structs[ftype]
        f.element_size = f.struct.size
    else:
        raise SpecError(f"{where}: unknown type {ftype!r} (structs must be defined before use)")
    return f


def _struct(
    raw: dict[str, Any], where: str, structs: dict[str, Struct], default_order: str
) -> Struct:
    name = raw.get("name", "")
    _require(bool(IDENTIFIER.match(str(name))), where, f"bad struct name {name!r}")
    where = f"{where}: struct {name}"
    _keys(raw, STRUCT_KEYS, where)
    _require(name not in structs, where, "defined twice")
    size = raw.get("size")
    _require(isinstance(size, int) and size > 0, where, "needs a positive size")
    struct = Struct(name=name, doc=str(raw.get("doc", "")), size=size)
    offset = 0
    seen: set[str] = set()
    for raw_field in raw.get("fields") or []:
        f = _field(raw_field, where, structs, offset, default_order)
        _require(f.name not in seen, where, f"field {f.name} defined twice")
        seen.add(f.name)
        struct.fields.append(f)
        offset += f.size
    _require(bool(struct.fields), where, "has no fields")
    _require(offset == size, where, f"fields add up to {offset} bytes, but size says {size}")
    struct.packed = needs_packing(struct)
    return struct


def _enum(raw: dict[str, Any], where: str) -> Enum:
    name = raw.get("name", "")
    _require(bool(IDENTIFIER.match(str(name))), where, f"bad enum name {name!r}")
    _keys(raw, ENUM_KEYS, f"{where}: enum {name}")
    values = []
    for v in raw.get("values") or []:
        vname = str(v.get("name", ""))
        _require(bool(CONSTANT_NAME.match(vname)), where, f"enum {name}: bad value name {vname!r}")
        _require(isinstance(v.get("value"), int), where, f"enum {name}.{vname}: value not integer")
        values.append(EnumValue(vname, v["value"], str(v.get("doc", ""))))
    _require(bool(values), where, f"enum {name} has no values")
    return Enum(name, str(raw.get("doc", "")), tuple(values), bool(raw.get("flags", False)))


def _constant(raw: dict[str, Any], where: str) -> Constant:
    name = str(raw.get("name", ""))
    _require(bool(CONSTANT_NAME.match(name)), where, f"bad constant name {name!r}")
    _keys(raw, CONSTANT_KEYS, f"{where}: constant {name}")
    value = raw.get("value")
    _require(isinstance(value, int | str), where, f"constant {name}: value must be int or string")
    ctype = raw.get("type")
    _require(ctype in (None, *SCALARS), where, f"constant {name}: bad type {ctype!r}")
    spelling = value.spelling if isinstance(value, SpelledInt) else None
    value = value if isinstance(value, str) else int(value)
    return Constant(name, value, str(raw.get("doc", "")), ctype, spelling)


def load_spec(path: Path, root: Path) -> Spec:
    where = str(path.relative_to(root))
    raw = yaml.load(path.read_text(), Loader=_SpecYamlLoader)  # a SafeLoader: no object tags
    _require(isinstance(raw, dict), where, "not a mapping")
    _keys(raw, SPEC_KEYS, where)
    _require(raw.get("name") == path.stem, where, "name must match the file name")
    default_order = raw.get("order", "be")
    _require(default_order in BYTE_ORDERS, where, f"order must be be or le, not {default_order!r}")
    structs: dict[str, Struct] = {}
    for raw_struct in raw.get("structs") or []:
        struct = _struct(raw_struct, where, structs, default_order)
        structs[struct.name] = struct
    return Spec(
        name=path.stem,
        doc=" ".join(str(raw.get("doc", "")).split()),
        source=where,
        constants=[_constant(c, where) for c in raw.get("constants") or []],
        enums=[_enum(e, where) for e in raw.get("enums") or []],
        structs=list(structs.values()),
        order=default_order,
    )


def load_all(root: Path) -> list[Spec]:
    return [load_spec(path, root) for path in sorted((root / "specs").glob("*.yaml"))]
