"""Fetch Debian kernels into the cache: image, modules, headers and kbuild, ready to use.

A fetched kernel lives in ~/.cache/xsigo-linux/kernels/<release>_<debian version>/ and is keyed by
that pair, which names the archive's content exactly. Nothing is installed on the host.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import apt
from harness.log import say, step
from harness.matrix import KernelSpec
from harness.paths import cache_dir

COMPLETE_STAMP = ".complete"


@dataclass(frozen=True)
class Kernel:
    """A kernel unpacked in the cache."""

    spec: KernelSpec
    version: str
    root: Path

    @property
    def release(self) -> str:
        return self.spec.release

    @property
    def vmlinuz(self) -> Path:
        return self.root / "boot" / f"vmlinuz-{self.release}"

    @property
    def config(self) -> Path:
        return self.root / "boot" / f"config-{self.release}"

    @property
    def kdir(self) -> Path:
        """The headers tree to pass as KDIR to kbuild."""
        return self.root / "usr" / "src" / f"linux-headers-{self.release}"

    @property
    def modules_root(self) -> Path:
        """The lib/modules directory (holds one <release>/ tree)."""
        return self.root / "lib" / "modules"


def _natural_key(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _complete_version(spec: KernelSpec) -> str | None:
    """The version at which the archive offers every package of the cell, or None: the
    unversioned ones (linux-kbuild-6.1) move on with each upload, so a pinned image can outlive
    its kbuild."""
    version = apt.candidate_version(spec.image_package)
    if version is None:
        return None
    if all(apt.has_version(name, version) for name in spec.package_names()):
        return version
    return None


def resolve(spec: KernelSpec) -> tuple[KernelSpec, str]:
    """Find the pinned kernel in the archive, or the newest of its series when it is gone."""
    version = _complete_version(spec)
    if version is None:
        apt.update_lists()
        version = _complete_version(spec)
    if version is not None:
        return spec, version
    image_glob = spec.packages[0].format(release=spec.series, abi="*")
    candidates = apt.package_names_matching(image_glob)
    if not candidates:
        raise RuntimeError(
            f"kernel {spec.id}: neither {spec.image_package} nor any {image_glob} is in the archive"
        )
    newest = max(candidates, key=_natural_key)
    prefix, suffix = spec.packages[0].split("{release}")
    release = newest.removeprefix(prefix).removesuffix(suffix)
    say(
        f"WARNING: kernel {spec.id}: pinned {spec.release} is no longer complete in the archive; "
        f"using {release}. Bump ci/kernels.toml."
    )
    moved = spec.with_release(release)
    version = _complete_version(moved)
    if version is None:
        raise RuntimeError(
            f"kernel {spec.id}: the archive lacks some of {moved.package_names()} at the version "
            f"of {moved.image_package}"
        )
    return moved, version


def _make_headers_relocatable(kernel: Kernel) -> None:
    """Debian's per-flavour headers Makefile includes the common tree by absolute /usr/src path."""
    makefile = kernel.kdir / "Makefile"
    text = makefile.read_text()
    src = kernel.root / "usr" / "src"
    makefile.write_text(text.replace("/usr/src/", f"{src}/"))


def depmod(kernel: Kernel) -> None:
    subprocess.run(
        ["depmod", "-b", str(kernel.root), kernel.release], check=True, capture_output=True
    )


def spec_of(kernel_id: str) -> KernelSpec:
    """The kernel a `--kernel` id names: a matrix cell (id or release), or with `tree:` a
    developer's built tree (checked first: harness/kernel_tree.py)."""
    from harness import kernel_tree, matrix  # kernel_tree builds on this module

    if kernel_tree.is_tree(kernel_id):
        return kernel_tree.spec(kernel_id)
    return matrix.load().get(kernel_id)


def fetch(spec: KernelSpec) -> Kernel:
    """Return the kernel unpacked in the cache, downloading it first if needed (or, for a cell
    built from source, building it; for a developer's tree, staging its modules)."""
    if spec.tree:
        from harness import kernel_tree

        return kernel_tree.stage(spec)
    if spec.source is not None:
        from harness import srckernel  # it builds on this module

        return srckernel.build(spec)
    spec, version = resolve(spec)
    key = f"{spec.release}_{version}".replace("~", "_")
    dest = cache_dir("kernels") / key
    kernel = Kernel(spec=spec, version=version, root=dest / "root")
    if (dest / COMPLETE_STAMP).exists():
        return kernel
    with step(f"fetching kernel {spec.release} ({version})"):
        staging = dest.with_name(dest.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        debs = apt.download(spec.package_names(), version, staging / "debs")
        for deb in debs:
            apt.extract(deb, staging / "root")
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)
        _make_headers_relocatable(kernel)
        depmod(kernel)
        for deb in (dest / "debs").glob("*.deb"):
            deb.unlink()
        (dest / COMPLETE_STAMP).write_text(f"{spec.release} {version}\n")
    return kernel
