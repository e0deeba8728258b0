"""Boot-device mode: a host VM with no disk of its own whose root filesystem is a LUN behind its
vHBA, as the original's boot-from-SAN.

Its stage-1 initramfs carries what it takes to reach the director before any disk exists: the
fabric NIC's and the RDMA stack's modules, soft-RoCE and the image's `rdma` tool (with its
libraries) to bind it to the NIC, the SCSI disk and FC transport modules, and our xscore and
xsvhba. With `xs.root=vhba` on the command line, harness/guest/stage1-init brings the fabric up,
waits for the vHBA's first disk and mounts it as the root.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path, PurePosixPath

from harness import cpio, guestfiles, initramfs
from harness.kernels import Kernel
from harness.modules import Build
from harness.paths import cache_dir

BOOT_MODULES = (
    *initramfs.STAGE1_MODULES,
    "virtio_net",
    "rdma_rxe",
    "rdma_cm",
    "sd_mod",
    "scsi_transport_fc",
)
# rxe on 6.x computes its ICRC through the crypto API; nothing requires the driver by name.
# Later kernels have neither (initramfs.OPTIONAL_MODULES).
OPTIONAL_MODULES = ("crc32_generic",)
OUR_MODULES = ("xsconn/xsconn.ko", "xscore/xscore.ko", "xsvhba/xsvhba.ko")
# keyctl: the host's XSMP keys go into xscore's keyring before the fabric comes up.
PROGRAMS = (PurePosixPath("/usr/bin/rdma"), PurePosixPath("/usr/bin/keyctl"))
KERNEL_ARGS = ("xs.root=vhba",)


def modinfo_depends(module: bytes) -> list[str]:
    """The `depends=` of a module's .modinfo section."""
    match = re.search(rb"(?:^|\0)depends=([^\0]*)\0", module)
    if match is None:
        raise RuntimeError("module has no depends= in its .modinfo")
    return [name.decode() for name in match.group(1).split(b",") if name]


def build_boot_initramfs(
    kernel: Kernel, build: Build, image: Path, keys: dict[str, bytes] | None = None
) -> Path:
    """Return the cached boot-device initramfs for a kernel and a build of our modules.
    `keys`: XSMP keys by host port GUID (16 hex digits), which stage1-init adds to xscore's
    keyring as xsigo:<GUID> before it brings the fabric up (docs/security.md)."""
    keys = keys or {}
    moddir = kernel.modules_root / kernel.release
    ours = {rel: build.module(rel).read_bytes() for rel in OUR_MODULES}
    depends = [d for data in ours.values() for d in modinfo_depends(data)]
    own_names = {initramfs.module_name(rel) for rel in OUR_MODULES}
    optional = [m for m in OPTIONAL_MODULES if initramfs.has_module(kernel, m)]
    wanted = tuple(
        dict.fromkeys([*BOOT_MODULES, *optional, *(d for d in depends if d not in own_names)])
    )
    order = initramfs.load_order(kernel, wanted)
    programs: dict[PurePosixPath, bytes] = {}
    for program in PROGRAMS:
        programs.update(guestfiles.program_closure(image, program))

    init = initramfs.STAGE1_INIT.read_bytes()
    busybox = initramfs.BUSYBOX.read_bytes()
    digest = hashlib.sha256(init + busybox + "\n".join(order).encode())
    for data in (*ours.values(), *programs.values()):
        digest.update(hashlib.sha256(data).digest())
    for guid, key in sorted(keys.items()):
        digest.update(guid.encode() + hashlib.sha256(key).digest())
    dest = cache_dir("initramfs") / (
        f"boot-{kernel.release}_{kernel.version}-{digest.hexdigest()[:12]}.cpio.gz"
    )
    if dest.exists():
        return dest

    entries = initramfs.base_entries(init, busybox)
    names = []
    for rel in order:
        name = initramfs.module_name(rel) + ".ko"
        names.append(name)
        entries.append(cpio.regular(f"stage1/{name}", initramfs.module_bytes(moddir / rel)))
    for rel, data in ours.items():
        name = initramfs.module_name(rel) + ".ko"
        names.append(name)
        entries.append(cpio.regular(f"stage1/{name}", data))
    entries.append(cpio.regular("stage1/load-order", ("\n".join(names) + "\n").encode()))
    directories: set[str] = {"bin", "dev", "stage1"}
    if keys:
        directories.add("stage1/keys")
        entries.append(cpio.directory("stage1/keys"))
    for guid, key in sorted(keys.items()):
        entries.append(cpio.regular(f"stage1/keys/{guid}", key))
    for path, data in sorted(programs.items()):
        parents = [str(p).lstrip("/") for p in reversed(path.parents) if str(p) != "/"]
        for parent in parents:
            if parent not in directories:
                directories.add(parent)
                entries.append(cpio.directory(parent))
        entries.append(cpio.regular(str(path).lstrip("/"), data, executable=True))
    partial = dest.with_suffix(".partial")
    partial.write_bytes(gzip.compress(cpio.archive(entries), compresslevel=6, mtime=0))
    partial.rename(dest)
    return dest
