"""Load and unload our out-of-tree modules inside a guest.

insmod does not resolve dependencies, so each module's dependencies (from its modinfo) are
loaded first: the kernel's with modprobe, ours (the xsconn library) with insmod from the
build, as nothing installed them where modprobe looks. Unloading a module also unloads the
libraries of ours that nothing uses any more, as `modprobe -r` would.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from harness import auth
from harness.modules import LIBRARY_MODULES, MODULES
from harness.vm import Guest

GUEST_PROJECT = PurePosixPath("/mnt/xs")


def guest_path(release: str, relative: str) -> PurePosixPath:
    return GUEST_PROJECT / "build" / release / "kernel" / relative


def module_name(relative: str) -> str:
    return PurePosixPath(relative).stem


# Our libraries by module name, for the dependencies modinfo names.
_LIBRARIES = {module_name(relative): relative for relative in LIBRARY_MODULES}


def is_loaded(guest: Guest, name: str) -> bool:
    return guest.console.run(f"grep -q '^{name} ' /proc/modules", check=False).ok


def insmod(guest: Guest, release: str, relative: str, params: str = "") -> None:
    path = guest_path(release, relative)
    con = guest.console
    for dep in filter(None, con.output(f"modinfo -F depends {path}").strip().split(",")):
        if is_loaded(guest, dep):
            continue
        if dep in _LIBRARIES:
            insmod(guest, release, _LIBRARIES[dep])
        else:
            con.run(f"modprobe {dep}")
    con.run(f"insmod {path} {params}".rstrip())
    if module_name(relative) == "xscore":
        # Its keyring is new: the port's key goes in before the first session registers
        # (one that registers first is refused and retried after its backoff).
        auth.load_host_key(guest)


def rmmod(guest: Guest, relative: str) -> None:
    """Unload a module of ours, then each library of ours that nothing holds any more."""
    con = guest.console
    con.run(f"rmmod {module_name(relative)}")
    for library in _LIBRARIES:
        if library == module_name(relative) or not is_loaded(guest, library):
            continue
        if con.output(f"cat /sys/module/{library}/refcnt").strip() == "0":
            con.run(f"rmmod {library}")


def loaded(guest: Guest) -> set[str]:
    out = guest.console.output("cut -d' ' -f1 /proc/modules")
    return set(out.split())


def load_product(guest: Guest, release: str, xscore_params: str = "") -> None:
    for relative in MODULES:
        if module_name(relative) in _LIBRARIES and is_loaded(guest, module_name(relative)):
            continue
        params = xscore_params if module_name(relative) == "xscore" else ""
        insmod(guest, release, relative, params)


def unload_product(guest: Guest) -> None:
    """Unload the product; its libraries go with the last of their users (rmmod)."""
    for relative in reversed(MODULES):
        if is_loaded(guest, module_name(relative)):
            rmmod(guest, relative)
