"""The faults the soak injects under I/O, each done and undone by the operator's own tools (the
director's daemons, `ctl` through one standing `ctl batch`, `ip` on the host), and the probes
that time how long after each one I/O flows again."""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from harness import director, lan, san
from harness.console import Console
from harness.fabric import Fabric
from harness.soak import workload

HELLO_INTERVAL = 1
# How long each fault holds before it is undone: long enough for the host to notice most of
# them (a lost connection, a lost remote port), well inside the targets' dev_loss_tmo.
HOLD_SECONDS = 2
# A probe that has not completed by then counts the fault as not recovered.
PROBE_LIMIT_S = 120
FABRIC_IFNAME = "$(cat /run/xs-fabric-ifname)"

TARGETS = ("50:01:43:80:00:00:00:01", "50:01:43:80:00:00:00:02")
SPARE_LUN = 1  # added to and removed from the first target, beside the LUN under fio
SPARE_LUN_MB = 8


@dataclass(frozen=True)
class Fault:
    """One kind of fault: `inject` does it and undoes it; the probe of its `path` (storage or
    network) then times the first I/O that completes."""

    name: str
    path: str  # "storage" or "network"
    inject: Callable[[Fabric], None]


# One `ctl batch` per booted director (a director booted again gets its own).
_batches: weakref.WeakKeyDictionary[Console, director.CtlBatch] = weakref.WeakKeyDictionary()


def _ctl(fabric: Fabric, args: str) -> None:
    """An operator command, through the director's standing `ctl batch`."""
    batch = _batches.get(fabric.director.console)
    if batch is None:
        batch = _batches[fabric.director.console] = director.CtlBatch(fabric.director)
    batch.run(args)


def _hold(fabric: Fabric) -> None:
    fabric.host.console.run(f"sleep {HOLD_SECONDS}")


def card_restart(fabric: Fabric) -> None:
    """The FC card restarted as an operator does it (`ctl card-state`): its ports go with every
    host's connections, then its configuration is applied again. The whole-director restart
    below restarts the processes."""
    _ctl(fabric, "card-state fc down")
    try:
        _hold(fabric)
    finally:
        _ctl(fabric, "card-state fc up")


def director_restart(fabric: Fabric) -> None:
    director.stop_xcm(fabric.director)
    san.stop_card(fabric.director)
    lan.stop_gateway(fabric.director)
    _hold(fabric)
    director.start_xcm(fabric.director, HELLO_INTERVAL)
    san.start_card(fabric.director)
    lan.start_gateway(fabric.director)


def host_port_flap(fabric: Fabric) -> None:
    con = fabric.host.console
    con.run(f"ip link set dev {FABRIC_IFNAME} down")
    try:
        _hold(fabric)
    finally:
        con.run(f"ip link set dev {FABRIC_IFNAME} up")


def fc_link_flap(fabric: Fabric) -> None:
    _ctl(fabric, "port-link fc/1 down")
    try:
        _hold(fabric)
    finally:
        _ctl(fabric, "port-link fc/1 up")


def target_loss(fabric: Fabric) -> None:
    _ctl(fabric, f"target-state {TARGETS[1]} offline")
    try:
        _hold(fabric)
    finally:
        _ctl(fabric, f"target-state {TARGETS[1]} online")


def lun_add_remove(fabric: Fabric) -> None:
    _ctl(fabric, f"add-lun {TARGETS[0]} {SPARE_LUN} --size-mb {SPARE_LUN_MB}")
    _hold(fabric)
    _ctl(fabric, f"remove-lun {TARGETS[0]} {SPARE_LUN}")


def eth_card_restart(fabric: Fabric) -> None:
    _ctl(fabric, "card-state eth down")
    try:
        _hold(fabric)
    finally:
        _ctl(fabric, "card-state eth up")


def uplink_flap(fabric: Fabric) -> None:
    port = lan.PORTS[0].card_port
    _ctl(fabric, f"port-link {port} down")
    try:
        _hold(fabric)
    finally:
        _ctl(fabric, f"port-link {port} up")


FAULTS = (
    Fault("card-restart", "storage", card_restart),
    Fault("director-restart", "storage", director_restart),
    Fault("host-port-flap", "storage", host_port_flap),
    Fault("fc-link-flap", "storage", fc_link_flap),
    Fault("target-loss", "storage", target_loss),
    Fault("lun-add-remove", "storage", lun_add_remove),
    Fault("eth-card-restart", "network", eth_card_restart),
    Fault("uplink-flap", "network", uplink_flap),
)


def schedule(rng: random.Random, kinds: tuple[Fault, ...]) -> Iterator[Fault]:
    """The faults in rounds, each round every kind once in a random order: the kinds stay
    within one of each other in count however long the soak, where a random pick each time
    leaves some kinds far behind (24 against 49 in 45 minutes)."""
    while True:
        round_ = list(kinds)
        rng.shuffle(round_)
        yield from round_


IO_ERRORS = "io_errors="


def probe_command(path: str, disks: tuple[str, ...], remote: str) -> str:
    """A shell command, run in the host VM, that prints how many seconds the first I/O on
    `path` took to complete (each disk read once, directly; or one ping answered), or
    `none` past PROBE_LIMIT_S."""
    if path == "storage":
        done = " && ".join(
            f"timeout 10 dd if={disk} of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null"
            for disk in disks
        )
    else:
        done = f"ping -c 1 -W 1 {remote} >/dev/null 2>&1"
    return (
        "s=$(date +%s.%N); ok=0; while :; do"
        f" if {done}; then ok=1; break; fi;"
        f' n=$(date +%s.%N); awk "BEGIN{{exit !($n - $s > {PROBE_LIMIT_S})}}" && break;'
        " sleep 0.2; done;"
        ' e=$(date +%s.%N); [ $ok = 1 ] && awk "BEGIN{printf \\"%.2f\\n\\", $e - $s}" || echo none'
    )


def parse_probe(output: str) -> float | None:
    """The probe's answer: seconds, or None when I/O did not flow within its limit."""
    last = output.strip().splitlines()[-1] if output.strip() else "none"
    try:
        return float(last)
    except ValueError:  # "none", or whatever a probe that did not run printed
        return None


@dataclass(frozen=True)
class Timing:
    """What one fault took: doing and undoing it (`inject_s`), and from then to the first
    I/O that completed (`recovered_after`; None when none did within PROBE_LIMIT_S); and how
    many I/O error lines the host's kernel log held then (workload.KERNEL_IO_ERROR)."""

    inject_s: float
    recovered_after: float | None
    kernel_io_errors: int | None  # None: the answer had no count


def timed(fault: Fault, fabric: Fabric, probe: str) -> Timing:
    """Inject `fault`, then run the probe: how long after the fault was undone I/O flowed.
    The host's I/O error lines are counted in the same round trip."""
    began = time.monotonic()
    fault.inject(fabric)
    inject_s = time.monotonic() - began
    count = f"; echo {IO_ERRORS}$(dmesg | grep -cE '{workload.KERNEL_IO_ERROR}')"
    answer = fabric.host.console.output(probe + count, timeout=PROBE_LIMIT_S + 60)
    lines = answer.strip().splitlines()
    counts = [x[len(IO_ERRORS) :] for x in lines if x.startswith(IO_ERRORS)]
    counted = [int(n) for n in counts if n.isdigit()]
    rest = "\n".join(x for x in lines if not x.startswith(IO_ERRORS))
    return Timing(round(inject_s, 2), parse_probe(rest), counted[-1] if counted else None)
