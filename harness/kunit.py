"""KUnit suites of the wire checks, run in a User-Mode Linux kernel.

Debian's packaged kernels have no KUnit, so the suites run in a UML kernel built by the
kernel's own tools/testing/kunit/kunit.py from the Debian kernel source the harness already
fetches for its source-built cells (harness/srckernel.py). The checks are pure functions
(kernel/*/x*_check.c) that need neither ib_core nor the SCSI midlayer, so the same files the
modules link compile into UML, beside their suites (kernel/testing/kunit/).

The cached source is never touched: a scratch tree links every top-level entry of it, except
the top-level Kconfig and Kbuild (copies that add `xsigo/`), tools/testing/kunit (a copy, since
kunit.py finds its tree through its own real path) and xsigo/ itself (the checks, the suites
and the generated wire headers, copied). The build is cached under ~/.cache/xsigo-linux/kunit/
by a key of the source version, every copied file and the kunitconfig; a cached build only
boots (about a second).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import srckernel
from harness.kernels import COMPLETE_STAMP
from harness.log import say, step
from harness.matrix import KernelSpec
from harness.matrix import load as load_matrix
from harness.paths import REPO, cache_dir

# The matrix cell whose kernel source builds the UML kernel.
SOURCE_CELL = "7.2"
SUITE_DIR = Path("kernel/testing/kunit")
# The checks each suite tests, as the modules build them.
CHECK_SOURCES = tuple(
    Path(f"kernel/{module}/{module}_check{ext}")
    for module in ("xscore", "xsvnic", "xsvhba")
    for ext in (".c", ".h")
)
WIRE_DIR = Path("kernel/include/xsigo/wire")
KUNITCONFIG = SUITE_DIR / ".kunitconfig"
# Cached builds kept besides the newest: each is some 100 MB.
KEEP_BUILDS = 2
# bootstrap.sh installs gcc-12; the plain `gcc` need not be there.
MAKE_OPTIONS = ("CC=gcc-12", "HOSTCC=gcc-12")
RUN_TIMEOUT_S = 120


def scratch_files(repo: Path = REPO) -> dict[str, bytes]:
    """What goes into the scratch tree's xsigo/ directory, by path inside it."""
    files: dict[str, bytes] = {}
    for path in sorted((repo / SUITE_DIR).iterdir()):
        if path.is_file() and path.name != KUNITCONFIG.name:
            files[path.name] = path.read_bytes()
    for source in CHECK_SOURCES:
        files[source.name] = (repo / source).read_bytes()
    for header in sorted((repo / WIRE_DIR).glob("*.h")):
        files[f"include/xsigo/wire/{header.name}"] = header.read_bytes()
    return files


def suite_names(repo: Path = REPO) -> list[str]:
    """The suites the sources define (`.name = "..."` in a struct kunit_suite)."""
    names = []
    for test in sorted((repo / SUITE_DIR).glob("*_test.c")):
        names += re.findall(r"\.name\s*=\s*\"(\w+)\"", test.read_text())
    return names


def key(version: str, files: dict[str, bytes], kunitconfig: bytes) -> str:
    digest = hashlib.sha256(f"{SOURCE_CELL} {version}\0".encode())
    digest.update(kunitconfig + b"\0" + " ".join(MAKE_OPTIONS).encode())
    for name, content in sorted(files.items()):
        digest.update(name.encode() + b"\0" + content + b"\0")
    return f"{version}-{digest.hexdigest()[:16]}".replace("~", "_")


def _source_spec() -> KernelSpec:
    return load_matrix().get(SOURCE_CELL)


def source(spec: KernelSpec | None = None) -> tuple[str, Path]:
    """The kernel source version and tree: the pinned one when it is already unpacked (no
    network), else the one srckernel resolves, fetched and unpacked."""
    spec = spec or _source_spec()
    assert spec.source is not None
    pinned = spec.source.version
    unpacked = cache_dir("kernel-src") / f"{spec.source.package}_{pinned}".replace("~", "_")
    if (unpacked / COMPLETE_STAMP).exists():
        return pinned, unpacked / "linux"
    version = srckernel.resolve(spec)
    return version, srckernel.source_tree(spec, version)


