"""The FC card's operator faults: `ctl target-fault` writes them to the configuration the card
re-reads, and --clear takes every one of them away."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from director import config as cfg
from director import ctl, lio

WWPN = "50:01:43:80:00:00:00:01"


def fault_args(path: Path, **how: object) -> argparse.Namespace:
    chosen = {"delay": None, "drop": False, "stuck": False, "stale_after": None, "clear": False}
    chosen.update(how)
    return argparse.Namespace(config=path, wwpn=WWPN, **chosen)


def test_stale_fault_is_saved_and_cleared(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    cfg.save(path, cfg.Config(fc_targets=[cfg.FcTarget(WWPN)]))
    assert ctl.cmd_target_fault(fault_args(path, stale_after=15.0)) == 0
    (target,) = cfg.load(path).fc_targets
    assert target.stale_after_s == 15.0
    assert ctl.cmd_target_fault(fault_args(path, clear=True)) == 0
    (target,) = cfg.load(path).fc_targets
    assert (target.stale_after_s, target.stuck, target.drop, target.delay_s) == (0, False, False, 0)


def test_negative_stale_delay_is_refused() -> None:
    with pytest.raises(cfg.ConfigError):
        cfg.Config(fc_targets=[cfg.FcTarget(WWPN, stale_after_s=-1)]).validate()


@pytest.mark.parametrize(
    ("fault", "written"),
    [
        ({}, "none"),
        ({"delay_s": 0.25}, "delay 250"),
        ({"drop": True, "delay_s": 1.0}, "drop"),
        ({"stuck": True, "drop": True}, "stuck"),
        ({"stale_after_s": 15.0, "stuck": True}, "stale 15000"),
    ],
)
def test_the_card_is_given_the_most_lasting_fault_set(fault: dict, written: str) -> None:
    """The card holds one fault a target at a time: the one that keeps commands longest."""
    assert lio.card_fault(cfg.FcTarget(WWPN, **fault)) == written
