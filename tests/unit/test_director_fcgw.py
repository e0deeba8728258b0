"""The FC card's control plane follows `down_cards`: taken down, the kernel gateway's ports go
(every host's connections with them); brought up, the configuration is applied again."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from director.bindings import HostBindings
from director.config import Config, Watched
from director.fcgw import RETRY_S, FcCard


class RecordingLio:
    """What the card asked of LIO, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def apply(self, config: Config, hosts: Mapping[int, str] | None = None) -> None:
        self.calls.append("apply")

    def remove(self) -> None:
        self.calls.append("remove")


def card(tmp_path: Path, config: Config) -> tuple[FcCard, RecordingLio, Watched]:
    lio = RecordingLio()
    settings = Watched(None, config)
    return FcCard(lio, settings, HostBindings(tmp_path)), lio, settings  # type: ignore[arg-type]


def test_a_card_taken_down_removes_its_ports_once_and_applies_nothing_until_it_is_up(
    tmp_path: Path,
) -> None:
    fc, lio, settings = card(tmp_path, Config())
    fc._apply()
    settings.config = Config(down_cards=["fc"])
    fc._apply()
    fc._apply()
    settings.config = Config(down_cards=["eth"])
    fc._apply()
    assert lio.calls == ["apply", "remove", "apply"]


def test_a_card_down_when_its_process_starts_configures_nothing(tmp_path: Path) -> None:
    fc, lio, _ = card(tmp_path, Config(down_cards=["fc"]))
    fc._apply()
    assert lio.calls == ["remove"]


def test_a_failed_removal_is_tried_again_and_the_card_counts_as_down_only_once_it_is(
    tmp_path: Path,
) -> None:
    fc, lio, settings = card(tmp_path, Config())
    fc._apply()
    fails = [OSError(16, "Device or resource busy")]

    def remove() -> None:
        lio.calls.append("remove")
        if fails:
            raise fails.pop()

    lio.remove = remove  # type: ignore[method-assign]
    settings.config = Config(down_cards=["fc"])
    fc._apply()
    assert not fc.down and fc.retry.failed_at is not None
    fc.retry.failed_at -= RETRY_S
    assert fc.retry.due()
    fc._apply()
    assert fc.down and fc.retry.failed_at is None and not fc.retry.due()
    assert lio.calls == ["apply", "remove", "remove"]
