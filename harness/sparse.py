"""sparse, the kernel's semantic checker, built here from Debian's source package.

Kernels from 6.16 on use `__typeof_unqual__`, which bookworm's sparse 0.6.4 cannot parse (the
kernel's scripts/checker-valid.sh then refuses to run it), and sid's sparse package is built
against a newer glibc than bookworm has. Its source builds with bookworm's gcc in seconds and
needs nothing but libc: one pinned sparse checks every kernel of the matrix, so a finding never
depends on which machine ran the check. The pin lives in ci/tools.toml and is cached by it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness import apt
from harness.log import step
from harness.paths import REPO, cache_dir

TOOLS_FILE = REPO / "ci" / "tools.toml"
# sparse's optional front ends need libraries the check does not: only `sparse` itself is built,
# with the compiler harness/bootstrap.sh installs (gcc-12; the unversioned `gcc` is not there).
MAKE_ARGS = (
    "sparse",
    "CC=gcc-12",
    "HAVE_LLVM=no",
    "HAVE_GTK=no",
    "HAVE_LIBXML=no",
    "HAVE_SQLITE=no",
)


class SparseBuildFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class SourcePin:
    """A source package at a pinned version in a Debian suite."""

    suite: str
    package: str
    version: str

    def key(self) -> str:
        text = f"{self.suite}\n{self.package}\n{self.version}\n{' '.join(MAKE_ARGS)}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def pin(path: Path = TOOLS_FILE) -> SourcePin:
    table = tomllib.loads(path.read_text())["sparse"]
    return SourcePin(suite=table["suite"], package=table["package"], version=table["version"])


@functools.cache
def _archive(suite: str) -> apt.SuiteArchive:
    return apt.SuiteArchive(suite, cache_dir("apt", f"{suite}-source"), sources=True)


def _build(source: SourcePin, version: str, binary: Path) -> None:
    with tempfile.TemporaryDirectory(dir=cache_dir("tmp")) as tmp:
        files = _archive(source.suite).download_source(source.package, version, Path(tmp, "dl"))
        orig = next((f for f in files if ".orig.tar." in f.name), None)
        if orig is None:
            raise SparseBuildFailed(f"{source.package} {version} has no upstream tarball")
        tree = Path(tmp, "src")
        tree.mkdir()
        subprocess.run(
            ["tar", "-xf", str(orig), "-C", str(tree), "--strip-components=1"], check=True
        )
        proc = subprocess.run(
            ["make", "-C", str(tree), f"-j{os.cpu_count() or 1}", *MAKE_ARGS],
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        if proc.returncode != 0:
            raise SparseBuildFailed(f"building {source.package} {version} failed:\n{proc.stdout}")
        partial = binary.with_suffix(".partial")
        shutil.copy2(tree / "sparse", partial)
        partial.replace(binary)


@functools.cache
def checker(source: SourcePin | None = None) -> Path:
    """The sparse binary of the pinned version, built once into the cache."""
    source = source or pin()
    binary = cache_dir("tools", f"sparse-{source.key()}") / "sparse"
    if binary.exists():
        return binary
    version = _archive(source.suite).pinned_or_newest(
        source.package, source.version, "sparse", "ci/tools.toml"
    )
    with step(f"building sparse {version} from Debian {source.suite}'s source"):
        _build(source, version, binary)
    return binary
