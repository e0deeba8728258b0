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
boots (under a second), a changed one rebuilds in place what changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    for module in ("xscore", "xsvnic", "xsvhba", "xsethgw", "xsfcgw")
    for ext in (".c", ".h")
)
# The reconnecting session's state machine needs only workqueues and a mutex: its suite
# runs it as the xsconn library links it, with a fake owner.
SESSION_SOURCE = Path("kernel/xsconn/xscore_session.c")
# What it includes from xsconn: its trace events, and the compat header they use.
SESSION_LOCAL_HEADERS = (Path("kernel/xsconn/xsconn_trace.h"), Path("kernel/xsconn/compat.h"))
# The session proofs need only crypto_shash: their suite tests them as xscore links them.
PROOF_SOURCES = (Path("kernel/xscore/xscore_proof.c"), Path("kernel/xscore/xscore_proof.h"))
SESSION_HEADER = Path("kernel/include/xsigo/xscore_session.h")
WIRE_DIR = Path("kernel/include/xsigo/wire")
KUNITCONFIG = SUITE_DIR / ".kunitconfig"
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
    for source in (SESSION_SOURCE, *SESSION_LOCAL_HEADERS, *PROOF_SOURCES):
        files[source.name] = (repo / source).read_bytes()
    files[f"include/xsigo/{SESSION_HEADER.name}"] = (repo / SESSION_HEADER).read_bytes()
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
    how: str  # cached, incremental or cold
    build_s: float = 0.0
    run_s: float = 0.0
    results: list[Result] = field(default_factory=list)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One build or boot at a time in a cache directory (two test runs on one machine)."""
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def prepare(root: Path, files: dict[str, bytes], kunitconfig: Path) -> tuple[Path, Path, str]:
    """The scratch tree and build directory under root, built for files. The paths stay the
    same from one build to the next (the objects record them), so a change to the suites or
    the checks rebuilds only what it touches; a new kernel source starts from nothing.
    Returns the tree, the build directory and how it was built ('cached', 'incremental',
    'cold')."""
    spec = _source_spec()
    assert spec.source is not None
    tree, build_dir = root / "src", root / "build"
    stamp, linked = root / "built", root / "source"
    # The key names the pinned version: a cached build is found without the network.
    cache_key = key(spec.source.version, files, kunitconfig.read_bytes())
    if stamp.exists() and stamp.read_text().strip() == cache_key:
        return tree, build_dir, "cached"
    version, kernel_src = source(spec)
    cache_key = key(version, files, kunitconfig.read_bytes())
    stamp.unlink(missing_ok=True)
    if linked.exists() and linked.read_text() == str(kernel_src) and (tree / "xsigo").exists():
        how = "incremental"
        update_xsigo(tree, files)
    else:
        how = "cold"
        shutil.rmtree(build_dir, ignore_errors=True)
        write_scratch_tree(kernel_src, tree, files)
        linked.write_text(str(kernel_src))
    build_dir.mkdir(parents=True, exist_ok=True)
    with step(f"building the KUnit UML kernel ({how}{', a few minutes' * (how == 'cold')})"):
        build(tree, build_dir, kunitconfig)
    stamp.write_text(f"{cache_key}\n")
    return tree, build_dir, how


def run(repo: Path = REPO) -> Outcome:
    """Build (or take from the cache) the UML kernel with the suites and boot it once."""
    root = cache_dir("kunit")
    with _locked(root / ".lock"):
        start = time.monotonic()
        tree, build_dir, how = prepare(root, scratch_files(repo), repo / KUNITCONFIG)
        built = time.monotonic()
        ktap = execute(tree, build_dir)
        ran = time.monotonic()
    say(f"KUnit: {how} kernel; booted in {ran - built:.1f} s")
    return Outcome(
        ktap=ktap, how=how, build_s=built - start, run_s=ran - built, results=parse_ktap(ktap)
    )


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
    lines = text.splitlines()
    # What comes before the stream (kunit.py's own lines) is no test's diagnostic.
    first = next((n for n, line in enumerate(lines) if line.startswith("KTAP version")), 0)
    for raw in lines[first:]:
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
