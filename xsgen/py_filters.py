"""Jinja filters that render spec items as Python codec code (see xswire/_runtime.py).

A struct's scalar and octet fields are packed and unpacked in runs: each run is one
precompiled `struct.Struct` over consecutive fields of one byte order (bytes and octets go
with either), so a message costs a call or two rather than one per field. Nested structs break
runs and use their own codecs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from xsgen.literals import int_literal
from xsgen.model import Constant, Enum, Field, Spec, Struct


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def py_hex(value: int, e: Enum) -> str:
    return f"0x{value:X}" if e.flags else str(value)


def py_literal(c: Constant) -> str:
    """A constant as Python writes it: the spec's spelling, hex digits in upper case."""
    if isinstance(c.value, str):
        return json.dumps(c.value)
    text = c.spelling or int_literal(c.value)
    return "0x" + text[2:].upper() if text[:2] in ("0x", "0X") else text


CODES = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q"}


@dataclass
class Run:
    """Consecutive fields packed by one struct.Struct named `name`, at `offset` in the struct."""

    name: str
    offset: int
    order: str | None = None  # "<" or ">"; None while only bytes and octets are in it
    fields: list[Field] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.fields[-1].offset + self.fields[-1].size

    @property
    def format(self) -> str:
        tokens: list[list[int | str]] = []  # [count, code]
        for f in self.fields:
            count, code = (f.size, "s") if f.is_octets else (f.count or 1, CODES[f.type])
            if tokens and code != "s" and tokens[-1][1] == code:
                tokens[-1][0] = int(tokens[-1][0]) + count
            else:
                tokens.append([count, code])
        body = "".join(f"{n if n != 1 else ''}{c}" for n, c in tokens)
        return (self.order or "<") + body


def _field_order(f: Field) -> str | None:
    """The byte order a field needs: none for octets and single bytes."""
    if f.is_octets or f.element_size == 1:
        return None
    return "<" if f.order == "le" else ">"


def py_runs(s: Struct) -> list[Run]:
    runs: list[Run] = []
    current: Run | None = None
    for f in s.fields:
        if f.struct is not None:
            current = None
            continue
        order = _field_order(f)
        if (
            current is None
            or current.end != f.offset
            or (order and current.order and order != current.order)
        ):
            current = Run(f"_{s.name.upper()}_{len(runs)}", f.offset)
            runs.append(current)
        current.order = current.order or order
        current.fields.append(f)
    return runs


def py_pack_args(run: Run) -> list[str]:
    """The arguments of a run's pack_into() after the buffer and offset, one per line."""
    args = []
    for f in run.fields:
        if f.is_octets:
            args.append(f'fit(self.{f.name}, {f.size}, "{f.name}")')
        elif f.count:
            args.append(f'*pad_items(self.{f.name}, {f.count}, int, "{f.name}")')
        else:
            args.append(f"self.{f.name}")
    return args


def py_decoded(s: Struct) -> list[tuple[str, str]]:
    """(field name, expression) for every field of the struct, in order, for decode()."""
    where: dict[str, str] = {}
    for index, run in enumerate(py_runs(s)):
        position = 0
        for f in run.fields:
            if f.count and not f.is_octets:
                where[f.name] = f"list(v{index}[{position}:{position + f.count}])"
                position += f.count
            else:
                value = f"v{index}[{position}]"
                where[f.name] = f'{value}.rstrip(b"\\0")' if f.type == "char" else value
                position += 1
    out = []
    for f in s.fields:
        if f.struct is None:
            out.append((f.name, where[f.name]))
            continue
        name = camel(f.struct.name)
        at = f"offset + {f.offset}"
        if f.count:
            expr = f"[{name}.decode(buf, {at} + {f.element_size} * i) for i in range({f.count})]"
        else:
            expr = f"{name}.decode(buf, {at})"
        out.append((f.name, expr))
    return out


def at_offset(offset: int) -> str:
    return "offset" if offset == 0 else f"offset + {offset}"


def py_type(f: Field) -> str:
    if f.is_octets:
        return "bytes"
    if f.struct is not None:
        name = camel(f.struct.name)
        return f"list[{name}]" if f.count else name
    return "list[int]" if f.count else "int"


def py_default(f: Field) -> str:
    if f.is_octets:
        return 'b""'
    if f.struct is not None:
        name = camel(f.struct.name)
        if f.count:
            return f"field(default_factory=lambda: [{name}() for _ in range({f.count})])"
        return f"field(default_factory={name})"
    return f"field(default_factory=lambda: [0] * {f.count})" if f.count else "0"


LINE_LENGTH = 100


def py_field_decl(f: Field) -> str:
    """The dataclass field line, split the way the formatter splits one that is too long."""
    head = f"    {f.name}: {py_type(f)} = "
    default = py_default(f)
    if len(head) + len(default) <= LINE_LENGTH or not default.startswith("field("):
        return head + default
    return f"{head}field(\n        {default[len('field(') : -1]}\n    )"


def py_encode_nested(f: Field) -> str:
    """The encode() lines of a nested struct field (the others are packed in runs)."""
    assert f.struct is not None
    if f.count:
        name = camel(f.struct.name)
        items = f'pad_items(self.{f.name}, {f.count}, {name}, "{f.name}")'
        loop = f"for i, item in enumerate({items}):"
        if len(loop) + 8 > LINE_LENGTH:
            loop = f"for i, item in enumerate(\n            {items}\n        ):"
        return (
            f"{loop}\n"
            f"            buf[{f.offset} + {f.element_size} * i : "
            f"{f.offset} + {f.element_size} * (i + 1)] = item.encode()"
        )
    return f"buf[{f.offset}:{f.offset + f.size}] = self.{f.name}.encode()"


def py_imports(spec: Spec) -> dict[str, bool]:
    """Which helpers the codec of `spec` uses, so that it imports only those."""
    every = [f for s in spec.structs for f in s.fields]
    fields = [f for f in every if not f.is_octets]
    return {
        "field": any(f.count or f.struct is not None for f in fields),
        "pad_items": any(f.count for f in fields),
        "fit": any(f.is_octets for f in every),
    }


FILTERS = {
    "py_field_decl": py_field_decl,
    "py_imports": py_imports,
    "camel": camel,
    "py_hex": py_hex,
    "py_literal": py_literal,
    "py_type": py_type,
    "py_default": py_default,
    "py_runs": py_runs,
    "py_pack_args": py_pack_args,
    "py_decoded": py_decoded,
    "py_encode_nested": py_encode_nested,
    "at_offset": at_offset,
}
