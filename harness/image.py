"""The guest root image: a Debian root built with mmdebstrap, as an ext4 file.

One image serves every kernel and both VMs (QEMU opens it with snapshot=on); kernel modules and
project code reach the guests over 9p, so neither a kernel bump nor a module rebuild rebuilds it.
The image is cached under a key hashed from everything that goes into it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from harness import apt
from harness.log import step
from harness.paths import GUEST_SCRIPTS, cache_dir

SUITE = "bookworm"
IMAGE_SIZE = "1600M"
PACKAGES_FILE = GUEST_SCRIPTS / "packages.txt"
# Mount points the guest init uses; created in the image so the snapshot overlay stays small.
MOUNT_POINTS = ("mnt/xs", "mnt/kmods")
# Bump when the recipe below changes in a way the inputs do not show.
RECIPE_VERSION = "1"


def packages() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in PACKAGES_FILE.read_text().splitlines())
    return [line for line in lines if line]


def image_key() -> str:
    mmdebstrap = subprocess.run(
        ["mmdebstrap", "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    recipe = "\n".join([RECIPE_VERSION, SUITE, IMAGE_SIZE, mmdebstrap, *MOUNT_POINTS, *packages()])
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def _customize(rootfs: Path) -> None:
    for mount_point in MOUNT_POINTS:
        (rootfs / mount_point).mkdir(parents=True, exist_ok=True)
    (rootfs / "etc" / "hostname").write_text("xsguest\n")
    # The guests have no udev; the fabric NIC keeps its kernel name.
    (rootfs / "etc" / "fstab").write_text("")


def build_image() -> Path:
    """Return the cached root image, building it when its inputs changed."""
    dest = cache_dir("images") / f"rootfs-{image_key()}.ext4"
    if dest.exists():
        return dest
    work = cache_dir("images") / f".build-{dest.stem}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    rootfs = work / "rootfs"
    with step(f"building guest root image {dest.name} (mmdebstrap {SUITE})"):
        subprocess.run(
            [
                "mmdebstrap",
                "--variant=minbase",
                "--mode=root",
                "--quiet",
                f"--include={','.join(packages())}",
                "--dpkgopt=path-exclude=/usr/share/doc/*",
                "--dpkgopt=path-exclude=/usr/share/man/*",
                "--dpkgopt=path-exclude=/usr/share/locale/*",
                SUITE,
                str(rootfs),
                # the mirror this machine's apt already uses
                apt.archive_uri(SUITE),
            ],
            check=True,
        )
        _customize(rootfs)
        partial = work / "root.ext4"
        subprocess.run(
            [
                "mke2fs",
                "-q",
                "-t",
                "ext4",
                "-L",
                "xsroot",
                "-d",
                str(rootfs),
                str(partial),
                IMAGE_SIZE,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        partial.rename(dest)
    shutil.rmtree(work, ignore_errors=True)
    return dest
