"""Our modules, built for the guest's kernel, load and unload cleanly in the host VM."""

from __future__ import annotations

from harness import modload
from harness.fabric import RXE_DEVICE, Fabric
from harness.modules import Build

PRODUCT = {"xscore", "xsvnic", "xsvhba"}


def test_product_modules_load_and_unload_cleanly(fabric: Fabric, module_build: Build) -> None:
    host = fabric.host
    assert not PRODUCT & modload.loaded(host)
    modload.load_product(host, module_build.release)
    assert modload.loaded(host) >= PRODUCT
    # xscore is an ib_client: it must have been told about the rxe device that already exists.
    host.console.run(f"dmesg | grep -q 'xscore.*{RXE_DEVICE}'")
    modload.unload_product(host)
    assert not PRODUCT & modload.loaded(host)


def test_product_modules_survive_repeated_load_unload(fabric: Fabric, module_build: Build) -> None:
    for _ in range(3):
        modload.load_product(fabric.host, module_build.release)
        modload.unload_product(fabric.host)
    assert not PRODUCT & modload.loaded(fabric.host)
