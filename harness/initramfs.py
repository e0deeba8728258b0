"""The stage-1 initramfs of a kernel: static busybox and the modules needed to mount the root.

Debian kernels build virtio, ext4 and 9p as modules; the harness resolves their dependencies from
the kernel's modules.dep, decompresses them and packs them with harness/guest/stage1-init.
"""

from __future__ import annotations

import gzip
import hashlib
import lzma
from pathlib import Path

from harness import cpio
from harness.kernels import Kernel
from harness.paths import GUEST_SCRIPTS, cache_dir

BUSYBOX = Path("/bin/busybox")
STAGE1_INIT = GUEST_SCRIPTS / "stage1-init"
# What stage 1 needs; everything else is loaded by the real root's modprobe.
STAGE1_MODULES = (
    "virtio_pci",
    "virtio_blk",
    "crc32c_generic",
    "ext4",
    "9pnet_virtio",
    "9p",
)
# Loaded where the kernel has them: ext4 finds its checksum through the crypto API by name
# before 6.14 (crc32c_generic); later kernels call the CRC library and have no such module.
OPTIONAL_MODULES = frozenset({"crc32c_generic"})


def module_name(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    for suffix in (".ko.xz", ".ko.zst", ".ko.gz", ".ko"):
        base = base.removesuffix(suffix)
    return base.replace("-", "_")


def _read_modules_dep(moddir: Path) -> dict[str, tuple[str, list[str]]]:
    """Map module name -> (relative path, relative paths of its dependencies)."""
    table: dict[str, tuple[str, list[str]]] = {}
    for line in (moddir / "modules.dep").read_text().splitlines():
        path, _, deps = line.partition(":")
        table[module_name(path)] = (path, deps.split())
    return table


def _builtin(moddir: Path) -> set[str]:
    return {module_name(line) for line in (moddir / "modules.builtin").read_text().split()}


def has_module(kernel: Kernel, name: str) -> bool:
    """Whether the kernel builds `name` as a module."""
    return name in _read_modules_dep(kernel.modules_root / kernel.release)


def load_order(kernel: Kernel, wanted: tuple[str, ...] = STAGE1_MODULES) -> list[str]:
    """Relative module paths in an order where each module follows its dependencies."""
    moddir = kernel.modules_root / kernel.release
    table = _read_modules_dep(moddir)
    builtin = _builtin(moddir)
    by_path = {path: name for name, (path, _) in table.items()}
    order: list[str] = []

    def visit(name: str) -> None:
        path, deps = table[name]
        if path in order:
            return
        for dep in deps:
            visit(by_path[dep])
        order.append(path)

    for name in wanted:
        if name in table:
            visit(name)
        elif name not in builtin and name not in OPTIONAL_MODULES:
            raise RuntimeError(f"{kernel.release}: module {name} is neither built nor built in")
    return order


def module_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".xz"):
        return lzma.decompress(data)
    if path.name.endswith(".gz"):
        return gzip.decompress(data)
    if path.name.endswith(".zst"):
        raise RuntimeError(f"{path}: zstd-compressed modules are not supported yet")
    return data


def base_entries(init: bytes, busybox: bytes) -> list[cpio.Entry]:
    """What every stage 1 has: busybox as /bin/sh, a console, the init script."""
    return [
        cpio.directory("bin"),
        cpio.directory("dev"),
        cpio.char_device("dev/console", 5, 1),
        cpio.directory("stage1"),
        cpio.regular("bin/busybox", busybox, executable=True),
        cpio.symlink("bin/sh", "busybox"),
        cpio.regular("init", init, executable=True),
    ]


def build_initramfs(kernel: Kernel) -> Path:
    """Return the cached stage-1 initramfs for a kernel, building it when its inputs changed."""
    moddir = kernel.modules_root / kernel.release
    order = load_order(kernel)
    init = STAGE1_INIT.read_bytes()
    busybox = BUSYBOX.read_bytes()
    digest = hashlib.sha256(init + busybox + "\n".join(order).encode())
    dest = (
        cache_dir("initramfs")
        / f"{kernel.release}_{kernel.version}-{digest.hexdigest()[:12]}.cpio.gz"
    )
    if dest.exists():
        return dest
    entries = base_entries(init, busybox)
    names = []
    for rel in order:
        name = module_name(rel) + ".ko"
        names.append(name)
        entries.append(cpio.regular(f"stage1/{name}", module_bytes(moddir / rel)))
    entries.append(cpio.regular("stage1/load-order", "".join(f"{n}\n" for n in names).encode()))
    partial = dest.with_suffix(".partial")
    partial.write_bytes(gzip.compress(cpio.archive(entries), compresslevel=6, mtime=0))
    partial.rename(dest)
    return dest
