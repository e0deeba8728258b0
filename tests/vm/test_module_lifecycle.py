"""Our modules, built for the guest's kernel, load and unload cleanly in the host VM."""

from __future__ import annotations

from harness import modload
from harness.fabric import RXE_DEVICE, Fabric
from harness.modules import Build

PRODUCT = {"xsconn", "xscore", "xsvnic", "xsvhba"}


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


def test_out_of_range_parameters_are_refused_at_load_and_at_write(
    fabric: Fabric, module_build: Build
) -> None:
    """Each module parameter's own set function (module_param_cb) refuses what is out of range
    with EINVAL: insmod fails, and a write to a writable one fails and changes nothing."""
    con = fabric.host.console
    xscore = modload.guest_path(module_build.release, "xscore/xscore.ko")
    xsvnic = modload.guest_path(module_build.release, "xsvnic/xsvnic.ko")
    parameters = "/sys/module/xscore/parameters"
    # loads xscore's dependencies too, for the bare insmods below
    modload.insmod(fabric.host, module_build.release, "xscore/xscore.ko", "max_vdevs=1024")
    try:
        for value in ("31", "2049"):
            assert not con.run(f"insmod {xsvnic} data_ring={value}", check=False).ok, value
        for name, value in [
            ("max_vdevs", "1025"),
            ("max_vdevs_host", "4097"),
            ("hello_timeout", "10801"),
            ("allow_unauthenticated", "maybe"),
        ]:
            before = con.output(f"cat {parameters}/{name}").strip()
            assert not con.run(f"echo {value} > {parameters}/{name}", check=False).ok, name
            assert con.output(f"cat {parameters}/{name}").strip() == before
        con.run(f"echo 0 > {parameters}/max_vdevs && echo 64 > {parameters}/max_vdevs")
        con.run(f"echo 10800 > {parameters}/hello_timeout && echo 0 > {parameters}/hello_timeout")
    finally:
        modload.rmmod(fabric.host, "xscore/xscore.ko")
    # The library xscore links against, for the bare insmods to reach their parameters.
    modload.insmod(fabric.host, module_build.release, "xsconn/xsconn.ko")
    for name, value in [
        ("max_vdevs", "1025"),
        ("max_vdevs_host", "4097"),
        ("hello_timeout", "10801"),
        ("xds_gid", "not-an-address"),
        ("ud_discovery", "maybe"),
        ("allow_unauthenticated", "maybe"),
    ]:
        assert not con.run(f"insmod {xscore} {name}={value}", check=False).ok, name
        con.run(f"dmesg | grep -qF \"\\`{value}' invalid for parameter \\`{name}'\"")
    modload.rmmod(fabric.host, "xsconn/xsconn.ko")
    assert not PRODUCT & modload.loaded(fabric.host)
