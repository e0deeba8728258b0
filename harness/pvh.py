"""The kernel image the guests boot: the uncompressed vmlinux through PVH where the kernel has
it (CONFIG_PVH), else the bzImage.

Under TCG a bzImage spends about 4 s of a 9 s boot in its own decompressor (xz or zstd in
Debian's kernels). QEMU loads an ELF vmlinux that carries the PVH entry note straight into
guest memory and starts it there, so the guest starts in about half the time. The vmlinux is
taken out of the bzImage once (the payload that its setup header points at) and kept beside
it in the kernel's cache directory.
"""

from __future__ import annotations

import lzma
import os
import struct
import subprocess
import zlib
from pathlib import Path

from harness.kernels import Kernel
from harness.log import say

SETUP_SECTS = 0x1F1
BOOT_MAGIC = 0x202  # "HdrS"
PAYLOAD = 0x248  # payload_offset, payload_length (from the protected-mode code's start)
XZ_MAGIC = b"\xfd7zXZ\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
ELF_MAGIC = b"\x7fELF"


class NotExtractable(RuntimeError):
    """The bzImage does not hold a payload this module can decompress."""


def payload(bzimage: bytes) -> bytes:
    """The compressed kernel a bzImage carries, as its setup header locates it."""
    if bzimage[BOOT_MAGIC : BOOT_MAGIC + 4] != b"HdrS":
        raise NotExtractable("no boot protocol header")
    setup_sects = bzimage[SETUP_SECTS] or 4
    offset, length = struct.unpack_from("<II", bzimage, PAYLOAD)
    start = (setup_sects + 1) * 512 + offset
    if not length or start + length > len(bzimage):
        raise NotExtractable("payload outside the image")
    return bzimage[start : start + length]


def decompress(data: bytes) -> bytes:
    """The vmlinux ELF in a bzImage payload (xz, zstd or gzip, as the kernel was built)."""
    if data.startswith(XZ_MAGIC):
        out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
    elif data.startswith(ZSTD_MAGIC):
        # kbuild appends the uncompressed size (4 bytes), which zstd would take for a frame.
        run = subprocess.run(["zstd", "-dcq"], input=data[:-4], capture_output=True, check=False)
        if run.returncode != 0:
            raise NotExtractable(f"zstd: {run.stderr.decode(errors='replace').strip()}")
        out = run.stdout
    elif data.startswith(GZIP_MAGIC):
        out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    else:
        raise NotExtractable(f"payload compressed as {data[:4].hex()}: not xz, zstd or gzip")
    if not out.startswith(ELF_MAGIC):
        raise NotExtractable("the payload is not an ELF image")
    return out


def has_pvh(config: Path) -> bool:
    try:
        return "CONFIG_PVH=y" in config.read_text().splitlines()
    except OSError:
        return False


def boot_image(kernel: Kernel) -> Path:
    """What QEMU's -kernel gets for this kernel: its vmlinux when it can boot through PVH."""
    if not has_pvh(kernel.config):
        return kernel.vmlinuz
    target = kernel.vmlinuz.with_name(f"vmlinux-pvh-{kernel.release}")
    if target.exists() and target.stat().st_mtime >= kernel.vmlinuz.stat().st_mtime:
        return target
    try:
        elf = decompress(payload(kernel.vmlinuz.read_bytes()))
    except NotExtractable as exc:
        say(f"{kernel.release}: booting the bzImage: {exc}")
        return kernel.vmlinuz
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(elf)
    os.replace(partial, target)
    return target
