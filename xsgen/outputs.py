"""Which files a spec generates, and writing them only when their content changes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xsgen import emit
from xsgen.model import Spec


@dataclass(frozen=True)
class Output:
    path: Path
    content: str


def outputs(spec: Spec, root: Path) -> list[Output]:
    env = emit.environment()
    guard = f"_XSIGO_WIRE_{spec.name.upper()}_H"
    return [
        Output(
            root / "kernel" / "include" / "xsigo" / "wire" / f"{spec.name}.h",
            emit.render(env, "c_header.h.j2", spec, guard=guard),
        ),
        Output(root / "xswire" / f"{spec.name}.py", emit.render(env, "py_codec.py.j2", spec)),
        Output(root / "docs" / "protocol" / f"{spec.name}.md", emit.render(env, "doc.md.j2", spec)),
    ]


def stale(output: Output) -> bool:
    return not output.path.exists() or output.path.read_text() != output.content


def write(output: Output) -> bool:
    """Write the file if its content differs; return whether it was written."""
    if not stale(output):
        return False
    output.path.parent.mkdir(parents=True, exist_ok=True)
    output.path.write_text(output.content)
    return True
