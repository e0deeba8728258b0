"""`make soak`: one booted fabric, verified I/O all the time, faults at random intervals under
it, then load/unload cycles of every module; the figures go to bench/results/soak.{json,md}
and into the README."""

from __future__ import annotations

import json
import random
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import director, image, kernels, kmemleak, lan, modload, modules, san
from harness.console import ConsoleError
from harness.fabric import Fabric
from harness.links import wait_for_state
from harness.log import say
from harness.matrix import KernelSpec
from harness.modules import Build
from harness.paths import ARTIFACTS, REPO
from harness.soak import faults, rxe, workload
from harness.soak.faults import FAULTS, TARGETS
from harness.soak.figures import Recovery, SoakRun, goals, markdown

RESULTS = REPO / "bench" / "results"
README = REPO / "README.md"
README_BEGIN = "<!-- soak: the latest `make soak` (harness/soak), written by it -->"
README_END = "<!-- /soak -->"
SERVER = "host"
VHBA, VHBA_WWN = "xsvhba0", "21:00:00:1b:32:00:00:01"
VNIC, VNIC_MAC = "xsvnic0", "52:54:00:0a:00:02"
LUN_MB = 64
# Every fault stays inside it: a lost target's I/O is held, not failed, for this long.
LOSS_TMO = 120
SAMPLE_EVERY_S = 60.0
GAP_S = (0.2, 0.8)  # the random pause between two faults
UP_WITHIN = 90.0
MIN_SEGMENT_S = 60.0  # after an rxe fault's reboot, the soak goes on if this much time is left
DISKS = "/sys/class/scsi_disk/*/device/block/*"


def _commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "unknown"


def _disks(fabric: Fabric, count: int, within: float) -> tuple[str, ...]:
    con = fabric.host.console
    if not con.wait_until(f"[ $(ls -d {DISKS} 2>/dev/null | wc -l) -ge {count} ]", within):
        raise ConsoleError(f"fewer than {count} disks: {con.output('lsscsi')}")
    names = con.output(f"for b in {DISKS}; do echo ${{b##*/}}; done").split()
    return tuple(f"/dev/{name}" for name in sorted(names))


def set_up(fabric: Fabric, build: Build) -> tuple[str, tuple[str, ...]]:
    """The director serving two targets (one 64 MiB LUN each) and the Ethernet card; the host
    with a vHBA seeing both and a vNIC with a VLAN on it, all addressed. Returns the fabric
    services' GID and the two disks."""
    host, dire = fabric.host.console, fabric.director
    gid = director.start_fabric_services(dire)
    director.ensure_config(dire, faults.HELLO_INTERVAL)
    for target in TARGETS:
        director.ctl(dire, f"add-lun {target} 0 --size-mb {LUN_MB}")
    director.start_xcm(dire, faults.HELLO_INTERVAL)
    san.start_card(dire)
    lan.start_gateway(dire)
    host.run("modprobe sd_mod")
    # The fabric addresses (and so the GIDs) stay across a port flap, as on a configured host.
    host.run(f"sysctl -qw net.ipv6.conf.{faults.FABRIC_IFNAME}.keep_addr_on_down=1")
    modload.load_product(fabric.host, build.release, f"xds_gid={gid}")
    if not wait_for_state(fabric.host, "up", UP_WITHIN):
        raise ConsoleError("the host's link did not come up")
    director.ctl(dire, f"add-vhba {SERVER} {VHBA} --wwn {VHBA_WWN} --port fc/1")
    port = lan.PORTS[0]
    director.ctl(dire, f"add-vnic {SERVER} {VNIC} --mac {VNIC_MAC} --port {port.card_port}")
    disks = _disks(fabric, len(TARGETS), 90)
    host.wait_until(f"[ -e /sys/class/net/{VNIC} ]", 45)
    vlan = f"{VNIC}.{workload.VLAN}"
    host.run(f"ip link set {VNIC} up && ip addr add {port.host_ipv4()}/24 dev {VNIC}")
    host.run(f"ip link add link {VNIC} name {vlan} type vlan id {workload.VLAN}")
    host.run(f"ip link set {vlan} up && ip addr add {port.host_ipv4(workload.VLAN)}/24 dev {vlan}")
    if not host.wait_until(f"ping -c 1 -W 2 {port.remote_ipv4(workload.VLAN)} >/dev/null", 60):
        raise ConsoleError("no ping through the vNIC's VLAN")
    # Past the director's own limit (60 s), as the host's operator may set it: a whole-director
    # restart under TCG takes longer than that.
    host.run(f"for f in /sys/class/fc_host/host*/dev_loss_tmo; do echo {LOSS_TMO} > $f; done")
    return gid, disks


