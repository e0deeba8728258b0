"""Install the modules through DKMS inside a guest, as an operator installs out-of-tree drivers.

The guest gets the running kernel's headers and kbuild tools over a 9p share and a writable
/lib/modules (harness/guest/kernel-build-env.sh); the tree DKMS builds is this checkout's
dkms.conf and kernel/, copied to /usr/src/<name>-<version> as a source package would install it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.kernels import Kernel
from harness.paths import REPO
from harness.vm import Guest

DKMS_CONF = REPO / "dkms.conf"
SHARE_TAG = "kusr"
GUEST_REPO = "/mnt/xs"
ENV_SCRIPT = f"{GUEST_REPO}/harness/guest/kernel-build-env.sh"
# gcc under TCG: a cold build of the four host modules takes minutes
BUILD_TIMEOUT = 1200


class DkmsFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class DkmsPackage:
    name: str
    version: str
    modules: tuple[str, ...]

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"

    @property
    def source_dir(self) -> str:
        return f"/usr/src/{self.name}-{self.version}"


def package(conf: Path = DKMS_CONF) -> DkmsPackage:
    """Name, version and built modules as dkms.conf declares them."""
    values: dict[str, str] = {}
    modules: dict[int, str] = {}
    for line in conf.read_text().splitlines():
        match = re.match(r'^(\w+)(?:\[(\d+)\])?="?([^"]*)"?$', line.strip())
        if not match:
            continue
        key, index, value = match.groups()
        if key == "BUILT_MODULE_NAME" and index is not None:
            modules[int(index)] = value
        elif index is None:
            values[key] = value
    return DkmsPackage(
        name=values["PACKAGE_NAME"],
        version=values["PACKAGE_VERSION"],
        modules=tuple(modules[i] for i in sorted(modules)),
    )


def kernel_share(kernel: Kernel) -> tuple[str, Path]:
    """The 9p share that gives a guest the kernel's headers and kbuild tools."""
    return (SHARE_TAG, kernel.root / "usr")


def _dkms(guest: Guest, args: str, timeout: float = 120) -> str:
    con = guest.console
    out = con.output(f"dkms {args} > /tmp/dkms.out 2>&1; echo rc=$?", timeout=timeout)
    log = con.output("tail -n 40 /tmp/dkms.out")
    if "rc=0" not in out:
        make_log = con.output("tail -n 40 /var/lib/dkms/*/*/build/make.log 2>/dev/null || true")
        raise DkmsFailed(f"dkms {args} failed:\n{log}\n{make_log}")
    return log


def install(guest: Guest, kernel: Kernel, pkg: DkmsPackage) -> str:
    """Add, build and install the package for the running kernel; return what DKMS said."""
    con = guest.console
    con.run(f"{ENV_SCRIPT} {kernel_share(kernel)[1]}", timeout=120)
    con.run(f"rm -rf {pkg.source_dir} && mkdir -p {pkg.source_dir}")
    con.run(f"cp -r {GUEST_REPO}/dkms.conf {GUEST_REPO}/kernel {pkg.source_dir}/")
    said = _dkms(guest, f"add {pkg.ref}")
    said += _dkms(guest, f"build {pkg.ref}", timeout=BUILD_TIMEOUT)
    said += _dkms(guest, f"install {pkg.ref}")
    return said


def remove(guest: Guest, pkg: DkmsPackage) -> str:
    return _dkms(guest, f"remove {pkg.ref} --all")
