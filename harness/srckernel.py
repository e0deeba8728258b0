"""Kernels built here from Debian's linux-source packages: the matrix cells Debian's packaged
headers cannot serve (the newest series, whose kbuild wants a compiler bookworm lacks) and the
debug kernel (KASAN, lockdep, kmemleak, ...).

A cell names a source package, its suite and config fragments (ci/kconfig/). The kernel is
configured from x86_64_defconfig and kvm_guest.config with the fragments merged by the kernel's
own scripts/kconfig/merge_config.sh, checked (every option a fragment sets must survive
olddefconfig), built with this machine's gcc, and laid out in the cache as a fetched Debian
kernel is: boot/vmlinuz-R, boot/config-R, lib/modules/R, and the build tree as
usr/src/linux-headers-R for out-of-tree modules. The cache key hashes the package version and
the fragments; the unpacked source is shared by every cell built from it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from harness import apt
from harness.kernels import COMPLETE_STAMP, Kernel
from harness.log import say, step
from harness.matrix import KernelSpec, SourceSpec
from harness.paths import REPO, cache_dir

FRAGMENT_DIR = REPO / "ci" / "kconfig"
BASE_CONFIGS = ("x86_64_defconfig", "kvm_guest.config")
OPTION = re.compile(r"^(CONFIG_\w+)=(.*)$|^# (CONFIG_\w+) is not set$")


@functools.cache
def _suite(suite: str) -> apt.SuiteArchive:
    return apt.SuiteArchive(suite, cache_dir("apt", suite))


def _archive(source: SourceSpec) -> apt.SuiteArchive:
    return _suite(source.suite)


def resolve(spec: KernelSpec) -> str:
    """The package version to build: the pinned one, or the suite's newest when it is gone."""
    source = spec.source
    assert source is not None
    return _archive(source).pinned_or_newest(
        source.package, source.version, f"kernel {spec.id}", "ci/kernels.toml"
    )


def source_tree(spec: KernelSpec, version: str) -> Path:
    """The unpacked kernel source of a package version, shared by the cells built from it."""
    source = spec.source
    assert source is not None
    dest = cache_dir("kernel-src") / f"{source.package}_{version}".replace("~", "_")
    tree = dest / "linux"
    if (dest / COMPLETE_STAMP).exists():
        return tree
    with step(f"unpacking {source.package} {version}"):
        shutil.rmtree(dest, ignore_errors=True)
        deb = _archive(source).download(source.package, version, dest / "deb")
        apt.extract(deb, dest / "pkg")
        (tarball,) = (dest / "pkg" / "usr" / "src").glob("linux-source-*.tar.*")
        with tarfile.open(tarball) as tar:
            tar.extractall(dest / "unpacked", filter="tar")
        (top,) = (dest / "unpacked").iterdir()
        top.rename(tree)
        shutil.rmtree(dest / "pkg")
        shutil.rmtree(dest / "deb")
        shutil.rmtree(dest / "unpacked")
        (dest / COMPLETE_STAMP).write_text(f"{source.package} {version}\n")
    return tree


def fragment_paths(source: SourceSpec) -> list[Path]:
    return [FRAGMENT_DIR / name for name in source.fragments]


def wanted_options(fragments: list[Path]) -> dict[str, str]:
    """Every option the fragments set, as the last one to set it has it ('n' for unset)."""
    wanted: dict[str, str] = {}
    for fragment in fragments:
        for line in fragment.read_text().splitlines():
            match = OPTION.match(line.strip())
            if match is None:
                continue
            if match.group(3):
                wanted[match.group(3)] = "n"
            else:
                wanted[match.group(1)] = match.group(2)
    return wanted


def config_options(config: Path) -> dict[str, str]:
    return wanted_options([config])


def missing_options(wanted: dict[str, str], config: dict[str, str]) -> list[str]:
    """The fragment settings the final .config lost (a dependency unmet, a renamed option)."""
    lost = []
    for name, value in wanted.items():
        got = config.get(name, "n")
        if got != value:
            lost.append(f"{name}={value} (got {got})")
    return lost


def _make(tree: Path, build: Path, *targets: str, jobs: int | None = None) -> None:
    args = ["make", "-C", str(tree), f"O={build}", f"-j{jobs or os.cpu_count() or 1}"]
    subprocess.run([*args, *targets], check=True, stdout=subprocess.DEVNULL)


def key(spec: KernelSpec, version: str) -> str:
    source = spec.source
    assert source is not None
    digest = hashlib.sha256(version.encode())
    for fragment in fragment_paths(source):
        digest.update(fragment.name.encode() + b"\0" + fragment.read_bytes())
    return f"{spec.id}_{version}-{digest.hexdigest()[:12]}".replace("~", "_")


def build(spec: KernelSpec) -> Kernel:
    """Return the cell's kernel built in the cache, configuring and building it first if
    needed."""
    source = spec.source
    if source is None:
        raise ValueError(f"kernel {spec.id} is a packaged kernel, not one built from source")
    version = resolve(spec)
    dest = cache_dir("kernels") / key(spec, version)
    stamp = dest / COMPLETE_STAMP
    if stamp.exists():
        return Kernel(spec=spec.with_release(stamp.read_text().split()[0]), version=version,
                      root=dest / "root")  # fmt: skip
    tree = source_tree(spec, version)
    # An interrupted build goes on where it stopped: the object tree stays, and the same
    # configuration rebuilds nothing that is done.
    obj = dest / "build"
    obj.mkdir(parents=True, exist_ok=True)
    root = dest / "root"
    shutil.rmtree(root, ignore_errors=True)
    fragments = fragment_paths(source)
    with step(f"configuring kernel {spec.id} ({source.package} {version})"):
        _make(tree, obj, *BASE_CONFIGS, jobs=1)
        subprocess.run(
            [str(tree / "scripts/kconfig/merge_config.sh"), "-m", "-O", str(obj),
             str(obj / ".config"), *map(str, fragments)],
            check=True, cwd=tree, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _make(tree, obj, "olddefconfig", jobs=1)
        lost = missing_options(wanted_options(fragments), config_options(obj / ".config"))
        if lost:
            raise RuntimeError(f"kernel {spec.id}: the config lost " + ", ".join(lost))
    jobs = os.cpu_count()
    with step(f"building kernel {spec.id} ({jobs} jobs; cold, this takes a while)"):
        _make(tree, obj, "bzImage", "modules")
        _make(tree, obj, f"INSTALL_MOD_PATH={root}", "INSTALL_MOD_STRIP=1", "modules_install")
    release = (obj / "include" / "config" / "kernel.release").read_text().strip()
    if release != spec.release:
        say(f"WARNING: kernel {spec.id} builds as {release}, not {spec.release}")
    boot = root / "boot"
    boot.mkdir(parents=True)
    shutil.copy2(obj / "arch/x86/boot/bzImage", boot / f"vmlinuz-{release}")
    shutil.copy2(obj / ".config", boot / f"config-{release}")
    headers = root / "usr" / "src" / f"linux-headers-{release}"
    headers.parent.mkdir(parents=True)
    headers.symlink_to(obj)
    # modules_install links build/ to the tree it was built in; out-of-tree builds use kdir.
    stamp.write_text(f"{release} {version}\n")
    return Kernel(spec=spec.with_release(release), version=version, root=root)
