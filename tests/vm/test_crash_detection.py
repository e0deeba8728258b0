"""The kernel-log scanner is proven on a real splat, so a silent pass cannot hide one."""

from __future__ import annotations

from harness import modload
from harness.modules import SPLAT_MODULE_DIR, Build
from tests.conftest import KernelLog

SPLAT_MODULE = f"{SPLAT_MODULE_DIR}/xs_splat.ko"


def test_scanner_reports_a_warning_from_a_deliberately_bad_module(
    kernel_log: KernelLog, module_build: Build
) -> None:
    host = kernel_log.fabric.host
    assert kernel_log.take(host) == []
    modload.insmod(host, module_build.release, SPLAT_MODULE)
    host.console.run("rmmod xs_splat")
    splats = kernel_log.take(host)
    assert [s.kind for s in splats] == ["WARNING"], splats
    assert "xs_splat" in splats[0].excerpt
