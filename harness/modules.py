"""Build our kernel modules out of tree against a kernel's headers.

Each kernel gets its own copy of kernel/ under build/<release>/ (kbuild writes objects next to
the sources), so several kernels can be built side by side and the guests find the modules of
their kernel on the 9p share at /mnt/xs/build/<release>/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import kconfig
from harness.log import step
from harness.paths import BUILD, REPO
from harness.sparse import checker

# The host's modules in load order: xsconn, the connection library, before its users.
MODULES = ("xsconn/xsconn.ko", "xscore/xscore.ko", "xsvnic/xsvnic.ko", "xsvhba/xsvhba.ko")
# Our libraries: other modules of ours depend on them by symbol (modinfo's depends=).
LIBRARY_MODULES = ("xsconn/xsconn.ko",)
# The director's kernel gateways: built and gated like the host modules, loaded only in the
# director VM (after xsconn, which modload.insmod loads from the build for them).
GATEWAY_MODULES = ("xsethgw/xsethgw.ko", "xsfcgw/xsfcgw.ko")
# Built only for the log scanner's self-test; never part of the product.
SPLAT_MODULE_DIR = "testing/xs_splat"
WARNING = re.compile(r"\b(warning|error):", re.IGNORECASE)
SOURCE_SUFFIXES = (".c", ".h", "Kbuild", "Kconfig", "Makefile")


class KernelRefused(RuntimeError):
    """The kernel lacks something our modules depend on."""


class BuildFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Build:
    release: str
    tree: Path
    log: str

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.log.splitlines() if WARNING.search(line)]

    def module(self, relative: str) -> Path:
        return self.tree / relative


def kernel_release(kdir: Path) -> str:
    """The release the headers build for (Debian's kernelrelease target can disagree)."""
    text = (kdir / "include" / "generated" / "utsrelease.h").read_text()
    match = re.search(r'UTS_RELEASE "([^"]+)"', text)
    if not match:
        raise BuildFailed(f"{kdir}: cannot read UTS_RELEASE")
    return match.group(1)


def _copy_sources(dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)

    def ignore(directory: str, names: list[str]) -> list[str]:
        return [
            name
            for name in names
            if not (Path(directory, name).is_dir() or name.endswith(SOURCE_SUFFIXES))
        ]

    shutil.copytree(REPO / "kernel", dest, ignore=ignore)


def _make(kdir: Path, tree: Path, sparse: bool) -> str:
    args = ["make", "-C", str(kdir), f"M={tree}", "W=1", f"-j{os.cpu_count() or 1}", "modules"]
    if sparse:
        args[-1:-1] = ["C=2", f"CHECK={checker()}"]
    proc = subprocess.run(args, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise BuildFailed(f"{' '.join(args)} failed:\n{proc.stdout}")
    return proc.stdout


def build(kdir: Path, config: Path | None = None, sparse: bool = True) -> Build:
    """Build the product modules (and the scanner's test module) against the headers in kdir."""
    kdir = kdir.resolve()
    reasons = kconfig.check(config or kdir / ".config")
    release = kernel_release(kdir)
    if reasons:
        raise KernelRefused(f"kernel {release} cannot host xsigo modules: " + "; ".join(reasons))
    tree = BUILD / release / "kernel"
    with step(f"building modules for {release}"):
        _copy_sources(tree)
        log = _make(kdir, tree, sparse)
        log += _make(kdir, tree / SPLAT_MODULE_DIR, sparse)
    result = Build(release=release, tree=tree, log=log)
    missing = [m for m in (*MODULES, *GATEWAY_MODULES) if not result.module(m).exists()]
    if missing:
        raise BuildFailed(f"build for {release} produced no {', '.join(missing)}")
    return result