def _sample(fabric: Fabric, record: SoakRun, at: float) -> None:
    middle = record.minutes * 30
    for guest in fabric.guests:
        # The first sample of the second half keeps slabinfo, for the growers at the end.
        first_late = at >= middle and not any(
            m.guest == guest.name and m.at >= middle and m.boot == fabric.boots
            for m in record.memory
        )
        record.memory.append(workload.memory(guest, at, fabric.boots, keep_slabinfo=first_late))
        for splat in workload.new_splats(guest):
            if splat.kind == "hung task":
                record.hung_tasks += 1
            record.splats.append(f"{guest.name}: {splat.kind}: {splat.line}")


def _keep_kernel_logs(fabric: Fabric, log_dir: Path, what: str) -> None:
    """Both guests' whole kernel logs (the consoles carry only warnings and worse), for a
    fault I/O did not recover from."""
    for guest in fabric.guests:
        (log_dir / f"{what}-{guest.name}.dmesg").write_text(guest.console.output("dmesg"))


def _segment(
    fabric: Fabric,
    disks: tuple[str, ...],
    record: SoakRun,
    window: tuple[float, float],
    rng: random.Random,
    order: Iterator[faults.Fault],
    log_dir: Path,
) -> None:
    """From now until `end`: fio and iperf3 started for that long, faults under them; then
    what fio and iperf3 saw is added to the record."""
    start, end = window
    seconds = int(end - time.monotonic())
    workload.start_fio(fabric.host, disks, seconds)
    workload.start_iperf(fabric.host, seconds)
    workload.start_flows(fabric.host, fabric.director, seconds, rng.randrange(1 << 31))
    remote = lan.PORTS[0].remote_ipv4()
    # Each probe a script in the guest: a short command line per fault over the serial
    # console, not its whole text.
    probes = {}
    for path in ("storage", "network"):
        script = f"/tmp/xs-probe-{path}.sh"
        command = shlex.quote(faults.probe_command(path, disks, remote))
        fabric.host.console.run(f"printf '%s\\n' {command} > {script}")
        probes[path] = f"sh {script}"
    next_sample = time.monotonic()
    io_errors_seen, _ = workload.kernel_io_errors(fabric.host, 0)
    while (now := time.monotonic()) < end:
        at = now - start
        if now >= next_sample:
            _sample(fabric, record, at)
            next_sample += SAMPLE_EVERY_S
        fault = next(order)
        timing = faults.timed(fault, fabric, probes[fault.path])
        recovered = timing.recovered_after
        record.recoveries.append(Recovery(fault.name, round(at, 1), recovered))
        say(
            f"soak {at / 60:5.1f} min: {fault.name} (done and undone in {timing.inject_s:.1f} s):"
            " I/O again after "
            + ("(not within the probe's limit)" if recovered is None else f"{recovered:.2f} s")
        )
        if recovered is None:
            _keep_kernel_logs(fabric, log_dir, f"unrecovered-{len(record.recoveries)}")
        io_errors_seen, lines = workload.kernel_io_errors(
            fabric.host, io_errors_seen, timing.kernel_io_errors
        )
        record.kernel_io_errors += [f"after {fault.name} at {at / 60:.1f} min: {x}" for x in lines]
        time.sleep(rng.uniform(*GAP_S))
    fabric.host.console.run("wait", timeout=600, check=False)
    verify, io_errors = workload.fio_errors(fabric.host)
    record.verify_errors += verify
    record.io_errors += io_errors
    record.network_errors += workload.iperf_errors(fabric.host)
    record.network_errors += workload.flow_errors(fabric.host, fabric.director)
    _sample(fabric, record, time.monotonic() - start)


