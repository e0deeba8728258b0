"""`make demo`: from nothing to the product working in two VMs, narrated step by step."""

from __future__ import annotations

from harness import director, image, kernels, lan, modload, modules, san, traffic
from harness import fabric as fabric_mod
from harness.fabric import RXE_DEVICE, Fabric
from harness.links import wait_for_state
from harness.log import say
from harness.matrix import KernelSpec
from harness.paths import ARTIFACTS
from harness.vm import Guest

HELLO_INTERVAL = 2
DEMO_MAC = "52:54:00:0a:00:02"
DEMO_WWN = "21:00:00:1b:32:00:00:01"
DEMO_TARGET = "50:01:43:80:00:00:00:01"


def _show(guest: Guest, command: str) -> None:
    print(f"\n{guest.name}# {command}")
    print(guest.console.output(command))


def run(spec: KernelSpec) -> int:
    kernel = kernels.fetch(spec)
    build = modules.build(kernel.kdir, kernel.config)
    image.build_image()
    say(f"booting the fabric: host VM + director VM on {kernel.release} (TCG, no KVM)")
    with Fabric(kernel, ARTIFACTS / "demo") as fabric:
        for guest in fabric.guests:
            _show(guest, f"rdma link show {RXE_DEVICE}/1")
        say("RC traffic host <-> director over soft-RoCE (rping, data verified)")
        count = traffic.rping(fabric.director, fabric.host, fabric_mod.DIRECTOR.ip)
        print(f"rping: {count} verified RDMA READ/WRITE round trips")
        say("starting the director's fabric services (XDS; ServiceRecord answers on RoCE)")
        xds_gid = director.start_fabric_services(fabric.director)
        say("starting the director's XCM, its Ethernet I/O card (the kernel gateway xsethgw,")
        say("bridged to the lan) and its")
        say(f"FC I/O card (target {DEMO_TARGET} with a 64 MiB file-backed LUN)")
        director.start_xcm(fabric.director, HELLO_INTERVAL)
        lan.start_gateway(fabric.director)
        director.ctl(fabric.director, f"add-lun {DEMO_TARGET} 0 --size-mb 64")
        san.start_card(fabric.director)
        fabric.host.console.run("modprobe sd_mod")
        say(f"loading xsconn, xscore (xds_gid={xds_gid}), xsvnic, xsvhba in the host VM")
        modload.load_product(fabric.host, build.release, f"xds_gid={xds_gid}")
        _show(fabric.host, "lsmod | grep -E '^(xsconn|xscore|xsvnic|xsvhba) '")
        say("waiting for xscore to discover the XCM and bring its XSMP link up")
        if not wait_for_state(fabric.host, "up", 90):
            _show(fabric.host, "dmesg | grep -E 'xscore|xsvnic|xsvhba'")
            return 1
        _show(fabric.host, f"{director.GUEST_PYTHON} -m xsadm links")
        port = lan.PORTS[0]
        say(f"the operator gives the host a vNIC on director port {port.card_port}")
        director.ctl(fabric.director, f"add-vnic host xsvnic0 --mac {DEMO_MAC} --mtu 9000")
        con = fabric.host.console
        con.wait_until("[ -e /sys/class/net/xsvnic0 ]", 45)
        con.run("ip link set xsvnic0 up")
        con.run(f"ip addr add {port.host_ipv4()}/24 dev xsvnic0")
        con.run(f"ip -6 addr add {port.host_ipv6()}/64 dev xsvnic0 nodad")
        con.wait_until("[ $(cat /sys/class/net/xsvnic0/carrier) = 1 ]", 30)
        _show(fabric.host, "ip addr show xsvnic0")
        _show(fabric.host, "ethtool xsvnic0 | grep -E 'Speed|Link detected'")
        _show(fabric.host, f"{director.GUEST_PYTHON} -m xsadm devices")
        say("ping and ping6 from the host's vNIC to the remote host behind the director")
        _show(fabric.host, f"ping -c 3 {port.remote_ipv4()}")
        _show(fabric.host, f"ping -6 -c 3 {port.remote_ipv6()}")
        say("the director's kernel gateway counted the frames both ways (configfs)")
        _show(fabric.director, "grep -H . /sys/kernel/config/xsethgw/eth1/vnics/*/stats")
        if not _show_vhba(fabric):
            return 1
        director.ctl(fabric.director, "delete host xsvnic0")
        director.ctl(fabric.director, "delete host xsvhba0")
        con.wait_until("! [ -e /sys/class/net/xsvnic0 ]", 45)
        con.wait_until("! ls /sys/class/fc_host/ 2>/dev/null | grep -q .", 45)
        modload.unload_product(fabric.host)
        say("modules unloaded; shutting the fabric down")
    say(f"console logs: {ARTIFACTS / 'demo'}")
    return 0


def _show_vhba(fabric: Fabric) -> bool:
    """The operator gives the host a vHBA; its LUN becomes a disk that takes a file system."""
    con = fabric.host.console
    say("the operator gives the host a vHBA on director port fc/1")
    director.ctl(fabric.director, f"add-vhba host xsvhba0 --wwn {DEMO_WWN} --port fc/1")
    disk = san.wait_for_disk(fabric.host, 60)
    if disk is None:
        _show(fabric.host, "dmesg | grep -E 'xsvhba|scsi' | tail -n 20")
        return False
    _show(fabric.host, "lsscsi")
    _show(fabric.host, "cat /sys/class/fc_host/host*/port_name /sys/class/fc_host/host*/port_state")
    _show(fabric.host, "cat /sys/class/fc_remote_ports/rport-*/port_name")
    say(f"SCSI I/O on {disk}: 16 MiB of random data written, read back, compared")
    con.run("head -c 16M /dev/urandom > /tmp/demo.bin")
    _show(fabric.host, f"dd if=/tmp/demo.bin of={disk} bs=1M oflag=direct 2>&1 | tail -n 1")
    _show(
        fabric.host, f"dd if={disk} of=/tmp/back.bin bs=1M count=16 iflag=direct 2>&1 | tail -n 1"
    )
    _show(fabric.host, "cmp /tmp/demo.bin /tmp/back.bin && echo identical")
    say(f"a file system on {disk}")
    _show(
        fabric.host,
        f"mkfs.ext4 -q -F {disk} && mount {disk} /mnt && cp /tmp/demo.bin /mnt/ && df -h /mnt",
    )
    con.run("umount /mnt; rm -f /tmp/demo.bin /tmp/back.bin")
    return True
