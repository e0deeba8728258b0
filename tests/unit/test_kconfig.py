"""The Kconfig gate refuses kernels that lack what our modules depend on, and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import kconfig

# What a kernel needs for every module of ours (the union of their Kconfig dependencies).
COMPLETE = {
    "MODULES": "y",
    "INFINIBAND": "m",
    "INFINIBAND_ADDR_TRANS": "y",
    "KEYS": "y",
    "CRYPTO_HMAC": "y",
    "CRYPTO_SHA256": "y",
    "AUXILIARY_BUS": "y",
    "NETDEVICES": "y",
    "NET": "y",
    "INET": "y",
    "SCSI": "y",
    "SCSI_FC_ATTRS": "m",
    "BLOCK": "y",
    "PCI": "y",
    "CONFIGFS_FS": "m",
    "TARGET_CORE": "m",
}


def write_config(path: Path, values: dict[str, str]) -> Path:
    path.write_text("".join(f"CONFIG_{name}={value}\n" for name, value in values.items()))
    return path


def test_kernel_with_every_dependency_is_accepted(tmp_path: Path) -> None:
    assert kconfig.check(write_config(tmp_path / "config", COMPLETE)) == []


@pytest.mark.parametrize("missing", ["INFINIBAND", "SCSI_FC_ATTRS", "AUXILIARY_BUS", "TARGET_CORE"])
def test_kernel_lacking_a_dependency_is_refused_naming_it(tmp_path: Path, missing: str) -> None:
    values = {k: v for k, v in COMPLETE.items() if k != missing}
    reasons = kconfig.check(write_config(tmp_path / "config", values))
    assert reasons
    assert any(missing in reason for reason in reasons), reasons


def test_every_module_has_a_kconfig_entry() -> None:
    folders = {path.parent.name for path in kconfig.module_kconfigs()}
    assert {"xscore", "xsvnic", "xsvhba", "xsethgw"} <= folders