def _rxe_fault(fabric: Fabric, record: SoakRun, at: float) -> bool:
    """After a command failed: whether a guest was lost to a documented rxe fault (recorded,
    with what fio had verified on a host that still answers); False for anything else, whose
    splats are recorded as ours."""
    if fabric.check() is None:
        return False
    found: list[str] = []
    ours: list[str] = []
    for guest in fabric.guests:
        rxe_faults, others = rxe.classify(guest.console_tail(400))
        found += [f"{at / 60:.1f} min, {guest.name}: {name}" for name in rxe_faults]
        ours += [f"{guest.name}: {other}" for other in others]
    record.splats += ours
    if not found or ours:
        return False
    record.rxe_faults += found
    if fabric.host.probe() is None:
        # The host lived: fio is stopped and its verify count kept (its I/O errors are the
        # lost director's, not ours, and go with the rxe fault).
        fabric.host.console.run("pkill -INT fio; wait", timeout=300, check=False)
        verify, io_errors = workload.fio_errors(fabric.host)
        record.verify_errors += verify
        record.rxe_faults += [f"  then {error}" for error in io_errors]
    return True


def soak(
    fabric: Fabric,
    build: Build,
    disks: tuple[str, ...],
    record: SoakRun,
    minutes: float,
    rng: random.Random,
    kinds: tuple[faults.Fault, ...] = FAULTS,
    log_dir: Path = ARTIFACTS / "soak",
) -> None:
    """Faults at random intervals under fio and iperf3 for `minutes`. A guest lost to a
    documented rxe fault is recorded, the pair booted again and set up, and the soak goes on
    for the time left; anything else ends it."""
    start = time.monotonic()
    end = start + minutes * 60
    order = faults.schedule(rng, kinds)
    while end - time.monotonic() > MIN_SEGMENT_S:
        try:
            _segment(fabric, disks, record, (start, end), rng, order, log_dir)
            return
        except ConsoleError:
            at = time.monotonic() - start
            if not _rxe_fault(fabric, record, at):
                raise
            say(f"soak {at / 60:5.1f} min: {record.rxe_faults[-1]}; booting the pair again")
            fabric.lose("a documented rxe fault")
            fabric.reboot()
            _, disks = set_up(fabric, build)
            for guest in fabric.guests:
                workload.new_splats(guest)


def cycle_modules(fabric: Fabric, build: Build, gid: str, record: SoakRun, cycles: int) -> None:
    """Unload every module with the devices bound (each disk read just before), load them
    again and wait for the link, the vNIC and both disks; I/O is stopped."""
    host = fabric.host.console
    for cycle in range(cycles):
        try:
            disks = _disks(fabric, len(TARGETS), 90)
            for disk in disks:
                host.run(f"dd if={disk} of=/dev/null bs=64k count=4 iflag=direct status=none")
            modload.unload_product(fabric.host)
            modload.load_product(fabric.host, build.release, f"xds_gid={gid}")
            if not wait_for_state(fabric.host, "up", UP_WITHIN):
                raise ConsoleError("link not up again")
            if not host.wait_until(f"[ -e /sys/class/net/{VNIC} ]", 45):
                raise ConsoleError("vNIC not back")
        except ConsoleError as exc:
            record.module_cycle_failures.append(f"cycle {cycle + 1}: {exc}"[:300])
            break
        record.module_cycles += 1
        if (cycle + 1) % 10 == 0:
            say(f"soak: {cycle + 1} module load/unload cycles")


