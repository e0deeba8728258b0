"""The two-VM fabric: a host VM (our drivers) and a director VM, linked by RoCE over rxe.

Two VMs because rxe before 7.1 works only in the initial network namespace. The director VM is
the `-netdev stream` server and starts first; the host VM connects to its unix socket. The host
VM may be replaced while the director runs (QEMU's stream server takes the next client), for
instance by one that boots from a LUN behind its vHBA: the director VM has a copy-on-write view
of the guest root image as its second disk (ROOT_LUN_DEVICE) to serve as that LUN.

A fabric can be lost (a guest's QEMU exited, or a guest stopped answering) and booted again in
place: `check()` says whether it is usable, `lose()` stops both guests so that nothing more
waits on them, and `reboot()` boots the pair again into the same Fabric object, so whatever
holds it stays valid.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from harness import accel, bootdisk, image, initramfs, pvh, qemu
from harness.console import ConsoleError
from harness.kernels import Kernel
from harness.log import say
from harness.qemu import FabricLink, GuestSpec
from harness.vm import Guest

RXE_DEVICE = "rxe0"
ROOT_LUN_DEVICE = "/dev/vdb"


@dataclass(frozen=True)
class Addressing:
    role: str
    mac: str
    ipv4: str
    ipv6: str

    @property
    def ip(self) -> str:
        return self.ipv4.split("/")[0]


HOST = Addressing("host", "52:54:00:18:00:01", "198.18.0.1/24", "2001:db8::1/64")
DIRECTOR = Addressing("director", "52:54:00:18:00:02", "198.18.0.2/24", "2001:db8::2/64")


class Fabric:
    """Both guests of one kernel, booted and with rxe up on each."""

    def __init__(
        self, kernel: Kernel, log_dir: Path, gdb_ports: dict[str, int] | None = None
    ) -> None:
        self.kernel = kernel
        self.log_dir = log_dir
        # Each guest's (by role) QEMU gdb stub port on 127.0.0.1; none without.
        self.gdb_ports = gdb_ports or {}
        self._sockdir = tempfile.TemporaryDirectory(prefix="xs-fabric-")
        self.guests: list[Guest] = []
        self.host: Guest
        self.director: Guest
        # Why the guests of this fabric are gone (lose()); None while they serve.
        self.lost: str | None = None
        # How many times the pair has been booted: a guest's console log is appended to after
        # the first.
        self.boots = 0

    def _spec(self, who: Addressing, server: bool) -> GuestSpec:
        socket = Path(self._sockdir.name) / "fabric.sock"
        vmlinuz = pvh.boot_image(self.kernel)
        chosen = accel.choose(vmlinuz)
        return GuestSpec(
            role=who.role,
            vmlinuz=vmlinuz,
            initramfs=initramfs.build_initramfs(self.kernel),
            root_image=image.build_image(),
            modules_root=self.kernel.modules_root,
            link=FabricLink(socket=socket, server=server, mac=who.mac),
            ipv4=who.ipv4,
            ipv6=who.ipv6,
            cpu=chosen.cpu(
                qemu.cpu_model(
                    built_here=self.kernel.spec.source is not None or bool(self.kernel.spec.tree)
                )
            ),
            accel=chosen.name,
            qemu_args=(
                ("-gdb", f"tcp:127.0.0.1:{self.gdb_ports[who.role]}")
                if who.role in self.gdb_ports
                else ()
            ),
            # Symbols at the addresses the vmlinux says, for gdb.
            extra_args=["nokaslr"] if who.role in self.gdb_ports else [],
        )

    def start(self) -> None:
        director_spec = replace(
            self._spec(DIRECTOR, server=True), extra_drives=(image.build_image(),)
        )
        # A director QEMU that was killed leaves its socket behind.
        director_spec.link.socket.unlink(missing_ok=True)
        again = self.boots > 0
        self.boots += 1
        self.director = Guest(director_spec, self.log_dir, append_log=again)
        self.guests.append(self.director)
        _wait_for_socket(director_spec.link.socket)
        self.host = Guest(self._spec(HOST, server=False), self.log_dir, append_log=again)
        self.guests.append(self.host)
        for guest in self.guests:
            guest.wait_ready()
            say(f"{self.kernel.release}: {guest.name} VM booted in {guest.boot_seconds:.1f} s")
        for guest in self.guests:
            enable_rxe(guest)
        # harness.auth reads the guests' identity through harness.director, which needs
        # this module: imported here, not at the top.
        from harness import auth

        auth.provision_director(self.director, self.host)

    def replace_host(
        self,
        boot_from_vhba: Path | None = None,
        args: tuple[str, ...] = (),
        shares: tuple[tuple[str, Path], ...] = (),
        cpus: int = 1,
    ) -> Guest:
        """Power the host VM off and boot another in its place, with the same identity on the
        fabric (MAC, addresses): an ordinary one with rxe up, or with `boot_from_vhba` (a
        harness.bootdisk initramfs) one whose root is its vHBA's first disk. `args` go to the
        kernel command line, `shares` are more read-only 9p shares (tag, directory), `cpus`
        its vCPUs."""
        if self.lost is not None:
            raise ConsoleError(f"not replacing the host VM of a lost fabric: {self.lost}")
        self.host.shutdown()
        self.guests.remove(self.host)
        spec = replace(self._spec(HOST, server=False), extra_shares=shares, cpus=cpus)
        if boot_from_vhba is not None:
            spec = replace(
                spec,
                initramfs=boot_from_vhba,
                root_image=None,
                extra_args=[*bootdisk.KERNEL_ARGS, *args],
            )
        else:
            spec = replace(spec, extra_args=list(args))
        self.host = Guest(spec, self.log_dir, append_log=True)
        self.guests.append(self.host)
        self.host.wait_ready()
        say(f"{self.kernel.release}: host VM booted in {self.host.boot_seconds:.1f} s")
        if boot_from_vhba is None:
            enable_rxe(self.host)
        return self.host

    def check(self) -> str | None:
        """Why the fabric cannot serve the next test (a guest's QEMU exited, or a guest did not
        answer a trivial command in time); None when both guests answer."""
        if self.lost is not None:
            return self.lost
        faults = [why for guest in self.guests if (why := guest.probe()) is not None]
        return "; ".join(faults) or None

    def lose(self, why: str) -> None:
        """Give the guests up: stop both QEMUs at once, so that every command still sent to
        them (a fixture's teardown) fails at once with `why` instead of waiting on them."""
        if self.lost is None:
            self.lost = why
        for guest in self.guests:
            guest.kill(f"fabric lost: {why}")

    def reboot(self) -> None:
        """Boot both guests again, with rxe up, into this same Fabric object; their console
        logs go on after the lost guests' ones."""
        self.lose(self.lost or "rebooted")
        self.guests.clear()
        try:
            self.start()
        except BaseException as exc:
            self.lost = f"{self.lost}; booting the pair again failed: {exc}"
            self.lose(self.lost)
            raise
        self.lost = None

    def stop(self) -> None:
        for guest in reversed(self.guests):
            guest.shutdown()
        self.guests.clear()
        self._sockdir.cleanup()

    def __enter__(self) -> Fabric:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_for_socket(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"QEMU did not create {path}")
        time.sleep(0.05)


def enable_rxe(guest: Guest) -> None:
    """Bind soft-RoCE to the guest's fabric NIC; rxe needs the crc32 crypto driver on 6.x."""
    con = guest.console
    con.run("modprobe -q crc32_generic || true")
    con.run("modprobe rdma_rxe && modprobe rdma_ucm && modprobe ib_uverbs")
    con.run(f"rdma link add {RXE_DEVICE} type rxe netdev $(cat /run/xs-fabric-ifname)")


def rxe_port_state(guest: Guest) -> str:
    """The state word of rxe0 port 1 as `rdma link` reports it (ACTIVE, DOWN, ...)."""
    out = guest.console.output(f"rdma link show {RXE_DEVICE}/1")
    match = re.search(r"\bstate (\w+)", out)
    if not match:
        raise AssertionError(f"[{guest.name}] unexpected `rdma link` output: {out!r}")
    return match.group(1)
