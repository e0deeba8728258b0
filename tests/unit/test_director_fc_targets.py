"""The FC card's targets and LUNs in the director's configuration, as the operator edits them."""

from __future__ import annotations

from pathlib import Path

import pytest

from director import config as cfg
from director.__main__ import main

WWPN = "50:01:43:80:00:00:00:01"


def ctl(path: Path, *words: str) -> int:
    """The operator CLI as an operator runs it."""
    return main(["ctl", "--config", str(path), *words])


def test_add_lun_creates_the_target_and_keeps_luns_sorted(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    assert ctl(path, "add-lun", WWPN, "3", "--size-mb", "8", "--port", "fc/2") == 0
    assert ctl(path, "add-lun", WWPN, "0", "--size-mb", "64") == 0
    (target,) = cfg.load(path).fc_targets
    assert target.port == "fc/2" and [lun.lun for lun in target.luns] == [0, 3]


def test_a_lun_backed_by_an_existing_device_keeps_its_path(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    assert ctl(path, "add-lun", WWPN, "0", "--backing", "/dev/vdb") == 0
    (lun,) = cfg.load(path).fc_targets[0].luns
    assert lun.backing == "/dev/vdb"


def test_remove_lun_then_target_and_take_targets_offline(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    ctl(path, "add-lun", WWPN, "0", "--size-mb", "8")
    ctl(path, "add-lun", WWPN, "1", "--size-mb", "8")
    assert ctl(path, "target-state", WWPN, "offline") == 0
    assert not cfg.load(path).fc_targets[0].online
    assert ctl(path, "remove-lun", WWPN, "0") == 0
    assert [lun.lun for lun in cfg.load(path).fc_targets[0].luns] == [1]
    assert ctl(path, "remove-lun", WWPN) == 0
    assert cfg.load(path).fc_targets == []
    assert ctl(path, "remove-lun", WWPN) == 1


@pytest.mark.parametrize(
    ("flag", "field"), [("--drop", "drop"), ("--stuck", "stuck"), ("--delay", "delay_s")]
)
def test_target_faults_are_set_and_cleared(tmp_path: Path, flag: str, field: str) -> None:
    path = tmp_path / "director.json"
    ctl(path, "add-lun", WWPN, "0")
    assert ctl(path, "target-fault", WWPN, flag, *(["2.5"] if flag == "--delay" else [])) == 0
    assert getattr(cfg.load(path).fc_targets[0], field)
    assert ctl(path, "target-fault", WWPN, "--clear") == 0
    target = cfg.load(path).fc_targets[0]
    assert not (target.drop or target.stuck or target.delay_s)


@pytest.mark.parametrize(
    "target",
    [
        cfg.FcTarget(WWPN, port="eth/1"),
        cfg.FcTarget("not-a-wwn"),
        cfg.FcTarget(WWPN, luns=[cfg.FcLun(256)]),
        cfg.FcTarget(WWPN, luns=[cfg.FcLun(1), cfg.FcLun(1)]),
        cfg.FcTarget(WWPN, luns=[cfg.FcLun(0, size_mb=0)]),
    ],
)
def test_bad_targets_are_refused(target: cfg.FcTarget) -> None:
    with pytest.raises(cfg.ConfigError):
        cfg.Config(fc_targets=[target]).validate()


def test_two_targets_with_one_wwpn_are_refused() -> None:
    with pytest.raises(cfg.ConfigError):
        cfg.Config(fc_targets=[cfg.FcTarget(WWPN), cfg.FcTarget(WWPN.upper())]).validate()


def test_fc_targets_load_back(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    config = cfg.Config(fc_targets=[cfg.FcTarget(WWPN, luns=[cfg.FcLun(0, 16)], online=False)])
    cfg.save(path, config)
    assert cfg.load(path) == config