def _leaks(fabric: Fabric, record: SoakRun) -> None:
    modload.unload_product(fabric.host)
    for guest in fabric.guests:
        if kmemleak.available(guest):
            found = kmemleak.report(guest)
            record.kmemleak += [b for b in found.split("unreferenced object")[1:]]


def _latest_runs(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs soak.json keeps, one per kernel (the latest), with `summary` in its place."""
    try:
        kept = json.loads((RESULTS / "soak.json").read_text())
    except (OSError, ValueError):
        kept = []
    runs = kept.get("runs", []) if isinstance(kept, dict) else []
    runs = [r for r in runs if isinstance(r, dict) and r.get("kernel") != summary["kernel"]]
    return sorted([*runs, summary], key=lambda r: str(r.get("kernel")))


def write_results(summary: dict[str, Any]) -> str:
    """Keep `summary` as its kernel's latest soak in soak.{json,md} and the README (the other
    kernels' latest runs stay); return the Markdown of them all."""
    runs = _latest_runs(summary)
    text = "\n".join(markdown(r) for r in runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps({"runs": runs}, indent=1) + "\n")
    (RESULTS / "soak.md").write_text(text)
    readme = README.read_text()
    block = f"{README_BEGIN}\n{text}{README_END}"
    pattern = re.compile(re.escape(README_BEGIN) + r".*?" + re.escape(README_END), re.DOTALL)
    if pattern.search(readme):
        README.write_text(pattern.sub(lambda _: block, readme))
    return text


def run(
    spec: KernelSpec,
    minutes: float,
    module_cycles: int,
    seed: int | None = None,
    kinds: list[str] | None = None,
) -> int:
    chosen = tuple(f for f in FAULTS if kinds is None or f.name in kinds)
    unknown = set(kinds or ()) - {f.name for f in FAULTS}
    if unknown or not chosen:
        raise SystemExit(f"soak: no such fault: {', '.join(sorted(unknown)) or '(none chosen)'}")
    kernel = kernels.fetch(spec)
    build = modules.build(kernel.kdir, kernel.config)
    image.build_image()
    seed = seed if seed is not None else int(time.time())
    rng = random.Random(seed)
    record = SoakRun(
        kernel=kernel.release,
        commit=_commit(),
        minutes=minutes,
        kinds=[fault.name for fault in chosen],
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_dir = ARTIFACTS / "soak" / stamp
    say(f"soak: {minutes:g} min on {kernel.release}, seed {seed}; artifacts in {log_dir}")
    with Fabric(kernel, log_dir) as fabric:
        try:
            gid, disks = set_up(fabric, build)
            for guest in fabric.guests:
                if kmemleak.available(guest):
                    kmemleak.forget(guest)
                workload.new_splats(guest)
            soak(fabric, build, disks, record, minutes, rng, chosen, log_dir)
            record.slab_growers = {g.name: workload.slab_growers(g) for g in fabric.guests}
            cycle_modules(fabric, build, gid, record, module_cycles)
            _leaks(fabric, record)
        except (ConsoleError, OSError) as exc:
            record.stopped_early = " ".join(str(exc).split())[:600] or repr(exc)
            say(f"soak stopped early: {record.stopped_early}")
        finally:
            if fabric.check() is None:
                director.copy_logs(fabric.director, log_dir)
                _keep_fio(fabric, log_dir)
    summary = record.summary()
    summary["seed"] = seed
    print(markdown(summary))
    write_results(summary)
    say(f"soak figures: {RESULTS / 'soak.md'}; artifacts: {log_dir}")
    met = all(m for *_, m in goals(summary)) and not record.stopped_early
    return 0 if met else 1


def _keep_fio(fabric: Fabric, log_dir: Path) -> None:
    """fio's report and its error output (the verify failures, if any) among the artifacts."""
    con = fabric.host.console
    for path in (workload.FIO_JSON, workload.FIO_ERR):
        name = Path(path).name
        kept = con.output(f"tail -n {director.KEPT_LINES} {path} 2>/dev/null || true")
        (log_dir / name).write_text(kept)
