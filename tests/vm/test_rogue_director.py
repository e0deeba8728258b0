"""A rogue director on the fabric cannot configure the host nor disturb what the real one
configured: under fio on the real director's disk, a second XCM without the host's key is
refused, and answers to the host's solicitation from a GID it does not trust (one assigning no
XCM, one naming the rogue's) are counted and passed over. The real link, its vHBA and the disk
under fio go on untouched."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from harness import director, modload, san
from harness.fabric import Fabric
from harness.links import SYSFS_LINKS, links, wait_for_state
from harness.modules import Build

HELLO_INTERVAL = 1
UP_WITHIN = 90.0
DISK_WITHIN = 60.0
SERVER = "host"
VHBA = "xsvhba0"
VHBA_WWN = "21:00:00:1b:32:00:00:01"
TARGET = "50:01:43:80:00:00:00:01"
LUN_MB = 64
PORT = "/sys/class/xscore_port/rxe0-1"
ROGUE_XCM = "0002c903000000bb"
ROGUE_KEY = "5a" * 32
REFUSED_WITHIN = 60.0
# fio runs in rounds of this long, one after the other, until every rogue step is done (they
# take 2 minutes on 6.1 and longer on the debug kernel): I/O goes on all the time.
FIO_ROUND_S = 30
FIO_LOG = "/tmp/fio-rogue.log"
FIO_STOP = "/tmp/fio-rogue.stop"
FIO_ERRORS = re.compile(r"\berr=\s*(\d+)")


def diagnostics(fabric: Fabric) -> str:
    host = fabric.host.console.output(
        "dmesg | grep -E 'xscore|xsvhba|scsi|sd ' | tail -n 30;"
        f" grep -H . {PORT}/untrusted {SYSFS_LINKS}/*/state {SYSFS_LINKS}/*/auth_reason"
        " 2>/dev/null"
    )
    solicit = fabric.director.console.output(f"tail -n 8 {director.SOLICIT_LOG}")
    return f"host:\n{host}\nsolicitations:\n{solicit}"


@pytest.fixture(scope="module")
def solicited_disk(fabric: Fabric, module_build: Build) -> Iterator[str]:
    """The host finds the director by UD solicitation, trusting only the director's GID; the
    XCM installs xsvhba0 on card port fc/1 with one 64 MiB LUN. Yields the disk."""
    director.ensure_config(fabric.director, HELLO_INTERVAL)
    director.ctl(fabric.director, f"add-lun {TARGET} 0 --size-mb {LUN_MB}")
    san.start_card(fabric.director)
    director.start_xcm(fabric.director, HELLO_INTERVAL)
    director.start_solicitations(fabric.director)
    con = fabric.host.console
    con.run("modprobe sd_mod")
    modload.load_product(fabric.host, module_build.release)
    try:
        _, director_gid = director.ipv6_gid(fabric.director)
        con.run(f"echo {director_gid} > {PORT}/xds_gids")
        con.run(f"echo 1 > {PORT}/ud_discovery")
        assert wait_for_state(fabric.host, "up", UP_WITHIN), links(fabric.host)
        director.ctl(fabric.director, f"add-vhba {SERVER} {VHBA} --wwn {VHBA_WWN} --port fc/1")
        disk = san.wait_for_disk(fabric.host, DISK_WITHIN)
        assert disk, diagnostics(fabric)
        yield disk
    finally:
        director.ctl(fabric.director, f"delete {SERVER} {VHBA} || true")
        con.wait_until("! ls /sys/class/fc_host/ 2>/dev/null | grep -q .", 45)
        modload.unload_product(fabric.host)
        director.stop_solicitations(fabric.director)
        director.stop_xcm(fabric.director)
        san.stop_card(fabric.director)
        director.ctl(fabric.director, f"remove-lun {TARGET} || true")


def answer_competed(fabric: Fabric, kind: str, untrusted_above: int) -> int:
    """Have the solicitation answered by a rogue first (`kind`, from a GID the host does not
    trust), make the host solicit, and wait for it to count the rogue's answer; return the
    port's untrusted count then."""
    con = fabric.host.console
    director.stop_solicitations(fabric.director)
    director.start_solicitations(fabric.director, compete=kind)
    con.run(f"echo 1 > {PORT}/repoll")
    counted = f"[ $(cat {PORT}/untrusted) -gt {untrusted_above} ]"
    assert con.wait_until(counted, REFUSED_WITHIN), diagnostics(fabric)
    return int(con.output(f"cat {PORT}/untrusted"))


