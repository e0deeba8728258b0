"""The kernel's checkpatch.pl, taken from Debian's linux-source package of a matrix kernel.

Debian's headers packages do not ship it; the source package does, inside a tarball from which
only checkpatch.pl and its two data files are extracted and cached (harness/kernel_scripts.py).
"""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness import kernel_scripts
from harness.matrix import KernelSpec
from harness.paths import REPO

FILES = ("checkpatch.pl", "spelling.txt", "const_structs.checkpatch")
OPTIONS = ("--no-tree", "--strict", "--terse", "--show-types")
WAIVERS_FILE = REPO / "ci" / "checkpatch-waivers.toml"


@dataclass(frozen=True)
class Waiver:
    type: str
    match: str
    reason: str

    def covers(self, finding: str) -> bool:
        return f":{self.type}:" in finding and self.match in finding


def waivers(path: Path = WAIVERS_FILE) -> list[Waiver]:
    """The findings we keep, each with its reason (ci/checkpatch-waivers.toml)."""
    data = tomllib.loads(path.read_text())
    return [Waiver(w["type"], w["match"], w["reason"]) for w in data.get("waiver", [])]


def unwaived(output: str, kept: list[Waiver]) -> list[str]:
    """The findings of a --terse run that no waiver covers (the total line is not one)."""
    findings = [line for line in output.splitlines() if line and not line.startswith("total:")]
    return [f for f in findings if not any(w.covers(f) for w in kept)]


def fetch(spec: KernelSpec) -> Path:
    """Path of checkpatch.pl from linux-source-<series> of a matrix kernel, cached."""
    return kernel_scripts.fetch(spec, "checkpatch", FILES) / FILES[0]


def kernel_sources(root: Path = REPO) -> list[Path]:
    kernel = root / "kernel"
    return sorted(p for p in kernel.rglob("*") if p.suffix in (".c", ".h") and p.is_file())


def run(script: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["perl", str(script), *OPTIONS, "-f", *map(str, files)], capture_output=True, text=True
    )
