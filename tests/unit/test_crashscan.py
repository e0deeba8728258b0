"""The kernel-log scanner finds every kind of splat it claims to, and nothing in clean logs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness import crashscan

WARN_SPLAT = """\
[   41.120001] xs_splat: loading
[   41.120345] ------------[ cut here ]------------
[   41.120400] xs_splat: deliberate warning for the log scanner self-test
[   41.120512] WARNING: CPU: 0 PID: 231 at xs_splat.c:12 xs_splat_init+0x15/0x1000 [xs_splat]
[   41.120600] Modules linked in: xs_splat(OE+) rdma_rxe ib_uverbs
[   41.120700] Call Trace:
[   41.120800]  <TASK>
[   41.120900]  do_one_initcall+0x41/0x200
[   41.121000]  </TASK>
[   41.121100] ---[ end trace 0000000000000000 ]---
[   41.121200] xs_splat: loaded
"""

CLEAN = """\
[    1.000000] Linux version 6.1.0-56-amd64
[    2.000000] xscore: rxe0 port 1: Ethernet, ACTIVE
[    2.100000] systemd-journald: WARNING: not a kernel splat because it is not at the start
[    3.000000] rdma_rxe: loaded
"""

ONE_LINERS = {
    "kernel BUG": "[ 5.0] kernel BUG at drivers/infiniband/ulp/xs.c:10!",
    "BUG": "[ 5.0] BUG: unable to handle page fault for address: 0000000000001234",
    "Oops": "[ 5.0] Oops: 0002 [#1] PREEMPT SMP NOPTI",
    "general protection fault": "[ 5.0] general protection fault, probably for non-canonical",
    "UBSAN": "[ 5.0] UBSAN: array-index-out-of-bounds in drivers/x.c:3:4",
    "hung task": "[ 5.0] INFO: task kworker/0:1:42 blocked for more than 120 seconds.",
    "lockdep": "[ 5.0] WARNING: possible circular locking dependency detected",
    "RCU": "[ 5.0] =============================\n[ 5.0] WARNING: suspicious RCU usage",
    "kmemleak": "unreferenced object 0xffff888003a1b200 (size 64):",
    "panic": "[ 5.0] Kernel panic - not syncing: Fatal exception",
}


def test_warning_splat_is_found_and_quoted_to_its_end_marker() -> None:
    splats = crashscan.scan(WARN_SPLAT)
    assert [s.kind for s in splats] == ["WARNING"]
    assert "xs_splat_init" in splats[0].excerpt
    assert splats[0].excerpt.rstrip().endswith("---[ end trace 0000000000000000 ]---")


def test_clean_log_has_no_splats() -> None:
    assert crashscan.scan(CLEAN) == []


@pytest.mark.parametrize("kind", sorted(ONE_LINERS))
def test_each_splat_kind_is_detected(kind: str) -> None:
    splats = crashscan.scan(ONE_LINERS[kind])
    assert splats, f"{kind} not detected"
    # lockdep and RCU reports start with WARNING: either classification fails the test
    assert splats[0].kind in (kind, "WARNING")


def test_kasan_report_is_detected_as_a_bug() -> None:
    splats = crashscan.scan("[ 9.0] BUG: KASAN: slab-use-after-free in xscore_remove+0x1")
    assert len(splats) == 1


def test_only_the_log_after_the_newest_marker_is_considered() -> None:
    log = "\n".join(
        [
            "[ 1.0] XS-MARK t1",
            WARN_SPLAT,
            "[ 50.0] XS-MARK t2",
            "[ 51.0] all quiet",
        ]
    )
    assert crashscan.scan(crashscan.after_mark(log, "t2")) == []
    assert len(crashscan.scan(crashscan.after_mark(log, "t1"))) == 1


def test_missing_marker_is_an_error_not_a_clean_pass() -> None:
    with pytest.raises(LookupError):
        crashscan.after_mark(CLEAN, "never-written")


def test_marker_labels_are_checked_for_shell_safety() -> None:
    assert crashscan.mark_command("tests_vm_a.py__b_6.1_") == (
        "echo 'XS-MARK tests_vm_a.py__b_6.1_' > /dev/kmsg"
    )
    with pytest.raises(ValueError):
        crashscan.mark_command("x'; reboot; '")


def test_the_log_after_the_newest_marker_of_any_label_is_what_no_scan_has_read() -> None:
    log = "\n".join(
        ["[ 1.0] XS-MARK t1", WARN_SPLAT, "[ 50.0] XS-MARK t1.checked", "[ 51.0] quiet"]
    )
    assert crashscan.after_newest_mark(log) == "[ 51.0] quiet"
    assert crashscan.scan(crashscan.after_newest_mark(WARN_SPLAT)) != []


def _run_loglevel_command(tmp_path: Path, level: str) -> tuple[str, str]:
    """Run the command with `level` as the console's, against a dmesg that logs its calls."""
    printk = tmp_path / "printk"
    printk.write_text(f"{level}\t4\t1\t7\n")
    calls = tmp_path / "calls"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    dmesg = bindir / "dmesg"
    dmesg.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n[ $# = 0 ] && echo "[ 1.0] a line"\n')
    dmesg.chmod(0o755)
    command = crashscan.loglevel_command(3, printk=str(printk))
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    out = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True).stdout
    return out, calls.read_text() if calls.exists() else ""


def test_loglevel_command_is_silent_while_the_level_is_the_boots(tmp_path: Path) -> None:
    assert _run_loglevel_command(tmp_path, "3") == ("", "")


def test_loglevel_command_sets_a_raised_level_back_and_shows_the_log(tmp_path: Path) -> None:
    out, calls = _run_loglevel_command(tmp_path, "15")
    assert out.splitlines() == ["console log level 15", "[ 1.0] a line"]
    assert calls.splitlines()[0] == "-n 3"
