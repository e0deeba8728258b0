"""The pieces of the boot-device initramfs that run without a VM: module dependencies from
.modinfo, files read out of an ext4 image through its symlinks, and the QEMU command line of a
guest without a root disk."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from harness import bootdisk, guestfiles
from harness.qemu import FabricLink, GuestSpec, command


def test_modinfo_depends_lists_the_modules_a_module_needs() -> None:
    modinfo = b"\0license=GPL\0depends=ib_core,rdma_cm,scsi_transport_fc\0name=xsvhba\0"
    assert bootdisk.modinfo_depends(b"ELF..." + modinfo) == [
        "ib_core",
        "rdma_cm",
        "scsi_transport_fc",
    ]
    assert bootdisk.modinfo_depends(b"\0depends=\0name=x\0") == []


def test_modinfo_without_depends_is_refused() -> None:
    with pytest.raises(RuntimeError):
        bootdisk.modinfo_depends(b"\0license=GPL\0")


@pytest.fixture
def usrmerged_image(tmp_path: Path) -> Path:
    """A small ext4 image laid out as Debian's: /lib a symlink to usr/lib, a SONAME link."""
    if shutil.which("mke2fs") is None or shutil.which("debugfs") is None:
        pytest.skip("e2fsprogs is not installed")
    root = tmp_path / "root"
    libdir = root / "usr/lib/x86_64-linux-gnu"
    libdir.mkdir(parents=True)
    (libdir / "libxs.so.1.2.3").write_bytes(b"the library")
    (libdir / "libxs.so.1").symlink_to("libxs.so.1.2.3")
    (root / "lib").symlink_to("usr/lib")
    (root / "usr/bin").mkdir()
    (root / "usr/bin/tool").write_bytes(b"the tool")
    image = tmp_path / "root.ext4"
    subprocess.run(
        ["mke2fs", "-q", "-t", "ext4", "-d", str(root), str(image), "4M"],
        check=True,
        capture_output=True,
    )
    return image


def test_image_files_are_read_through_directory_and_file_symlinks(usrmerged_image: Path) -> None:
    lib = PurePosixPath("/lib/x86_64-linux-gnu/libxs.so.1")
    assert guestfiles.read(usrmerged_image, lib) == b"the library"
    assert guestfiles.read(usrmerged_image, PurePosixPath("/usr/bin/tool")) == b"the tool"


def test_a_file_missing_from_the_image_is_an_error(usrmerged_image: Path) -> None:
    with pytest.raises(RuntimeError):
        guestfiles.read(usrmerged_image, PurePosixPath("/usr/bin/absent"))


def spec(root_image: Path | None, extra: tuple[Path, ...] = ()) -> GuestSpec:
    return GuestSpec(
        role="host",
        vmlinuz=Path("/k/vmlinuz"),
        initramfs=Path("/k/initrd"),
        root_image=root_image,
        modules_root=Path("/k/modules"),
        link=FabricLink(socket=Path("/tmp/s"), server=False, mac="52:54:00:18:00:01"),
        ipv4="198.18.0.1/24",
        ipv6="2001:db8::1/64",
        extra_drives=extra,
    )


def drives(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == "-drive"]


def test_guest_without_a_root_image_has_no_disk() -> None:
    assert drives(command(spec(None))) == []


def test_extra_drives_follow_the_root_copy_on_write() -> None:
    argv = command(spec(Path("/img/root.ext4"), (Path("/img/lun.ext4"),)))
    assert drives(argv) == [
        "file=/img/root.ext4,if=virtio,format=raw,snapshot=on",
        "file=/img/lun.ext4,if=virtio,format=raw,snapshot=on",
    ]