@pytest.mark.default_kernel_only
def test_rogue_director_is_refused_and_the_real_link_and_disk_are_untouched_under_fio(
    fabric: Fabric, solicited_disk: str
) -> None:
    con = fabric.host.console
    own = director.node_guid(fabric.director)
    real, rogue = f"{SYSFS_LINKS}/rxe0-1-{own}", f"{SYSFS_LINKS}/rxe0-1-{ROGUE_XCM}"
    before = {link["xcm_guid"]: link for link in links(fabric.host)}[own]
    fc_hosts = con.output("ls /sys/class/fc_host")
    untrusted = int(con.output(f"cat {PORT}/untrusted"))
    # The rogue XCM runs before the I/O starts; the host meets it under I/O.
    director.start_xcm(fabric.director, HELLO_INTERVAL, guid=ROGUE_XCM, rogue_key=ROGUE_KEY)
    fio = san.fio_verify(solicited_disk, FIO_ROUND_S)
    con.run(
        f"rm -f {FIO_STOP}; {{ n=0; while [ ! -e {FIO_STOP} ]; do {fio} || {{ echo rc=$?; exit; }};"
        f" n=$((n + 1)); done; echo rc=0 rounds=$n; }} > {FIO_LOG} 2>&1 &"
    )
    try:
        # The director's own XDS sends the host to the rogue XCM too: its proof is wrong.
        director.ctl(fabric.director, f"assign-xcm {SERVER} {ROGUE_XCM}")
        con.run(f"echo 1 > {PORT}/repoll")
        refused = f"[ $(cat {rogue}/auth_refused 2>/dev/null || echo 0) -ge 1 ]"
        assert con.wait_until(refused, REFUSED_WITHIN), diagnostics(fabric)
        assert con.output(f"cat {rogue}/auth_reason").strip() == "XCM proof wrong"
        assert con.output(f"cat {rogue}/state").strip() != "up"
        # A rogue answers the solicitation before the director: no XCM at all, then its own.
        untrusted = answer_competed(fabric, "empty", untrusted)
        answer_competed(fabric, "rogue-xcm", untrusted)
    finally:
        con.run(f"touch {FIO_STOP}")
        director.ctl(fabric.director, f"assign-xcm {SERVER} {ROGUE_XCM} --remove")
        director.stop_xcm(fabric.director, ROGUE_XCM)
        director.stop_solicitations(fabric.director)
        director.remove_gid(fabric.director, director.ROGUE_RESPONDER)
        director.start_solicitations(fabric.director)
    con.run("wait", timeout=FIO_ROUND_S + 300, check=False)
    log = con.output(f"cat {FIO_LOG}")
    # Every round verified what it wrote and saw no error; the last ended after the rogue's steps.
    assert "rc=0 rounds=" in log, log + diagnostics(fabric)
    errors = [int(n) for n in FIO_ERRORS.findall(log)]
    assert errors and not any(errors), log + diagnostics(fabric)
    after = {link["xcm_guid"]: link for link in links(fabric.host)}[own]
    assert (after["state"], after["auth"]) == ("up", "authenticated"), after
    assert after["reconnects"] == before["reconnects"], (before, after)
    assert con.output(f"cat {real}/auth_refused").strip() == "0"
    assert con.output("ls /sys/class/fc_host") == fc_hosts
    assert con.output("cat /sys/class/scsi_host/host*/vhba_state").split() == ["ready"]
    assert con.output("cat /sys/class/fc_host/host*/port_state").split() == ["Online"]
