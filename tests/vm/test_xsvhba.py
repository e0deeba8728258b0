"""A vHBA is a true Linux SCSI HBA: the XCM installs it, xsvhba makes it a SCSI host with FC
transport attributes connected to the director's FC card, the card's targets become remote
ports and their LUNs disks, and data moves by RDMA intact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import director, modload, san
from harness.fabric import Fabric
from harness.links import links, wait_for_state
from harness.modules import Build

HELLO_INTERVAL = 1
UP_WITHIN = 90.0
SERVER = "host"
VHBA = "xsvhba0"
VHBA_WWN = "21:00:00:1b:32:00:00:01"
TARGET = "50:01:43:80:00:00:00:01"
LUN_MB = 64
DISK_WITHIN = 60.0


def diagnostics(fabric: Fabric) -> str:
    host = fabric.host.console.output(
        "dmesg | grep -E 'xscore|xsvhba|scsi|sd ' | tail -n 25; lsscsi 2>&1 | tail -n 5"
    )
    card = fabric.director.console.output(f"tail -n 30 {san.FCGW_LOG}")
    return f"host:\n{host}\ncard:\n{card}"


def disk_of(fabric: Fabric, lun: int) -> str:
    """The /dev/sdX of LUN `lun` on the vHBA's host (empty when none)."""
    out = fabric.host.console.output(
        f"for h in /sys/class/fc_host/host*; do n=${{h##*host}}; "
        f"ls -d /sys/class/scsi_disk/$n:0:*:{lun} 2>/dev/null; done | head -n 1"
    ).strip()
    if not out:
        return ""
    hctl = out.rsplit("/", 1)[1]
    name = fabric.host.console.output(f"ls /sys/class/scsi_disk/{hctl}/device/block").strip()
    return f"/dev/{name}"


@pytest.fixture(scope="module")
def vhba(fabric: Fabric, module_build: Build, fabric_services: str) -> Iterator[str]:
    """xsvhba0 on card port fc/1, whose target has one 64 MiB LUN; yields the disk."""
    director.ensure_config(fabric.director, HELLO_INTERVAL)
    director.ctl(fabric.director, f"add-lun {TARGET} 0 --size-mb {LUN_MB}")
    san.start_card(fabric.director)
    director.start_xcm(fabric.director, HELLO_INTERVAL)
    con = fabric.host.console
    # No udev in the guest loads the disk driver for new SCSI devices.
    con.run("modprobe sd_mod")
    modload.load_product(fabric.host, module_build.release, f"xds_gid={fabric_services}")
    try:
        assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
        director.ctl(fabric.director, f"add-vhba {SERVER} {VHBA} --wwn {VHBA_WWN} --port fc/1")
        assert con.wait_until("ls /sys/class/scsi_disk/ 2>/dev/null | grep -q .", DISK_WITHIN), (
            diagnostics(fabric)
        )
        disk = disk_of(fabric, 0)
        assert disk, diagnostics(fabric)
        yield disk
    finally:
        director.ctl(fabric.director, f"delete {SERVER} {VHBA} || true")
        con.wait_until("! ls /sys/class/fc_host/ 2>/dev/null | grep -q .", 45)
        modload.unload_product(fabric.host)
        director.stop_xcm(fabric.director)
        san.stop_card(fabric.director)
        director.ctl(fabric.director, f"remove-lun {TARGET} || true")


def test_vhba_is_an_fc_host_with_the_installed_wwn(fabric: Fabric, vhba: str) -> None:
    con = fabric.host.console
    names = con.output("cat /sys/class/fc_host/host*/port_name")
    assert "0x2100001b32000001" in names, names
    assert "Online" in con.output("cat /sys/class/fc_host/host*/port_state")
    rports = con.output("cat /sys/class/fc_remote_ports/rport-*/port_name")
    assert "0x5001438000000001" in rports, rports + diagnostics(fabric)


def test_lun_shows_with_the_cards_inquiry_data(fabric: Fabric, vhba: str) -> None:
    con = fabric.host.console
    listing = con.output("lsscsi")
    assert "XSIGO" in listing and "VIRTUAL DISK" in listing, listing
    serial = con.output(f"sg_inq -p 0x80 {vhba}")
    assert "XS000001000" in serial, serial
    size = int(con.output(f"blockdev --getsize64 {vhba}"))
    assert size == LUN_MB << 20


def test_random_64_mib_written_reads_back_identical(fabric: Fabric, vhba: str) -> None:
    con = fabric.host.console
    con.run(f"head -c {LUN_MB}M /dev/urandom > /tmp/pattern.bin")
    con.run(f"dd if=/tmp/pattern.bin of={vhba} bs=1M oflag=direct status=none", timeout=600)
    con.run(f"dd if={vhba} of=/tmp/back.bin bs=1M iflag=direct status=none", timeout=600)
    sent = con.output("sha256sum < /tmp/pattern.bin").split()[0]
    got = con.output("sha256sum < /tmp/back.bin").split()[0]
    con.run("rm -f /tmp/pattern.bin /tmp/back.bin")
    assert sent == got, diagnostics(fabric)
