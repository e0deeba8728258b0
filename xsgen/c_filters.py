"""Jinja filters that render spec items as kernel C."""

from __future__ import annotations

from xsgen.literals import int_literal
from xsgen.model import Constant, Enum, EnumValue, Field


def c_value(c: Constant) -> str:
    if isinstance(c.value, str):
        return '"' + c.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    text = _spelled(c.spelling) if c.spelling else int_literal(c.value)
    if c.type == "u64" or c.value > 0xFFFFFFFF:
        return (text if c.spelling else f"0x{c.value:016x}") + "ULL"
    return text


def _spelled(text: str) -> str:
    return "0x" + text[2:].lower() if text[:2] in ("0x", "0X") else text


def c_enum_value(v: EnumValue, e: Enum) -> str:
    return f"0x{v.value:x}" if e.flags else str(v.value)


def c_declaration(f: Field) -> str:
    if f.struct is not None:
        base = f"struct {f.struct.name}"
    elif f.type == "char":
        base = "char"
    elif f.type == "bytes" or f.type == "u8":
        base = "__u8"
    else:
        base = f"__{f.order}{f.type[1:]}"
    return f"{base} {f.name}" + (f"[{f.count}]" if f.count else "")


def c_field(f: Field) -> str:
    """A struct member with its offset and doc as a comment, beside it or above it."""
    declaration = f"\t{c_declaration(f)};"
    comment = f"/* {f.offset}: {f.doc} */"
    if len(declaration.expandtabs(8)) + 1 + len(comment) <= 80:
        return f"{declaration}\t{comment}"
    return c_comment(f"{f.offset}: {f.doc}", "\t") + "\n" + declaration


def c_comment(text: str, indent: str = "") -> str:
    """A kernel-style comment: one line when it fits, else a block with its own end line."""
    one = f"{indent}/* {text} */"
    if len(one.expandtabs(8)) <= 80:
        return one
    lines = _wrap(text, 72 - len(indent.expandtabs(8)))
    body = "\n".join(f"{indent} * {line}" for line in lines)
    return f"{indent}/*\n{body}\n{indent} */"


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def doc_type(f: Field) -> str:
    base = f"struct {f.struct.name}" if f.struct is not None else f.type
    return base + (f"[{f.count}]" if f.count else "")


FILTERS = {
    "c_value": c_value,
    "c_enum_value": c_enum_value,
    "c_declaration": c_declaration,
    "c_field": c_field,
    "c_comment": c_comment,
    "doc_type": doc_type,
}
