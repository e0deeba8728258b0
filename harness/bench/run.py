"""One bench run: boot the VM pair once; start the director's services and cards and our
modules; measure the transport, xsvnic and routed TCP (network phase), then xsvhba and the
storage peers on the same backends (storage phase), every measurement repeated and rotated;
write bench/results/ (JSON, markdown, PNG) and the README's table.

A measurement that fails is recorded with its error rather than ending the run: the other
figures are still worth having.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness import accel, image, initramfs, kernels, lan, modules, pvh, qemu
from harness.bench import (
    backends,
    diskphase,
    netphase,
    ours,
    peers,
    plot,
    report,
    routed,
    suite,
    veths,
)
from harness.bench.plan import FULL, QUICK, Plan
from harness.bench.series import Series
from harness.fabric import Fabric
from harness.log import say, step
from harness.matrix import KernelSpec
from harness.paths import ARTIFACTS, REPO
from harness.vm import Guest

RESULTS = REPO / "bench" / "results"
# Where --quick writes: its figures are not the published ones.
QUICK_RESULTS = ARTIFACTS / "bench-quick"


def _drop_page_cache(paths: list[Path]) -> None:
    """Evict the guests' boot files from the page cache, for a cold boot without root."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _environment(kernel: kernels.Kernel) -> dict[str, Any]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    qemu_version = subprocess.run(
        ["qemu-system-x86_64", "--version"], capture_output=True, text=True
    ).stdout.splitlines()[0]
    return {
        "kernel": kernel.release,
        "accel": accel.choose(pvh.boot_image(kernel)).name.upper(),
        "guest_cpus": qemu.GuestSpec.cpus,
        "cpu": cpu,
        "host_cores": os.cpu_count(),
        "host_kernel": platform.release(),
        "host_load_1min_at_start": os.getloadavg()[0],
        "qemu": qemu_version,
        "commit": commit or "unknown",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _card(director: Guest, card: str) -> str:
    return "kernel" if veths.card_in_kernel(director, card) else "Python"


def prepare_network(fabric: Fabric, setup: dict[str, Any]) -> tuple[str, str]:
    """A vNIC, the lan veths' offloads as the card allows, and the routed path with the same
    veth settings; return the remote host's address behind the vNIC and on the routed path."""
    director = fabric.director
    port = ours.start_vnic(director, fabric.host)
    setup["ethernet_card"] = _card(director, "ethgw")
    if setup["ethernet_card"] == "kernel":
        veths.restore_offloads(director)
    found = veths.features(director, lan.PORTS[0].gateway_ifname)
    setup["lan_offloads"] = veths.describe(found)
    with step("routed TCP to the remote host over the fabric link"):
        routed_remote = routed.build(director, fabric.host)
    return port.remote_ipv4(), routed_remote


def contenders(fabric: Fabric) -> list[diskphase.Contender]:
    return [
        peers.SrpPeer(fabric.director, fabric.host),
        peers.NvmePeer(fabric.director, fabric.host),
        ours.XsvhbaContender(fabric.director, fabric.host),
    ]


def run(spec: KernelSpec, quick: bool = False, out: Path | None = None) -> Path:
    plan: Plan = QUICK if quick else FULL
    out = out or (QUICK_RESULTS if quick else RESULTS)
    kernel = kernels.fetch(spec)
    build = modules.build(kernel.kdir, kernel.config)
    boot_files = [image.build_image(), pvh.boot_image(kernel), initramfs.build_initramfs(kernel)]
    _drop_page_cache(boot_files)
    results: dict[str, Any] = {"environment": _environment(kernel), "plan": asdict(plan)}
    setup: dict[str, Any] = {}
    # Every figure as it comes, for a run that does not finish (bench.json is written at the end).
    series = Series(journal=out / "bench.partial.json")
    started = time.monotonic()
    say(f"bench on {kernel.release}: booting the VM pair (cold page cache)")
    with Fabric(kernel, ARTIFACTS / "bench") as fabric:
        boot_cold = fabric.host.boot_seconds
        with step("starting the director's services and cards, loading our modules"):
            ours.start_product(fabric.director, fabric.host, build.release)
        setup["fc_card"] = _card(fabric.director, "fcgw")
        vnic_remote, routed_remote = prepare_network(fabric, setup)
        netphase.run(fabric, plan, series, vnic_remote, routed_remote)
        with step("the backends on the director: brd and null_blk"):
            backends.create_all(fabric.director)
        setup["backends"] = {b.name: b.create for b in backends.BACKENDS}
        every = contenders(fabric)
        limits = diskphase.probe_transfer(fabric, every, series)
        setup["max_hw_transfer_kb"] = limits
        setup["transfer_kb"] = diskphase.common_transfer_kb(limits)
        diskphase.run(fabric, every, plan, series, setup["transfer_kb"])
        say("booting the host VM again (warm page cache)")
        fabric.replace_host()
        results["harness"] = {
            "boot_cold_s": boot_cold,
            "boot_warm_s": fabric.host.boot_seconds,
            "suite": suite.last(),
            "bench_s": round(time.monotonic() - started, 1),
        }
    results["environment"]["host_load_1min_at_end"] = os.getloadavg()[0]
    results["setup"] = setup
    results.update(series.tree)
    results["errors"] = series.errors
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(results, out / "bench.json")
    (out / "bench.partial.json").unlink(missing_ok=True)
    _publish(results, out)
    say(f"results: {out}/bench.json, bench.md, bench.png")
    return out


def _publish(results: dict[str, Any], out: Path) -> None:
    """The table and plot of results in out, and in the README when out is the published one."""
    table = report.markdown(results)
    (out / "bench.md").write_text(table)
    plot.plot(results, out / "bench.png")
    if out == RESULTS:
        report.update_readme(REPO / "README.md", table, "bench/results/bench.png")
    print(table)


def rewrite(out: Path = RESULTS) -> None:
    """Write the table, plot and README again from bench.json (after a change to the report
    code), measuring nothing."""
    _publish(json.loads((out / "bench.json").read_text()), out)
