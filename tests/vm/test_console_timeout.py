"""A guest command that outlives its timeout is interrupted in the guest, and both guests serve
on: the Ctrl-C that interrupts it must reach the guest's shell, not stop its QEMU."""

from __future__ import annotations

import pytest

from harness import traffic
from harness.console import CommandTimeout
from harness.fabric import DIRECTOR, Fabric, rxe_port_state


def test_a_timed_out_command_is_interrupted_and_both_guests_serve_on(fabric: Fabric) -> None:
    for guest in fabric.guests:
        con = guest.console
        with pytest.raises(CommandTimeout) as info:
            con.run("echo started; sleep 600", timeout=5)
        assert "Ctrl-C interrupted it" in str(info.value), info.value
        assert guest.alive, f"{guest.name} VM's QEMU exited:\n{guest.console_tail()}"
        # The interrupted command is gone, and its output does not reach the next command's.
        assert con.output("echo next") == "next"
        assert not con.run("pgrep -fx 'sleep 600'", check=False).ok, con.output("ps -ef")
    for guest in fabric.guests:
        assert guest.alive, f"{guest.name} VM's QEMU exited:\n{guest.console_tail()}"
        assert rxe_port_state(guest) == "ACTIVE"
    # RDMA between the two guests, both ends in use.
    assert traffic.rping(fabric.director, fabric.host, DIRECTOR.ip, count=5) == 5
