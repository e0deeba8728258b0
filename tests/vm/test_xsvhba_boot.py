"""Boot-device mode: a host VM without a disk of its own boots with its root filesystem on a
LUN behind its vHBA (the original's boot-from-SAN). The LUN is the director's copy-on-write view
of the guest root image; the host's stage 1 brings the fabric up, xscore finds the director,
the XCM installs the vHBA, and the first disk becomes the root."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import auth, bootdisk, crashscan, director, image, san
from harness.director import node_guid
from harness.fabric import ROOT_LUN_DEVICE, Fabric
from harness.kernels import Kernel
from harness.modules import Build
from tests.conftest import KernelLog, restore_host

HELLO_INTERVAL = 1
SERVER = "host"
VHBA = "xsboot0"
VHBA_WWN = "21:00:00:1b:32:00:00:0b"
BOOT_TARGET = "50:01:43:80:00:00:00:0b"


@pytest.fixture
def root_lun(fabric: Fabric, fabric_services: str) -> Iterator[None]:
    """The director serves the root image as LUN 0 of a target, and the host has a vHBA."""
    director.ensure_config(fabric.director, HELLO_INTERVAL)
    director.ctl(fabric.director, f"add-lun {BOOT_TARGET} 0 --backing {ROOT_LUN_DEVICE}")
    director.ctl(fabric.director, f"add-vhba {SERVER} {VHBA} --wwn {VHBA_WWN} --port fc/1")
    san.start_card(fabric.director)
    director.start_xcm(fabric.director, HELLO_INTERVAL)
    try:
        yield
    finally:
        director.stop_xcm(fabric.director)
        san.stop_card(fabric.director)
        director.ctl(fabric.director, f"delete {SERVER} {VHBA} || true")
        director.ctl(fabric.director, f"remove-lun {BOOT_TARGET} || true")


@pytest.mark.default_kernel_only
def test_host_boots_with_its_root_on_a_vhba_lun(
    fabric: Fabric,
    kernel: Kernel,
    module_build: Build,
    fabric_services: str,
    root_lun: None,
    kernel_log: KernelLog,
) -> None:
    guid = node_guid(fabric.host)
    keys = {guid: bytes.fromhex(auth.test_key(guid))}
    initrd = bootdisk.build_boot_initramfs(kernel, module_build, image.build_image(), keys)
    try:
        host = fabric.replace_host(initrd, (f"xscore.xds_gid={fabric_services}",))
        con = host.console
        assert con.output("findmnt -n -o FSTYPE /").strip() == "ext4"
        root = con.output("findmnt -n -o SOURCE /").strip()
        assert root.startswith("/dev/sd"), root
        assert con.output("ls /dev/vd* 2>/dev/null || echo none").strip() == "none"
        # The root disk is a LUN of the installed vHBA, through the boot target.
        assert VHBA_WWN.replace(":", "") in con.output("cat /sys/class/fc_host/host*/port_name")
        assert BOOT_TARGET.replace(":", "") in con.output(
            "cat /sys/class/fc_remote_ports/rport-*/port_name"
        )
        # Writes reach the LUN and read back from it, not from the page cache.
        con.run("head -c 4M /dev/urandom > /root/on-the-lun && sync")
        written = con.output("sha256sum < /root/on-the-lun").split()[0]
        con.run("echo 3 > /proc/sys/vm/drop_caches")
        assert con.output("sha256sum < /root/on-the-lun").split()[0] == written
        assert int(con.output("cat /sys/class/scsi_host/host*/reconnects").split()[0]) == 0
        splats = crashscan.scan(con.output("dmesg"))
        assert not splats, "\n\n".join(map(str, splats))
    finally:
        restore_host(fabric, kernel_log)
