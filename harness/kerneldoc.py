"""The kernel's scripts/kernel-doc, and which exported symbols of ours lack kernel-doc.

kernel-doc comes from the same linux-source package as checkpatch.pl (harness/kernel_scripts.py).
The kernel documents an exported function at its definition; so do we.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from harness import kernel_scripts
from harness.matrix import KernelSpec

SCRIPT = "kernel-doc"
EXPORT = re.compile(r"^EXPORT_SYMBOL(?:_GPL)?\((\w+)\);", re.MULTILINE)


def fetch(spec: KernelSpec) -> Path:
    """Path of scripts/kernel-doc from linux-source-<series> of a matrix kernel, cached."""
    return kernel_scripts.fetch(spec, "kernel-doc", (SCRIPT,)) / SCRIPT


def run(script: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    """kernel-doc's checks only (-none), every warning an error."""
    return subprocess.run(
        ["perl", str(script), "-none", "-Werror", *map(str, files)],
        capture_output=True,
        text=True,
    )


def documented_at_definition(source: str, name: str) -> bool:
    """Whether a kernel-doc comment for function `name` comes right before its definition."""
    doc = (
        rf"/\*\*\n \* {re.escape(name)}\(\) - [^\n]+\n(?: \*[^\n]*\n)* \*/\n"
        rf"[^\n;]*\b{re.escape(name)}\("
    )
    return re.search(doc, source) is not None


def undocumented_exports(files: list[Path]) -> list[str]:
    """'path: symbol' for each EXPORT_SYMBOL*() of a function without kernel-doc at its
    definition."""
    missing = []
    for path in files:
        source = path.read_text()
        for name in EXPORT.findall(source):
            if not documented_at_definition(source, name):
                missing.append(f"{path}: {name}")
    return missing
