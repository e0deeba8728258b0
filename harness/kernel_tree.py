"""A kernel developer's own built tree as a kernel to test: `--kernel-tree PATH` wherever
`--kernel` is taken (`make test|demo|bench|soak KERNEL_TREE=PATH`).

PATH is a tree built with `make bzImage modules`, in place or as the O= object directory.
Before anything boots, the tree is checked: the files a build leaves, our modules' Kconfig
(harness/kconfig.py) and the options the guests need (ci/kconfig/guest.config); each missing
one is named. The tree's modules are then installed, stripped, into the cache under a key of
the bzImage's and the .config's content (a rebuilt tree is staged again), with the tree itself
as the headers our modules build against.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from harness import kconfig, srckernel
from harness.kernels import COMPLETE_STAMP, Kernel, depmod
from harness.log import step
from harness.matrix import KernelSpec
from harness.paths import REPO, cache_dir

PREFIX = "tree:"  # a kernel id naming a tree: tree:<absolute path>
BZIMAGE = "arch/x86/boot/bzImage"
RELEASE = "include/config/kernel.release"
# What `make bzImage modules` leaves that the harness uses.
BUILT = (BZIMAGE, ".config", RELEASE, "Module.symvers", "System.map")
GUEST_FRAGMENT = REPO / "ci" / "kconfig" / "guest.config"
# Stage 1 mounts the root image and the 9p shares with no modules of its own.
BUILT_IN = {
    "VIRTIO_PCI", "VIRTIO_BLK", "VIRTIO_NET", "EXT4_FS", "NET_9P", "NET_9P_VIRTIO", "9P_FS",
    "DEVTMPFS",
}  # fmt: skip
# Settings of the fragment that only make the matrix's own builds lean.
PREFERENCES = {"DEBUG_INFO_NONE"}
# Settings the harness cannot work with, and why.
REFUSED_OPTIONS = {
    "MODULE_SIG_FORCE": "our modules are not signed with the tree's key",
    "MODULE_COMPRESS_ZSTD": "the initramfs takes uncompressed, gzip or xz modules",
}


class TreeRefused(RuntimeError):
    """The tree cannot be tested as it is; the message says what to do."""


def kernel_id(path: Path) -> str:
    return PREFIX + str(path.resolve())


def is_tree(kernel_id: str) -> bool:
    return kernel_id.startswith(PREFIX)


def path_of(kernel_id: str) -> Path:
    return Path(kernel_id.removeprefix(PREFIX))


def missing_guest_options(config: Path, fragment: Path = GUEST_FRAGMENT) -> list[str]:
    """The options the guests need (`fragment`) that the tree's `config` lacks: built in where
    stage 1 needs them, else built in or a module."""
    have = srckernel.config_options(config)
    missing = []
    for option, value in srckernel.config_options(fragment).items():
        name = option.removeprefix("CONFIG_")
        if value not in ("y", "m") or name in PREFERENCES:
            continue
        got = have.get(option, "n")
        wanted = ("y",) if name in BUILT_IN else ("y", "m")
        if got not in wanted:
            missing.append(f"{option}={'y' if name in BUILT_IN else value} (the tree has {got})")
    return missing


def problems(tree: Path) -> list[str]:
    """Why `tree` cannot be tested (empty when it can)."""
    if not tree.is_dir():
        return [f"{tree} is not a directory"]
    absent = [name for name in BUILT if not (tree / name).is_file()]
    if absent:
        return [f"{tree} lacks {', '.join(absent)}: build it first (make bzImage modules)"]
    found = [f"our modules: {reason}" for reason in kconfig.check(tree / ".config")]
    have = srckernel.config_options(tree / ".config")
    for option, why in REFUSED_OPTIONS.items():
        if have.get(f"CONFIG_{option}") == "y":
            found.append(f"CONFIG_{option}=y: {why}")
    lacking = missing_guest_options(tree / ".config")
    if lacking:
        found.append(
            "the guests need " + ", ".join(lacking) + f" (merge {GUEST_FRAGMENT.relative_to(REPO)}:"
            " scripts/kconfig/merge_config.sh -m .config ci/kconfig/guest.config)"
        )
    return found


def spec(kernel_id: str) -> KernelSpec:
    """The KernelSpec of a `tree:` kernel id; TreeRefused with every reason when the tree
    cannot be tested."""
    tree = path_of(kernel_id)
    found = problems(tree)
    if found:
        raise TreeRefused(f"kernel tree {tree}: " + "; ".join(found))
    release = (tree / RELEASE).read_text().strip()
    return KernelSpec(id=kernel_id, description=f"the kernel tree {tree}", release=release,
                      tree=str(tree))  # fmt: skip


def key(tree: Path, release: str) -> str:
    """The staged tree's name: the release and a hash of the bzImage, the .config and every
    module the build lists (its size and time: a `make modules` after an edit leaves the
    bzImage as it was)."""
    digest = hashlib.sha256(release.encode())
    for name in (BZIMAGE, ".config"):
        digest.update((tree / name).read_bytes())
    order = tree / "modules.order"
    for line in order.read_text().splitlines() if order.is_file() else []:
        module = tree / line.strip()
        module = module.with_suffix(".ko") if module.suffix == ".o" else module
        if module.is_file():
            stat = module.stat()
            digest.update(f"{line}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return f"tree-{release}-{digest.hexdigest()[:12]}"


def stage(spec: KernelSpec) -> Kernel:
    """The tree's kernel in the cache: its modules installed (stripped) and indexed, its
    bzImage and .config beside them, its headers the tree. Staged whole or not at all."""
    tree = Path(spec.tree)
    name = key(tree, spec.release)
    dest = cache_dir("kernels") / name
    kernel = Kernel(spec=spec, version=name, root=dest / "root")
    if (dest / COMPLETE_STAMP).exists():
        return kernel
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    root = staging / "root"
    with step(f"installing the modules of {tree} ({spec.release})"):
        subprocess.run(
            ["make", "-C", str(tree), f"-j{os.cpu_count() or 1}", f"INSTALL_MOD_PATH={root}",
             "INSTALL_MOD_STRIP=1", "DEPMOD=true", "modules_install"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    boot = root / "boot"
    boot.mkdir(parents=True)
    shutil.copy2(tree / BZIMAGE, boot / f"vmlinuz-{spec.release}")
    shutil.copy2(tree / ".config", boot / f"config-{spec.release}")
    headers = root / "usr" / "src" / f"linux-headers-{spec.release}"
    headers.parent.mkdir(parents=True)
    headers.symlink_to(tree.resolve())
    # kbuild skips depmod where it is not on PATH; the initramfs needs modules.dep.
    depmod(Kernel(spec=spec, version=name, root=root))
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    (dest / COMPLETE_STAMP).write_text(f"{spec.release} {name}\n")
    return kernel
