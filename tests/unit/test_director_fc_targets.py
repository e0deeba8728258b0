"""The FC card's targets and LUNs in the director's configuration, as the operator edits them."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from director import config as cfg
from director import ctl

WWPN = "50:01:43:80:00:00:00:01"


def run(path: Path, func: object, **kwargs: object) -> int:
    return func(argparse.Namespace(config=path, **kwargs))  # type: ignore[operator]


def test_add_lun_creates_the_target_and_keeps_luns_sorted(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    assert run(path, ctl.cmd_add_lun, wwpn=WWPN, lun=3, size_mb=8, port="fc/2") == 0
    assert run(path, ctl.cmd_add_lun, wwpn=WWPN, lun=0, size_mb=64, port="fc/1") == 0
    (target,) = cfg.load(path).fc_targets
    assert target.port == "fc/2" and [lun.lun for lun in target.luns] == [0, 3]


def test_remove_lun_then_target_and_take_targets_offline(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    run(path, ctl.cmd_add_lun, wwpn=WWPN, lun=0, size_mb=8, port="fc/1")
    run(path, ctl.cmd_add_lun, wwpn=WWPN, lun=1, size_mb=8, port="fc/1")
    assert run(path, ctl.cmd_target_state, wwpn=WWPN, state="offline") == 0
    assert not cfg.load(path).fc_targets[0].online
    assert run(path, ctl.cmd_remove_lun, wwpn=WWPN, lun=0) == 0
    assert [lun.lun for lun in cfg.load(path).fc_targets[0].luns] == [1]
    assert run(path, ctl.cmd_remove_lun, wwpn=WWPN, lun=None) == 0
    assert cfg.load(path).fc_targets == []
    assert run(path, ctl.cmd_remove_lun, wwpn=WWPN, lun=None) == 1


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
