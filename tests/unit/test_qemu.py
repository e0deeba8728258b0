"""The guests' QEMU command line: a Ctrl-C on the serial console is for the guest, not QEMU."""

from __future__ import annotations

import shutil
import termios
import time
from dataclasses import replace
from pathlib import Path

import pexpect
import pytest

from harness.qemu import QEMU, SERIAL, FabricLink, GuestSpec, command, cpu_model


def spec(tmp_path: Path) -> GuestSpec:
    return GuestSpec(
        role="host",
        vmlinuz=tmp_path / "vmlinuz",
        initramfs=tmp_path / "initramfs",
        root_image=tmp_path / "root.img",
        modules_root=tmp_path / "modules",
        link=FabricLink(socket=tmp_path / "fabric.sock", server=False, mac="52:54:00:18:00:01"),
        ipv4="198.18.0.1/24",
        ipv6="2001:db8::1/64",
    )


def test_serial_console_is_a_stdio_chardev_that_turns_no_key_into_a_signal(
    tmp_path: Path,
) -> None:
    argv = command(spec(tmp_path))
    chardev = argv[argv.index("-chardev") + 1].split(",")
    assert chardev[0] == "stdio"
    assert "signal=off" in chardev
    ident = next(opt.removeprefix("id=") for opt in chardev if opt.startswith("id="))
    assert argv[argv.index("-serial") + 1] == f"chardev:{ident}"
    assert argv.count("-serial") == 1


def test_kernels_built_here_boot_with_four_level_paging_and_packaged_ones_as_before(
    tmp_path: Path,
) -> None:
    packaged = command(replace(spec(tmp_path), cpu=cpu_model(built_here=False)))
    built = command(replace(spec(tmp_path), cpu=cpu_model(built_here=True)))
    assert packaged[packaged.index("-cpu") + 1] == "max"
    assert built[built.index("-cpu") + 1].split(",") == ["max", "la57=off"]
    assert packaged.count("-cpu") == built.count("-cpu") == 1


def _wait_for_raw_terminal(child: pexpect.spawn, timeout: float = 10.0) -> None:
    """Until QEMU has put its stdio terminal in raw mode (canonical input off)."""
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(child.child_fd)[3] & termios.ICANON:
        assert time.monotonic() < deadline, "QEMU never set up its stdio terminal"
        time.sleep(0.05)


@pytest.mark.skipif(shutil.which(QEMU) is None, reason=f"{QEMU} is not installed")
def test_ctrl_c_on_the_serial_console_does_not_stop_qemu() -> None:
    """QEMU with the guests' serial options (no machine, no guest) takes a Ctrl-C on its
    console and keeps running; with `-serial stdio` it exits ("terminating on signal 2")."""
    child = pexpect.spawn(
        QEMU,
        ["-machine", "none", "-nodefaults", "-display", "none", *SERIAL],
        encoding="utf-8",
    )
    try:
        _wait_for_raw_terminal(child)
        child.sendcontrol("c")
        with pytest.raises(pexpect.TIMEOUT):
            child.expect(pexpect.EOF, timeout=2)
        assert child.isalive(), child.before
    finally:
        child.close(force=True)


def test_the_guest_gets_the_accelerator_and_vcpus_of_its_spec(tmp_path: Path) -> None:
    argv = command(replace(spec(tmp_path), accel="kvm", cpus=2))
    assert argv[argv.index("-accel") + 1] == "kvm"
    assert argv[argv.index("-smp") + 1] == "2"
    assert argv.count("-accel") == argv.count("-smp") == 1
    default = command(spec(tmp_path))
    assert default[default.index("-accel") + 1] == "tcg"
    assert default[default.index("-smp") + 1] == "1"
