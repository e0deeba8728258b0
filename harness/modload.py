"""Load and unload our out-of-tree modules inside a guest.

insmod does not resolve dependencies, so each module's in-kernel dependencies (from its
modinfo) are modprobed first; our own modules are loaded in the order given.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from harness import auth
from harness.modules import MODULES
from harness.vm import Guest

GUEST_PROJECT = PurePosixPath("/mnt/xs")


def guest_path(release: str, relative: str) -> PurePosixPath:
    return GUEST_PROJECT / "build" / release / "kernel" / relative


def module_name(relative: str) -> str:
    return PurePosixPath(relative).stem


def insmod(guest: Guest, release: str, relative: str, params: str = "") -> None:
    path = guest_path(release, relative)
    con = guest.console
    for dep in filter(None, con.output(f"modinfo -F depends {path}").strip().split(",")):
        if not con.run(f"grep -q '^{dep} ' /proc/modules", check=False).ok:
            con.run(f"modprobe {dep}")
    con.run(f"insmod {path} {params}".rstrip())
    if module_name(relative) == "xscore":
        # Its keyring is new: the port's key goes in before the first session registers
        # (one that registers first is refused and retried after its backoff).
        auth.load_host_key(guest)


def rmmod(guest: Guest, relative: str) -> None:
    guest.console.run(f"rmmod {module_name(relative)}")


def loaded(guest: Guest) -> set[str]:
    out = guest.console.output("cut -d' ' -f1 /proc/modules")
    return set(out.split())


def load_product(guest: Guest, release: str, xscore_params: str = "") -> None:
    for relative in MODULES:
        insmod(guest, release, relative, xscore_params if relative == MODULES[0] else "")


def unload_product(guest: Guest) -> None:
    for relative in reversed(MODULES):
        rmmod(guest, relative)