def write_scratch_tree(kernel_src: Path, tree: Path, files: dict[str, bytes]) -> None:
    """A kernel tree of links into kernel_src with our xsigo/ directory added (see the
    module's doc); kernel_src is only read."""
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    for entry in kernel_src.iterdir():
        if entry.name not in ("Kconfig", "Kbuild", "tools"):
            (tree / entry.name).symlink_to(entry)
    kconfig = (kernel_src / "Kconfig").read_text()
    (tree / "Kconfig").write_text(kconfig + '\nsource "xsigo/Kconfig"\n')
    kbuild = (kernel_src / "Kbuild").read_text()
    (tree / "Kbuild").write_text(kbuild + "\nobj-y\t\t\t+= xsigo/\n")
    testing = tree / "tools" / "testing"
    testing.mkdir(parents=True)
    for entry in (kernel_src / "tools").iterdir():
        if entry.name != "testing":
            (tree / "tools" / entry.name).symlink_to(entry)
    for entry in (kernel_src / "tools" / "testing").iterdir():
        if entry.name != "kunit":
            (testing / entry.name).symlink_to(entry)
    shutil.copytree(kernel_src / "tools/testing/kunit", testing / "kunit")
    update_xsigo(tree, files)


def update_xsigo(tree: Path, files: dict[str, bytes]) -> None:
    """Write the xsigo/ files, leaving the unchanged ones (and their objects) alone."""
    for name, content in files.items():
        path = tree / "xsigo" / name
        if path.exists() and path.read_bytes() == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _kunit_py(tree: Path, build: Path, command: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable, str(tree / "tools/testing/kunit/kunit.py"), command,
        f"--build_dir={build}", *args,
    ]  # fmt: skip
    return subprocess.run(cmd, cwd=tree, capture_output=True, text=True, check=False)


