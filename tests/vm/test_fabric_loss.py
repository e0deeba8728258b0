"""A test that loses the fabric loses it for itself only: the pair is booted again before the
next test, the fixtures that put state into the guests are set up again on the new ones, and
the loss is recorded with the test that caused it (tests/vm/fabric_loss.py).

The two tests run in this order, the second checking what the first left."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from harness import director, traffic
from harness.fabric import DIRECTOR, Fabric, rxe_port_state
from tests.vm import fabric_loss

STATE = "/run/xs-fabric-loss-test"
LOSER = "test_a_killed_director_vm_loses_the_fabric"
# Each kernel's fabric boots at which guest_state was set up (a run may test several kernels).
setups: dict[str, list[int]] = {}


@pytest.fixture(scope="module")
def guest_state(fabric: Fabric) -> Iterator[None]:
    """State put into both guests, as test modules' fixtures do; counts its set-ups."""
    setups.setdefault(fabric.kernel.spec.id, []).append(fabric.boots)
    for guest in fabric.guests:
        guest.console.run(f"touch {STATE}")
    yield
    for guest in fabric.guests:
        guest.console.run(f"rm -f {STATE}")


@pytest.mark.loses_fabric
def test_a_killed_director_vm_loses_the_fabric(
    fabric: Fabric, fabric_services: str, guest_state: None
) -> None:
    qemu = fabric.director
    os.kill(qemu.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while qemu.alive:
        assert time.monotonic() < deadline, "the director VM's QEMU outlived SIGKILL"
        time.sleep(0.1)


def test_the_next_test_gets_the_fabric_booted_again_with_its_state_set_up_again(
    request: pytest.FixtureRequest, fabric: Fabric, fabric_services: str, guest_state: None
) -> None:
    kernel_id = fabric.kernel.spec.id
    losses = [
        loss
        for loss in request.config.stash[fabric_loss.LOSSES]
        if loss.nodeid.split("::")[-1].startswith(LOSER) and loss.nodeid.endswith(f"[{kernel_id}]")
    ]
    if not losses:
        pytest.skip(f"runs after {LOSER}, which did not run for {kernel_id}")
    (loss,) = losses
    assert loss.expected
    assert "director VM's QEMU was killed by signal 9" in loss.why, loss.why
    assert loss.rebooted_for == request.node.nodeid
    # The module fixture ran again, on the pair's next boot.
    boots = setups[kernel_id]
    assert len(boots) == 2 and boots[1] == boots[0] + 1, setups
    for guest in fabric.guests:
        assert guest.alive
        guest.console.run(f"test -e {STATE}")
        assert rxe_port_state(guest) == "ACTIVE"
    # The session's fabric services were started again in the new director VM.
    fabric.director.console.run(f"kill -0 $(cat {director.FABRIC_PID})")
    assert traffic.rping(fabric.director, fabric.host, DIRECTOR.ip, count=5) == 5
