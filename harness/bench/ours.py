"""Our contenders set up as an operator would: the director's services and cards (whichever
implementation the director runs, through the harness's own start functions), the modules in
the host, then a vNIC on the first Ethernet port and a vHBA whose LUNs are the backends."""

from __future__ import annotations

from harness import director, lan, modload, san
from harness.bench import backends, storage
from harness.links import wait_for_state
from harness.vm import Guest

HELLO_INTERVAL = 2
VNIC = "xsvnic0"
VNIC_MAC = "52:54:00:0b:00:02"
VHBA = "xsvhba0"
VHBA_WWN = "21:00:00:1b:32:00:00:0b"
TARGET = "50:01:43:80:00:00:00:0b"


def start_product(director_vm: Guest, host: Guest, release: str) -> None:
    xds_gid = director.start_fabric_services(director_vm)
    director.start_xcm(director_vm, HELLO_INTERVAL)
    lan.start_gateway(director_vm)
    san.start_card(director_vm)
    host.console.run("modprobe sd_mod")
    modload.load_product(host, release, f"xds_gid={xds_gid}")
    if not wait_for_state(host, "up", 90):
        raise RuntimeError("the host's XSMP link did not come up")


def start_vnic(director_vm: Guest, host: Guest) -> lan.LanPort:
    """A vNIC with jumbo frames on the first Ethernet port, addressed, carrier on."""
    port = lan.PORTS[0]
    director.ctl(
        director_vm, f"add-vnic host {VNIC} --mac {VNIC_MAC} --mtu 9000 --port {port.card_port}"
    )
    con = host.console
    if not con.wait_until(f"[ -e /sys/class/net/{VNIC} ]", 45):
        raise RuntimeError(f"{VNIC} did not appear")
    con.run(f"ip link set {VNIC} mtu 9000 up")
    con.run(f"ip addr add {port.host_ipv4()}/24 dev {VNIC}")
    if not con.wait_until(f"[ $(cat /sys/class/net/{VNIC}/carrier) = 1 ]", 30):
        raise RuntimeError(f"{VNIC} has no carrier")
    return port


class XsvhbaContender:
    """Our vHBA behind whichever FC card the director runs, LUN n of its target served from
    backend n. Its maximum transfer size is what the director installs in the vHBA; the block
    layer's limit makes it the bench's when that is larger."""

    name = "xsvhba"

    def __init__(self, director_vm: Guest, host: Guest) -> None:
        self.director = director_vm
        self.host = host

    def start(self, transfer_kb: int) -> dict[str, str]:
        for index, backend in enumerate(backends.BACKENDS):
            director.ctl(self.director, f"add-lun {TARGET} {index} --backing {backend.device}")
        before = storage.disks(self.host)
        director.ctl(self.director, f"add-vhba host {VHBA} --wwn {VHBA_WWN} --port fc/1")
        return storage.backend_disks(self.host, before)

    def stop(self) -> None:
        director.ctl(self.director, f"delete host {VHBA}")
        self.host.console.wait_until("! ls /sys/class/fc_host/ 2>/dev/null | grep -q .", 45)
        director.ctl(self.director, f"remove-lun {TARGET}")
