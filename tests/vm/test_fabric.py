"""The two-VM fabric itself: kernels boot, soft-RoCE comes up, RC moves verified data."""

from __future__ import annotations

from harness import fabric as fabric_mod
from harness import traffic
from harness.fabric import Fabric
from harness.kernels import Kernel

# VIRTIO_NET_F_MRG_RXBUF; the features file of a virtio device lists bit 0 first.
MRG_RXBUF_BIT = 15


def test_both_guests_run_the_matrix_kernel(fabric: Fabric, kernel: Kernel) -> None:
    for guest in fabric.guests:
        assert guest.console.output("uname -r").strip() == kernel.release


def test_rxe_port_is_active_on_both_guests(fabric: Fabric) -> None:
    for guest in fabric.guests:
        assert fabric_mod.rxe_port_state(guest) == "ACTIVE"


def test_fabric_nics_receive_without_mergeable_buffers(fabric: Fabric) -> None:
    """The mode harness.qemu.FABRIC_NIC_MODE asks for, as each guest's driver negotiated it:
    with VIRTIO_NET_F_MRG_RXBUF off, virtio-net receives into no page_pool that rxe could free
    into with a QP's lock held (docs/rxe-notes.md)."""
    for guest in fabric.guests:
        device = guest.console.output(
            "readlink -f /sys/class/net/$(cat /run/xs-fabric-ifname)/device"
        ).strip()
        features = guest.console.output(f"cat {device}/features").strip()
        assert len(features) > MRG_RXBUF_BIT and set(features) <= {"0", "1"}, features
        assert features[MRG_RXBUF_BIT] == "0", f"{guest.name}: {features}"


def test_guests_reach_each_other_over_the_fabric_link(fabric: Fabric) -> None:
    fabric.host.console.run(f"ping -c 2 -W 5 {fabric_mod.DIRECTOR.ip}", timeout=30)
    fabric.director.console.run("ping -6 -c 2 -W 5 2001:db8::1", timeout=30)


def test_rc_connection_moves_verified_data_between_guests(fabric: Fabric) -> None:
    iterations = traffic.rping(fabric.director, fabric.host, fabric_mod.DIRECTOR.ip, count=20)
    assert iterations == 20
