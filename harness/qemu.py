"""QEMU command lines for the test guests, from data.

Under TCG (these machines have no usable KVM; harness/accel.py probes for one) a q35 guest with
one vCPU boots the stage-1 initramfs and the shared ext4 root in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.paths import REPO

QEMU = "qemu-system-x86_64"
MACHINE = ["-machine", "q35"]
CPU_MODEL = "max"
# The kernels built here (7.2, 7.2-debug) boot with 4-level paging. With 5-level paging the
# 7.2-debug kernel took an early interrupt during identify_cpu() and KASAN reported a
# wild-memory-access in do_raw_spin_lock on a direct-map address (ff11...) in 2 of 4 boots;
# with la57=off, 0 of 6. The Debian-packaged cells keep the model CI has always passed with.
CPU_MODEL_4LEVEL = "max,la57=off"


def cpu_model(built_here: bool) -> str:
    """The guest CPU model for a kernel: 4-level paging for the kernels built from source."""
    return CPU_MODEL_4LEVEL if built_here else CPU_MODEL


# The shell the harness drives shares ttyS0 with the kernel's console: below this level no
# kernel message (but a panic's) is printed among a command's output.
CONSOLE_LOGLEVEL = 3
KERNEL_ARGS = ["console=ttyS0", f"loglevel={CONSOLE_LOGLEVEL}", "panic=-1"]
# Without mergeable receive buffers (and with the 9000-byte MTU) virtio-net fills its ring with
# page chains of its own, not page_pool pages. rxe frees queued packets while it holds a QP's
# state_lock with interrupts off (rxe_receiver, rxe_completer); freeing a page_pool page from
# there re-enables softirqs, whose receive path takes the same lock: on 7.x, where virtio-net
# receives into a page_pool, that is a lockdep report and, on one vCPU, a hung guest
# (docs/rxe-notes.md).
FABRIC_NIC_MODE = "mrg_rxbuf=off"
# The serial console is QEMU's stdio, a pty that pexpect drives. QEMU's stdio chardev leaves the
# terminal's ISIG on unless told `signal=off`: a Ctrl-C sent to interrupt a guest command
# (harness/console.py) would be SIGINT to QEMU itself, which exits ("terminating on signal 2").
# With signal=off the byte reaches the guest's ttyS0, whose own line discipline interrupts the
# shell's foreground command.
SERIAL = ["-chardev", "stdio,id=serial0,signal=off", "-serial", "chardev:serial0"]


@dataclass(frozen=True)
class FabricLink:
    """One end of the QEMU `-netdev stream` link over a unix socket between two guests."""

    socket: Path
    server: bool
    mac: str


@dataclass(frozen=True)
class GuestSpec:
    role: str
    vmlinuz: Path
    initramfs: Path
    root_image: Path | None  # None: the root comes from elsewhere (boot-device mode)
    modules_root: Path
    link: FabricLink
    ipv4: str
    ipv6: str
    mtu: int = 9000
    memory_mib: int = 1024
    cpu: str = CPU_MODEL
    accel: str = "tcg"  # harness/accel.py chooses
    # vCPUs: one, but for a guest that compiles (TCG runs each vCPU on a host thread).
    cpus: int = 1
    project: Path = REPO
    extra_args: list[str] = field(default_factory=list)
    # More raw disks after the root, each copy-on-write (snapshot=on) like the root.
    extra_drives: tuple[Path, ...] = ()
    # More read-only 9p shares: (mount tag, directory on this machine).
    extra_shares: tuple[tuple[str, Path], ...] = ()
    # More of QEMU's own options (a gdb stub).
    qemu_args: tuple[str, ...] = ()

    def kernel_command_line(self) -> str:
        params = [
            f"xs.role={self.role}",
            f"xs.mac={self.link.mac}",
            f"xs.ip={self.ipv4}",
            f"xs.ip6={self.ipv6}",
            f"xs.mtu={self.mtu}",
        ]
        return " ".join([*KERNEL_ARGS, *params, *self.extra_args])


def _share(tag: str, path: Path) -> list[str]:
    return [
        "-fsdev",
        f"local,id={tag},path={path},security_model=none,readonly=on",
        "-device",
        f"virtio-9p-pci,fsdev={tag},mount_tag={tag}",
    ]


def _drive(image: Path) -> list[str]:
    return ["-drive", f"file={image},if=virtio,format=raw,snapshot=on"]


def command(spec: GuestSpec) -> list[str]:
    link = spec.link
    netdev = (
        f"stream,id=fabric,server={'on' if link.server else 'off'},"
        f"addr.type=unix,addr.path={link.socket}"
    )
    return [
        QEMU,
        *MACHINE,
        "-accel",
        spec.accel,
        "-smp",
        str(spec.cpus),
        "-cpu",
        spec.cpu,
        "-m",
        str(spec.memory_mib),
        "-nodefaults",
        "-no-reboot",
        "-display",
        "none",
        *SERIAL,
        "-kernel",
        str(spec.vmlinuz),
        "-initrd",
        str(spec.initramfs),
        "-append",
        spec.kernel_command_line(),
        *(_drive(spec.root_image) if spec.root_image else []),
        *(arg for image in spec.extra_drives for arg in _drive(image)),
        *_share("project", spec.project),
        *_share("kmods", spec.modules_root),
        *(arg for tag, path in spec.extra_shares for arg in _share(tag, path)),
        "-netdev",
        netdev,
        "-device",
        f"virtio-net-pci,netdev=fabric,mac={link.mac},host_mtu={spec.mtu},{FABRIC_NIC_MODE}",
        *spec.qemu_args,
    ]
