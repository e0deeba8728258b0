"""Which QEMU accelerator the guests run under: KVM where it really works, else TCG.

A /dev/kvm that opens proves little. On these machines it is a nested paravirtual KVM: a few
real-mode instructions run under it, but a guest kernel does not (measured with Debian's 6.1:
with `-cpu host` QEMU aborts setting MSR 0x10a; with its default CPU the bzImage stops after
"Probing EDD" and the PVH vmlinux prints nothing). So the probe boots the guests' own kernel
image under KVM, as the guests would run (`-cpu host`), with an early console, and waits for
its banner, which even TCG prints within half a second. The verdict is kept under ~/.cache, keyed by
the QEMU build, the host kernel and the image, so a machine pays for a silent probe once.

XS_ACCEL=tcg skips the probe; XS_ACCEL=kvm insists, and fails loudly where KVM does not boot.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import platform
import select
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.log import say
from harness.paths import cache_dir

QEMU = "qemu-system-x86_64"
KVM_DEVICE = Path("/dev/kvm")
BANNER = b"Linux version"
PROBE_SECONDS = 10.0
ENV = "XS_ACCEL"


class Probe(enum.Enum):
    """What a guest kernel did under KVM."""

    BOOTED = "booted"  # printed its banner
    SILENT = "silent"  # ran, printed nothing within the probe's time
    FAILED = "failed"  # QEMU exited before the banner (KVM refused, a CPU feature missing ...)


@dataclass(frozen=True)
class ProbeResult:
    outcome: Probe
    last_line: str = ""  # what QEMU or the guest printed last


@dataclass(frozen=True)
class Accel:
    name: str  # "kvm" or "tcg"
    why: str

    def qemu_args(self) -> list[str]:
        return ["-accel", self.name]

    def cpu(self, tcg_model: str) -> str:
        """The guest CPU model: the host's own under KVM, `tcg_model` under TCG."""
        return "host" if self.name == "kvm" else tcg_model


class AccelRefused(RuntimeError):
    """XS_ACCEL=kvm where KVM does not boot a guest."""


def device_problem(device: Path = KVM_DEVICE) -> str | None:
    """Why the KVM device cannot be used by this process, or None."""
    if not device.exists():
        return f"{device} does not exist"
    if not os.access(device, os.R_OK | os.W_OK):
        return f"{device} is not readable and writable by this user"
    return None


def decide(requested: str | None, problem: str | None, probe: Callable[[], ProbeResult]) -> Accel:
    """The accelerator, from what was asked for, what is wrong with /dev/kvm, and (only when
    both allow it) the probe's outcome."""
    if requested not in (None, "", "kvm", "tcg"):
        raise AccelRefused(f"{ENV}={requested}: expected kvm or tcg")
    if requested == "tcg":
        return Accel("tcg", f"{ENV}=tcg")
    if problem is not None:
        chosen = Accel("tcg", problem)
    else:
        result = probe()
        if result.outcome is Probe.BOOTED:
            return Accel("kvm", "a guest kernel booted under KVM")
        why = {
            Probe.SILENT: f"no kernel banner within {PROBE_SECONDS:.0f} s under KVM",
            Probe.FAILED: "QEMU could not start a guest under KVM",
        }[result.outcome]
        chosen = Accel("tcg", f"{why}: {result.last_line}" if result.last_line else why)
    if requested == "kvm":
        raise AccelRefused(f"{ENV}=kvm, but {chosen.why}")
    return chosen


def probe_kvm(image: Path, seconds: float = PROBE_SECONDS) -> ProbeResult:
    """Boot `image` under KVM with an early serial console; watch for the kernel's banner."""
    argv = [
        QEMU,
        *("-machine", "q35", "-accel", "kvm", "-cpu", "host", "-m", "256"),
        *("-nodefaults", "-no-reboot", "-display", "none", "-serial", "stdio"),
        *("-kernel", str(image), "-append", "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1"),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    seen = b""

    def result(outcome: Probe) -> ProbeResult:
        lines = seen.decode(errors="replace").strip().splitlines()
        return ProbeResult(outcome, lines[-1].strip() if lines else "")

    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 0.5))
            if not ready:
                continue
            chunk = proc.stdout.read1(4096)
            if not chunk:
                return result(Probe.FAILED)
            seen += chunk
            if BANNER in seen:
                return result(Probe.BOOTED)
        return result(Probe.SILENT)
    finally:
        proc.kill()
        proc.wait()


def _verdict_path(image: Path) -> Path:
    qemu = subprocess.run([QEMU, "--version"], capture_output=True, text=True).stdout
    stat = image.stat()
    key = f"{qemu}\n{platform.release()}\n{image}\n{stat.st_size}\n{stat.st_mtime_ns}"
    return cache_dir("accel") / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def _cached_probe(image: Path) -> ProbeResult:
    path = _verdict_path(image)
    if path.exists():
        kept = json.loads(path.read_text())
        return ProbeResult(Probe(kept["probe"]), kept["last_line"])
    result = probe_kvm(image)
    kept = {"probe": result.outcome.value, "last_line": result.last_line, "image": str(image)}
    path.write_text(json.dumps(kept) + "\n")
    return result


_chosen: dict[Path, Accel] = {}


def choose(image: Path) -> Accel:
    """The accelerator for guests booting `image`, said once per process."""
    if image not in _chosen:
        accel = decide(os.environ.get(ENV), device_problem(), lambda: _cached_probe(image))
        say(f"accelerator: {accel.name.upper()} ({accel.why})")
        _chosen[image] = accel
    return _chosen[image]
