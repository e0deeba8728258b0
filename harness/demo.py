"""`make demo`: from nothing to the product working in two VMs, narrated step by step."""

from __future__ import annotations

from harness import director, image, kernels, modload, modules, traffic
from harness import fabric as fabric_mod
from harness.fabric import RXE_DEVICE, Fabric
from harness.log import say
from harness.matrix import KernelSpec
from harness.paths import ARTIFACTS
from harness.vm import Guest


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
        say(f"loading xscore (xds_gid={xds_gid}), xsvnic, xsvhba in the host VM")
        modload.load_product(fabric.host, build.release, f"xds_gid={xds_gid}")
        _show(fabric.host, "lsmod | grep -E '^(xscore|xsvnic|xsvhba) '")
        say("waiting for xscore to discover its XCM")
        fabric.host.console.run(
            "for i in $(seq 120); do dmesg | grep -q 'xscore: .*XCM [0-9a-f]' && break; "
            "sleep 0.5; done",
            timeout=90,
        )
        _show(fabric.host, "dmesg | grep -E 'xscore|xsvnic|xsvhba'")
        _show(fabric.director, f"cat {director.FABRIC_LOG}")
        modload.unload_product(fabric.host)
        say("modules unloaded; shutting the fabric down")
    say(f"console logs: {ARTIFACTS / 'demo'}")
    return 0
