"""`python -m harness shell`: both VMs booted, the product loaded and given a vNIC and a vHBA,
and a console to each, switched with a key: a kernel developer's way into the fabric.

Ctrl-] leaves the console in front for a one-key menu: `h` the host, `d` the director, `q`
quits (both VMs stop). With `--gdb`, each QEMU serves its gdb stub on a port of 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import sys
import termios
import tty
from collections.abc import Callable
from pathlib import Path

from harness import director, image, kernels, lan, modload, modules, san
from harness.fabric import Fabric
from harness.links import wait_for_state
from harness.log import say
from harness.matrix import KernelSpec
from harness.paths import ARTIFACTS
from harness.vm import Guest

ESCAPE = b"\x1d"  # Ctrl-]
MENU = "[xs] h: host  d: director  q: quit (both VMs stop) > "
BANNER = "shell ready"
HELLO_INTERVAL = 2
SERVER = "host"
VNIC, VNIC_MAC = "xsvnic0", "52:54:00:0a:00:02"
VHBA, VHBA_WWN = "xsvhba0", "21:00:00:1b:32:00:00:01"
TARGET = "50:01:43:80:00:00:00:01"
LUN_MB = 64


def free_ports(count: int) -> list[int]:
    """`count` different TCP ports of 127.0.0.1 that nothing listens on now."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def set_up(fabric: Fabric, build: modules.Build) -> None:
    """What `make demo` shows, left standing: the director's services, the product loaded on
    the host, a vNIC addressed and a vHBA with one LUN."""
    dire, host = fabric.director, fabric.host.console
    gid = director.start_fabric_services(dire)
    director.start_xcm(dire, HELLO_INTERVAL)
    lan.start_gateway(dire)
    director.ctl(dire, f"add-lun {TARGET} 0 --size-mb {LUN_MB}")
    san.start_card(dire)
    host.run("modprobe sd_mod")
    modload.load_product(fabric.host, build.release, f"xds_gid={gid}")
    if not wait_for_state(fabric.host, "up", 90):
        say("WARNING: the host's XSMP link did not come up (dmesg | grep xscore)")
        return
    port = lan.PORTS[0]
    director.ctl(dire, f"add-vnic {SERVER} {VNIC} --mac {VNIC_MAC} --port {port.card_port}")
    director.ctl(dire, f"add-vhba {SERVER} {VHBA} --wwn {VHBA_WWN} --port fc/1")
    if host.wait_until(f"[ -e /sys/class/net/{VNIC} ]", 45):
        host.run(f"ip link set {VNIC} up && ip addr add {port.host_ipv4()}/24 dev {VNIC}")
    san.wait_for_disk(fabric.host, 60)


def _for_people(guest: Guest, columns: int, lines: int) -> None:
    """The console as a person wants it: echo, job control, the terminal's size, a prompt
    naming the guest."""
    guest.console.run(
        f"stty echo onlcr cols {columns} rows {lines}; set -m; PS1='{guest.name}# '", timeout=30
    )


class Keys:
    """The keys typed at a terminal in raw mode, one at a time, with those typed ahead kept."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.ahead = b""

    def read(self) -> str:
        if not self.ahead:
            self.ahead = os.read(self.fd, 1024)
        key, self.ahead = self.ahead[:1], self.ahead[1:]
        return key.decode(errors="replace")


def choose(read_key: Callable[[], str], write: Callable[[str], None]) -> str | None:
    """The menu: the guest's name chosen ("host", "director"), or None to quit."""
    while True:
        write("\r\n" + MENU)
        key = read_key().lower()
        if key in ("h", "d"):
            write(key + "\r\n")
            return "host" if key == "h" else "director"
        if key in ("q", "\x03", "\x04"):
            write("q\r\n")
            return None


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def interact(fabric: Fabric, ready: str) -> None:
    """Say `ready`, then give the person the host's console; Ctrl-] for the menu. The
    terminal is raw all along (switched without a flush), so no key typed ahead is lost."""
    guests = {g.name: g for g in fabric.guests}
    size = os.get_terminal_size()
    for guest in guests.values():
        _for_people(guest, size.columns, size.lines)
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setraw(fd, termios.TCSANOW)
    try:
        _write(ready.replace("\n", "\r\n") + "\r\n")
        keys = Keys(fd)
        current: str | None = "host"
        while current is not None:
            _write(f"\r\n[xs] the {current}'s console (Ctrl-] for the menu)\r\n")
            console = guests[current].console
            keys.ahead = console.interact(fd, sys.stdout.buffer, ESCAPE, keys.ahead)
            current = choose(keys.read, _write)
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def run(spec: KernelSpec, gdb: bool = False) -> int:
    if not sys.stdin.isatty():
        raise SystemExit("harness shell: needs a terminal (run it in one, or in tmux)")
    kernel = kernels.fetch(spec)
    build = modules.build(kernel.kdir, kernel.config)
    image.build_image()
    ports = dict(zip(("director", "host"), free_ports(2), strict=True)) if gdb else {}
    with Fabric(kernel, ARTIFACTS / "shell", gdb_ports=ports) as fabric:
        set_up(fabric, build)
        for name, port in ports.items():
            say(f"{name}: gdb stub at 127.0.0.1:{port}: gdb {_vmlinux(kernel)} -ex"
                f" 'target remote 127.0.0.1:{port}'")  # fmt: skip
        interact(fabric, f"[xs] {BANNER}: {kernel.release}; Ctrl-] for the menu")
        say("stopping both VMs")
        for guest in fabric.guests:
            guest.console.abandon_line()
    return 0


def _vmlinux(kernel: kernels.Kernel) -> str:
    """The kernel image with symbols, where there is one."""
    if kernel.spec.tree:
        path = Path(kernel.spec.tree) / "vmlinux"
        if path.is_file():
            return str(path)
    return "<a vmlinux with symbols: this kernel has none here; see /proc/kallsyms>"
