"""PVH boot: the vmlinux a bzImage carries comes out whole, whatever its compression, and a
kernel without PVH keeps booting its bzImage."""

from __future__ import annotations

import lzma
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import pvh

ELF = pvh.ELF_MAGIC + bytes(range(256)) * 64


def bzimage(compressed: bytes, setup_sects: int = 3, offset: int = 0x40) -> bytes:
    """A bzImage as far as its setup header locates the payload."""
    image = bytearray((setup_sects + 1) * 512 + offset + len(compressed) + 100)
    image[pvh.SETUP_SECTS] = setup_sects
    image[pvh.BOOT_MAGIC : pvh.BOOT_MAGIC + 4] = b"HdrS"
    struct.pack_into("<II", image, pvh.PAYLOAD, offset, len(compressed))
    start = (setup_sects + 1) * 512 + offset
    image[start : start + len(compressed)] = compressed
    return bytes(image)


def gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("compress", [lzma.compress, gzip], ids=["xz", "gzip"])
def test_the_payload_decompresses_to_the_vmlinux(compress: Callable[[bytes], bytes]) -> None:
    with_size = compress(ELF) + struct.pack("<I", len(ELF))
    assert pvh.decompress(pvh.payload(bzimage(with_size))) == ELF


@pytest.mark.skipif(shutil.which("zstd") is None, reason="zstd is installed by the bootstrap")
def test_a_zstd_payload_with_kbuilds_size_trailer_decompresses() -> None:
    packed = subprocess.run(["zstd", "-q", "-c"], input=ELF, capture_output=True, check=True)
    trailer = struct.pack("<I", len(ELF))
    assert pvh.decompress(pvh.payload(bzimage(packed.stdout + trailer))) == ELF


def test_an_image_without_a_boot_header_is_refused() -> None:
    with pytest.raises(pvh.NotExtractable):
        pvh.payload(bytes(4096))


def test_a_payload_that_is_not_an_elf_is_refused() -> None:
    with pytest.raises(pvh.NotExtractable):
        pvh.decompress(lzma.compress(b"not a kernel"))


def test_pvh_is_used_only_when_the_kernel_config_has_it(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("CONFIG_X=y\n# CONFIG_PVH is not set\n")
    assert not pvh.has_pvh(config)
    config.write_text("CONFIG_X=y\nCONFIG_PVH=y\n")
    assert pvh.has_pvh(config)