def build(tree: Path, build_dir: Path, kunitconfig: Path, jobs: int | None = None) -> None:
    """Configure and build the UML kernel (incrementally, when build_dir has one)."""
    options = [f"--make_options={option}" for option in MAKE_OPTIONS]
    result = _kunit_py(
        tree, build_dir, "build", f"--kunitconfig={kunitconfig}",
        f"--jobs={jobs or os.cpu_count() or 1}", "--arch=um", *options,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(
            f"KUnit kernel build failed ({result.returncode}):\n"
            + (result.stdout + result.stderr)[-6000:]
        )


def execute(tree: Path, build_dir: Path) -> str:
    """Boot the UML kernel once; return its KTAP output (kunit.py's exit status is not used:
    the parsed results say what failed, and a kernel that dies shows as missing results)."""
    result = _kunit_py(tree, build_dir, "exec", "--raw_output=kunit", f"--timeout={RUN_TIMEOUT_S}")
    return result.stdout


@dataclass
class Outcome:
    """What one run gave: its KTAP and how long the steps took (seconds)."""

    ktap: str
    key: str
    cached: bool
    build_s: float = 0.0
    run_s: float = 0.0
    results: list[Result] = field(default_factory=list)


def _previous_build(root: Path, version: str) -> Path | None:
    """The newest complete build of the same kernel source version, if any."""
    builds = [
        p for p in root.glob(f"{version.replace('~', '_')}-*") if (p / COMPLETE_STAMP).exists()
    ]
    return max(builds, key=lambda p: p.stat().st_mtime, default=None)


def _prune(root: Path, keep: str) -> None:
    builds = sorted(
        (p for p in root.iterdir() if p.is_dir() and p.name != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in builds[KEEP_BUILDS - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)


def run(repo: Path = REPO) -> Outcome:
    """Build (or take from the cache) the UML kernel with the suites and boot it once."""
    spec = _source_spec()
    assert spec.source is not None
    files = scratch_files(repo)
    kunitconfig = (repo / KUNITCONFIG).read_bytes()
    root = cache_dir("kunit")
    # The key names the pinned version: a cached build is found without the network.
    version = spec.source.version
    cache_key = key(version, files, kunitconfig)
    cached = (root / cache_key / COMPLETE_STAMP).exists()
    start = time.monotonic()
    if not cached:
        version, kernel_src = source(spec)
        cache_key = key(version, files, kunitconfig)
    dest = root / cache_key
    tree, build_dir = dest / "src", dest / "build"
    if not (dest / COMPLETE_STAMP).exists():
        previous = _previous_build(root, version)
        if previous is not None and not dest.exists():
            # Changed suites or checks: build on the last tree, only what changed recompiles.
            (previous / COMPLETE_STAMP).unlink()
            previous.rename(dest)
            update_xsigo(tree, files)
        elif not (tree / "xsigo").exists():
            write_scratch_tree(kernel_src, tree, files)
        else:
            # An interrupted build goes on where it stopped.
            update_xsigo(tree, files)
        _prune(root, cache_key)
        build_dir.mkdir(parents=True, exist_ok=True)
        how = "incremental" if previous is not None else "cold, a few minutes"
        with step(f"building the KUnit UML kernel {cache_key} ({how})"):
            build(tree, build_dir, repo / KUNITCONFIG)
        (dest / COMPLETE_STAMP).write_text(f"{cache_key}\n")
    os.utime(dest)
    built = time.monotonic()
    ktap = execute(tree, build_dir)
    ran = time.monotonic()
    say(f"KUnit: {'cached' if cached else 'built'} kernel; booted in {ran - built:.1f} s")
    return Outcome(
        ktap=ktap, key=cache_key, cached=cached, build_s=built - start, run_s=ran - built,
        results=parse_ktap(ktap),
    )  # fmt: skip


@dataclass(frozen=True)
class Result:
    """One KTAP test result: its path (suite, case, parameter), whether it passed and the
    diagnostic lines KUnit printed before it at its level."""

    path: tuple[str, ...]
    ok: bool
    skipped: bool
    leaf: bool
    diagnostics: tuple[str, ...] = ()

    @property
    def suite(self) -> str:
        return self.path[0]

    @property
    def name(self) -> str:
        return ".".join(self.path)


_RESULT = re.compile(r"^(not ok|ok) \d+ (\S+)(?:\s*#\s*(\w+))?")
_SUBTEST = re.compile(r"^# Subtest: (\S+)")
_PLAN = re.compile(r"^(KTAP version \d+|\d+\.\.\d+|# module: .*)$")


def parse_ktap(text: str) -> list[Result]:
    """Every result of a KTAP (version 1) stream of nested tests, four spaces per level. The
    lines between two results (KUnit's failed expectations) are the second one's diagnostics."""
    results: list[Result] = []
    headers: dict[int, str] = {}  # indent level -> the open subtest there
    pending: list[str] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        level = (len(raw) - len(raw.lstrip(" "))) // 4
        subtest = _SUBTEST.match(stripped)
        if subtest:
            headers = {lvl: name for lvl, name in headers.items() if lvl < level}
            headers[level] = subtest.group(1)
            continue
        result = _RESULT.match(stripped)
        if result is None:
            if stripped and not _PLAN.match(stripped):
                pending.append(stripped)
            continue
        name = result.group(2)
        parent = headers.get(level + 1) == name
        if parent:
            del headers[level + 1]
        enclosing = [headers[lvl] for lvl in sorted(headers) if 0 < lvl <= level]
        results.append(
            Result(
                path=(*enclosing, name),
                ok=result.group(1) == "ok",
                skipped=(result.group(3) or "").upper() == "SKIP",
                leaf=not parent,
                diagnostics=tuple(pending),
            )
        )
        pending = []
    return results
