"""The fuzz campaign's catalogue: every kind names a counter its receiver has, fits what the
receiver can take, and is delivered by a hook that exists."""

from __future__ import annotations

import re

from harness.paths import REPO
from xsfuzz import fc_card
from xsfuzz.catalog import KINDS
from xsfuzz.kind import Kind, Target, by_name, of_target
from xswire.xsvhba_card import XSVHBA_CTRL_BUF_SIZE, XSVHBA_STATUS_BUF_SIZE

HOST_COUNTERS = {"status_stale", "ctrl_malformed", "status_malformed"}


def _source(path: str) -> str:
    return (REPO / path).read_text()


def _host_reasons() -> set[str]:
    """The names xsvhba's debugfs refusals lists (xsvhba_check.c's table)."""
    return set(
        re.findall(r'\[XSVHBA_CHECK_\w+\]\s*=\s*"(\w+)"', _source("kernel/xsvhba/xsvhba_check.c"))
    )


def test_names_are_unique_and_each_kind_is_delivered_one_way() -> None:
    assert len(KINDS) == len({k.name for k in KINDS.values()})
    try:
        by_name([fc_card.KINDS[0], fc_card.KINDS[0]])
    except ValueError:
        pass
    else:
        raise AssertionError("a repeated name was taken")
    for kind in KINDS.values():
        assert (kind.payload is None) != (kind.inject is None), kind.name


def test_card_kinds_name_a_reason_or_counter_the_host_has() -> None:
    reasons = _host_reasons()
    assert "disc_truncated" in reasons and "status_handle" in reasons
    for kind in fc_card.KINDS:
        where, _, what = kind.counted_as.partition(":")
        if where == "refusals":
            assert what in reasons, kind.name
        else:
            assert kind.counted_as in HOST_COUNTERS, kind.name


def test_card_kinds_fit_the_hosts_buffers_and_the_send_hook() -> None:
    limit = {Target.FC_CARD_TO_HOST_CTRL: XSVHBA_CTRL_BUF_SIZE,
             Target.FC_CARD_TO_HOST_DATA: XSVHBA_STATUS_BUF_SIZE}  # fmt: skip
    for kind in fc_card.KINDS:
        assert kind.payload is not None
        assert len(kind.payload) <= limit[kind.target], kind.name


def test_every_reason_the_host_gives_a_card_is_a_kind_but_the_install_one() -> None:
    counted = {k.counted_as.partition(":")[2] for k in fc_card.KINDS}
    # Residual and underflow are a real status's lengths (counted on a command's end), the
    # reinstall an XCM's: not a card's message of their own.
    assert _host_reasons() - counted == {"ok", "residual", "underflow", "reinstall_identity"}


def test_host_kinds_are_ones_xsvhba_injects_and_the_card_counts() -> None:
    injects = _source("kernel/xsvhba/xsvhba_io.c")
    stats = _source("kernel/xsfcgw/xsfcgw_configfs.c")
    host: list[Kind] = of_target(KINDS.values(), Target.HOST_TO_FC_CARD)
    assert len(host) >= 7
    for kind in host:
        assert f'sysfs_streq(kind, "{kind.inject}")' in injects, kind.name
        assert f"{kind.counted_as} %d" in stats, kind.name


def test_xcm_kinds_are_the_xcms_own() -> None:
    xcm = of_target(KINDS.values(), Target.XCM_TO_HOST)
    assert len(xcm) >= 20
    assert all(k.name == f"xcm-{k.inject}" for k in xcm)


def test_the_catalogue_keeps_the_kinds_it_has() -> None:
    # Where the catalogue stands (issue 24 asks for 60): a kind dropped by mistake shows here.
    assert len(KINDS) >= 46
