"""Suspend-to-idle ("freeze") and thaw of a host whose link, vNIC and vHBA are busy: the
devices are suspended for the pm_test pause (5 s, the RDMA connections starve), then resumed;
the link, the vNIC and the vHBA come back and carry traffic again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness import director, lan, modload, san
from harness.fabric import Fabric
from harness.links import links, wait_for_state
from harness.modules import Build
from tests.conftest import restore_host

HELLO_INTERVAL = 1
UP_WITHIN = 90.0
SERVER = "host"
VNIC = "xsvnic0"
VHBA = "xsvhba0"
TARGET = "50:01:43:80:00:00:00:01"
PORT = lan.PORTS[0]
RECOVER_WITHIN = 90.0


@dataclass(frozen=True)
class Devices:
    vnic: str
    disk: str


def diagnostics(fabric: Fabric) -> str:
    """The host's side of things, from its kernel only: after a freeze the 9p shares (and so
    xsadm, which runs from one) hang."""
    host = fabric.host.console.output(
        "dmesg | grep -E 'xscore|xsvnic|xsvhba|PM:|scsi' | tail -n 30; "
        "grep -H . /sys/class/xscore_link/*/state 2>/dev/null || true"
    )
    return f"host:\n{host}"


@pytest.fixture(scope="module")
def devices(fabric: Fabric, module_build: Build, fabric_services: str) -> Iterator[Devices]:
    """A vNIC on eth/1 with an address, and a vHBA whose target has one LUN: its disk. The
    host VM is replaced afterwards: virtio-9p has no suspend support, so after the freeze its
    shares (the modules, this repository) hang, and the tests that follow need them."""
    con = fabric.host.console
    director.ensure_config(fabric.director, HELLO_INTERVAL)
    director.ctl(fabric.director, f"add-lun {TARGET} 0 --size-mb 16")
    lan.start_gateway(fabric.director)
    san.start_card(fabric.director)
    director.start_xcm(fabric.director, HELLO_INTERVAL)
    con.run("modprobe sd_mod")
    modload.load_product(fabric.host, module_build.release, f"xds_gid={fabric_services}")
    try:
        assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
        director.ctl(fabric.director, f"add-vnic {SERVER} {VNIC} --port {PORT.card_port}")
        director.ctl(fabric.director, f"add-vhba {SERVER} {VHBA} --port fc/1")
        assert con.wait_until(f"[ -e /sys/class/net/{VNIC} ]", 45), diagnostics(fabric)
        con.run(f"ip link set {VNIC} up && ip addr add {PORT.host_ipv4()}/24 dev {VNIC}")
        disk = san.wait_for_disk(fabric.host, 60)
        assert disk is not None, diagnostics(fabric)
        yield Devices(VNIC, disk)
    finally:
        try:
            director.ctl(fabric.director, f"delete {SERVER} {VNIC} || true")
            director.ctl(fabric.director, f"delete {SERVER} {VHBA} || true")
            director.stop_xcm(fabric.director)
            san.stop_card(fabric.director)
            lan.stop_gateway(fabric.director)
            director.ctl(fabric.director, f"remove-lun {TARGET} || true")
        finally:
            # The tests that follow need a host without our modules, whatever failed above.
            restore_host(fabric)


@pytest.mark.default_kernel_only
def test_freeze_and_thaw_under_traffic_brings_link_vnic_and_vhba_back(
    fabric: Fabric, devices: Devices
) -> None:
    con = fabric.host.console
    can_freeze = "grep -qw freeze /sys/power/state && test -w /sys/power/pm_test"
    if not con.run(can_freeze, check=False).ok:
        pytest.skip("this kernel has no suspend-to-idle or no pm_test (CONFIG_PM_DEBUG)")
    remote = PORT.remote_ipv4()
    con.run(f"ping -i 0.2 -w 60 {remote} > /tmp/freeze-ping.log 2>&1 &")
    con.run(
        f"{{ dd if={devices.disk} of=/dev/null bs=64k count=2000 iflag=direct; echo rc=$?; }}"
        " > /tmp/freeze-dd.log 2>&1 &"
    )
    con.run("sleep 2")
    con.run("echo devices > /sys/power/pm_test")
    try:
        freeze = con.run("echo freeze > /sys/power/state", check=False, timeout=120)
        assert freeze.ok, freeze.output + diagnostics(fabric)
    finally:
        con.run("echo none > /sys/power/pm_test")
    assert con.output("dmesg | grep -c 'PM: suspend exit' || true").split()[0] != "0", diagnostics(
        fabric
    )
    con.run("wait", timeout=180, check=False)
    dd = con.output("cat /tmp/freeze-dd.log")
    assert "rc=0" in dd, dd + diagnostics(fabric)
    assert wait_for_state(fabric.host, "up", RECOVER_WITHIN), diagnostics(fabric)
    assert con.wait_until(f"ping -c 1 -W 2 {remote} > /dev/null", RECOVER_WITHIN), diagnostics(
        fabric
    )
    after = con.run(
        f"dd if={devices.disk} of=/dev/null bs=64k count=64 iflag=direct", check=False, timeout=120
    )
    assert after.ok, after.output + diagnostics(fabric)
    # The XCM can still take the devices away: DELETE after the thaw removes both.
    director.ctl(fabric.director, f"delete {SERVER} {VNIC}")
    director.ctl(fabric.director, f"delete {SERVER} {VHBA}")
    gone = f"[ ! -e /sys/class/net/{VNIC} ] && ! ls -d /sys/class/fc_host/host* 2>/dev/null"
    assert con.wait_until(gone, 45), diagnostics(fabric)
