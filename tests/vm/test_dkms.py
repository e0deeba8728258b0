"""Operators install the modules through DKMS: dkms.conf builds all four against the running
kernel's headers inside a guest, installs them where modprobe finds them, and they load."""

from __future__ import annotations

import pytest

from harness import dkms
from harness.fabric import Fabric
from tests.conftest import KernelLog, restore_host


# gcc under TCG takes 12 minutes of the 60 `make test` may take: `make dkms-check KERNEL=<id>`
# and `make matrix` build through DKMS (make dkms-check names the default kernel).
@pytest.mark.named_kernels_only
def test_dkms_builds_installs_and_removes_the_modules_for_the_running_kernel(
    fabric: Fabric, kernel_log: KernelLog
) -> None:
    if fabric.kernel.spec.source is not None or fabric.kernel.spec.tree:
        pytest.skip("DKMS serves a distribution kernel with its headers; this one is built here")
    pkg = dkms.package()
    assert pkg.modules == ("xsconn", "xscore", "xsvnic", "xsvhba")
    try:
        # Two vCPUs: DKMS builds with one job per CPU, and TCG runs each on a host thread.
        host = fabric.replace_host(shares=(dkms.kernel_share(fabric.kernel),), cpus=2)
        kernel_log.mark(host)
        con = host.console
        release = fabric.kernel.release
        dkms.install(host, fabric.kernel, pkg)
        status = con.output(f"dkms status {pkg.ref}")
        assert f"{release}, x86_64: installed" in status, status
        for module in pkg.modules:
            path = con.output(f"modinfo -n {module}").strip()
            assert path == f"/lib/modules/{release}/updates/dkms/{module}.ko", path
        con.run("modprobe xsvnic && modprobe xsvhba")
        loaded = con.output("cut -d' ' -f1 /proc/modules")
        assert set(pkg.modules) <= set(loaded.split()), loaded
        con.run("modprobe -r xsvhba xsvnic xscore")
        dkms.remove(host, pkg)
        assert con.run("modinfo -n xscore", check=False).status != 0
    finally:
        restore_host(fabric, kernel_log)
