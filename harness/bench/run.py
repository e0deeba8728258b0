"""One bench run: boot the VM pair once, measure the limits, xsvnic, xsvhba and the peers on
the same rxe link, and write bench/results/ (JSON, markdown, PNG).

A contender that cannot be set up on this kernel is recorded with its error rather than
ending the run: the other figures are still worth having.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from harness import image, initramfs, kernels, lan, modules, pvh, qemu
from harness.bench import network, ours, parse, peers, profile, report, storage, suite
from harness.console import CommandFailed
from harness.fabric import DIRECTOR, Fabric
from harness.log import say, step
from harness.matrix import KernelSpec
from harness.paths import ARTIFACTS, REPO

RESULTS = REPO / "bench" / "results"


@dataclass(frozen=True)
class Durations:
    """How long each measurement runs: `full` for the published figures, `quick` to try the
    bench out."""

    tcp_s: int
    rdma_s: int
    fio_s: int
    pings: int
    lat_iterations: int


FULL = Durations(tcp_s=10, rdma_s=5, fio_s=10, pings=200, lat_iterations=1000)
QUICK = Durations(tcp_s=3, rdma_s=2, fio_s=3, pings=20, lat_iterations=100)


class Contender(Protocol):
    name: str

    def start(self) -> str: ...

    def stop(self) -> None: ...


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
        "accel": qemu.MACHINE[qemu.MACHINE.index("-accel") + 1].upper(),
        "guest_cpus": int(qemu.MACHINE[qemu.MACHINE.index("-smp") + 1]),
        "cpu": cpu,
        "host_cores": os.cpu_count(),
        "host_kernel": platform.release(),
        "qemu": qemu_version,
        "commit": commit or "unknown",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _figure(what: str, measure: Callable[[], Any]) -> Any:
    """One measurement; a failure is said and recorded as None, and the run goes on."""
    with step(what):
        try:
            return measure()
        except (parse.ParseError, RuntimeError, CommandFailed) as exc:
            say(f"{what}: not measured: {exc}")
            return None


def _latency(value: parse.Latency | None) -> dict[str, float] | None:
    return asdict(value) if value else None


def measure_limits(fabric: Fabric, d: Durations) -> dict[str, Any]:
    host, director = fabric.host, fabric.director
    network.start_plain_iperf_server(director)
    tcp = _figure(
        "iperf3 over the plain virtio link",
        lambda: network.iperf3_gbps(host, DIRECTOR.ip, d.tcp_s, port=network.PLAIN_IPERF_PORT),
    )
    send = _figure(
        "rxe ib_send_bw",
        lambda: network.rxe_bw_gbps("ib_send_bw", director, host, DIRECTOR.ip, d.rdma_s),
    )
    write = _figure(
        "rxe ib_write_bw",
        lambda: network.rxe_bw_gbps("ib_write_bw", director, host, DIRECTOR.ip, d.rdma_s),
    )
    lat = _figure(
        "rxe ib_send_lat",
        lambda: network.rxe_send_latency(director, host, DIRECTOR.ip, d.lat_iterations),
    )
    return {
        "virtio_tcp_gbps": tcp,
        "rxe_send_bw_gbps": send,
        "rxe_write_bw_gbps": write,
        "rxe_send_lat_us": _latency(lat),
    }


def measure_vnic(fabric: Fabric, d: Durations) -> dict[str, Any]:
    port = ours.start_vnic(fabric.director, fabric.host)
    remote = port.remote_ipv4()
    tcp: dict[str, float | None] = {}
    for streams in (1, 4):
        for reverse, direction in ((False, "tx"), (True, "rx")):
            tcp[f"{direction}_{streams}"] = _figure(
                f"xsvnic iperf3 {direction}, {streams} stream(s)",
                lambda s=streams, r=reverse: network.iperf3_gbps(
                    fabric.host, remote, d.tcp_s, streams=s, reverse=r
                ),
            )
    ping = _figure("xsvnic ping", lambda: network.ping_latency(fabric.host, remote, d.pings))
    return {"tcp_gbps": tcp, "ping_us": _latency(ping)}


def measure_disk(fabric: Fabric, contender: Contender, d: Durations) -> dict[str, Any]:
    with step(f"{contender.name}: setting up"):
        try:
            disk = contender.start()
        except Exception as exc:  # any set-up failure is a result here
            say(f"{contender.name}: not measured: {exc}")
            contender.stop()
            return {"error": str(exc).splitlines()[0][:200]}
    jobs: dict[str, Any] = {}
    try:
        for job in storage.JOBS:
            figures = _figure(
                f"{contender.name} fio {job.name} on {disk}",
                lambda j=job: storage.fio(fabric.host, disk, j, d.fio_s),
            )
            jobs[job.name] = asdict(figures) if figures else None
    finally:
        contender.stop()
    return {"disk": disk, "jobs": jobs}


def run(spec: KernelSpec, quick: bool = False, out: Path = RESULTS) -> Path:
    durations = QUICK if quick else FULL
    kernel = kernels.fetch(spec)
    build = modules.build(kernel.kdir, kernel.config)
    boot_files = [image.build_image(), pvh.boot_image(kernel), initramfs.build_initramfs(kernel)]
    _drop_page_cache(boot_files)
    results: dict[str, Any] = {"environment": _environment(kernel)}
    say(f"bench on {kernel.release}: booting the VM pair (cold page cache)")
    with Fabric(kernel, ARTIFACTS / "bench") as fabric:
        boot_cold = fabric.host.boot_seconds
        results["limits"] = measure_limits(fabric, durations)
        with step("starting the director's services and cards, loading our modules"):
            ours.start_product(fabric.director, fabric.host, build.release)
        results["xsvnic"] = measure_vnic(fabric, durations)
        with step(f"a {peers.RAMDISK_MIB} MiB RAM disk on the director, the backing store"):
            peers.make_ramdisk(fabric.director)
        contenders: list[Contender] = [
            peers.SrpPeer(fabric.director, fabric.host, DIRECTOR.ip),
            peers.NvmePeer(fabric.director, fabric.host, DIRECTOR.ip),
            ours.XsvhbaContender(fabric.director, fabric.host),
        ]
        results["storage"] = {c.name: measure_disk(fabric, c, durations) for c in contenders}
        say("booting the host VM again (warm page cache)")
        fabric.replace_host()
        results["harness"] = {
            "boot_cold_s": boot_cold,
            "boot_warm_s": fabric.host.boot_seconds,
            "suite": suite.last(),
        }
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(results, out / "bench.json")
    table = report.markdown(results)
    (out / "bench.md").write_text(table)
    report.plot(results, out / "bench.png")
    if out == RESULTS:
        report.update_readme(REPO / "README.md", table, "bench/results/bench.png")
    print(table)
    say(f"results: {out}/bench.json, bench.md, bench.png")
    return out


def profile_cards(spec: KernelSpec, quick: bool = False, out: Path = RESULTS) -> Path:
    """Boot the VM pair, run our workloads one by one with py-spy sampling the card that
    serves each, and write bench/results/profile.md. Apart from the figures: sampling slows a
    card down."""
    d = QUICK if quick else FULL
    kernel = kernels.fetch(spec)
    build = modules.build(kernel.kdir, kernel.config)
    sections = [
        "# Where the director's cards spend their time",
        "",
        f"py-spy, {profile.RATE} samples/s with idle samples, on {kernel.release}; `make bench"
        " BENCH_ARGS=--profile` writes this. Self: the line a card was on; inclusive: the"
        " functions on the stack. A card waiting for work is in its serve loop's select().",
        "",
    ]
    with Fabric(kernel, ARTIFACTS / "bench") as fabric:
        host, director = fabric.host, fabric.director
        with step("starting the director's services and cards, loading our modules"):
            ours.start_product(director, host, build.release)
        port = ours.start_vnic(director, host)
        for reverse, direction in ((False, "tx"), (True, "rx")):
            sample = f"/tmp/ethgw-{direction}.prof"
            with step(f"ethgw under xsvnic iperf3 {direction}"):
                profile.start(director, lan.ETHGW_PID, d.tcp_s, sample)
                gbps = network.iperf3_gbps(host, port.remote_ipv4(), d.tcp_s, reverse=reverse)
                found = profile.collect(director, sample, d.tcp_s + 30)
            title = f"ethgw: xsvnic iperf3 {direction}, 1 stream ({gbps:.2f} Gbit/s sampled)"
            sections.append(profile.markdown(title, found))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "profile.md"
    path.write_text("\n".join(sections))
    say(f"profile: {path}")
    return path
