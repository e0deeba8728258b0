"""Jinja filters that render spec items as Python codec code (see xswire/_runtime.py)."""

from __future__ import annotations

import json

from xsgen.literals import int_literal
from xsgen.model import Constant, Enum, Field, Spec


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


def _py_format(f: Field) -> str:
    code = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q"}[f.type]
    order = "<" if f.order == "le" else ">"
    return f"{order}{f.count or ''}{code}"


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


def py_encode(f: Field) -> str:
    if f.is_octets:
        return f'put_octets(buf, {f.offset}, {f.size}, self.{f.name}, "{f.name}")'
    if f.struct is not None:
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
    if f.count:
        return (
            f'struct.pack_into("{_py_format(f)}", buf, {f.offset}, '
            f'*pad_items(self.{f.name}, {f.count}, int, "{f.name}"))'
        )
    return f'struct.pack_into("{_py_format(f)}", buf, {f.offset}, self.{f.name})'


def py_decode(f: Field) -> str:
    at = f"offset + {f.offset}"
    if f.is_octets:
        raw = f"bytes(buf[{at} : {at} + {f.size}])"
        return f'{raw}.rstrip(b"\\0")' if f.type == "char" else raw
    if f.struct is not None:
        name = camel(f.struct.name)
        if f.count:
            return f"[{name}.decode(buf, {at} + {f.element_size} * i) for i in range({f.count})]"
        return f"{name}.decode(buf, {at})"
    if f.count:
        return f'list(struct.unpack_from("{_py_format(f)}", buf, {at}))'
    return f'struct.unpack_from("{_py_format(f)}", buf, {at})[0]'


def py_imports(spec: Spec) -> dict[str, bool]:
    """Which helpers the codec of `spec` uses, so that it imports only those."""
    every = [f for s in spec.structs for f in s.fields]
    fields = [f for f in every if not f.is_octets]
    return {
        "field": any(f.count or f.struct is not None for f in fields),
        "pad_items": any(f.count for f in fields),
        "put_octets": any(f.is_octets for f in every),
    }


FILTERS = {
    "py_field_decl": py_field_decl,
    "py_imports": py_imports,
    "camel": camel,
    "py_hex": py_hex,
    "py_literal": py_literal,
    "py_type": py_type,
    "py_default": py_default,
    "py_encode": py_encode,
    "py_decode": py_decode,
}
