"""The fuzz campaign's catalogue: every kind names a counter its receiver has, fits what the
receiver can take, and is delivered by a hook that exists."""

from __future__ import annotations

import re

import pytest

from harness import fuzz
from harness.paths import REPO
from xsfuzz import eth_card, eth_host, fc_card
from xsfuzz.catalog import KINDS
from xsfuzz.kind import Kind, Target, by_name, of_target
from xswire.xsmp import XSMP_MAX_MSG_SIZE, XsmpSessionType
from xswire.xsvhba_card import XSVHBA_CTRL_BUF_SIZE, XSVHBA_STATUS_BUF_SIZE
from xswire.xsvnic_card import XSVNIC_CTRL_BUF_SIZE

# A console takes a line of at most 4095 bytes: the hex of a payload and a few words.
CONSOLE_HEX = 4000


def _source(path: str) -> str:
    return (REPO / path).read_text()


def _names(path: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, _source(path), re.MULTILINE))


def _counters() -> dict[str, set[str]]:
    """What each receiver counts, by where, as its sources name them."""
    return {
        "refusals": _names("kernel/xsvhba/xsvhba_check.c", r'\[XSVHBA_CHECK_\w+\]\s*=\s*"(\w+)"'),
        "scsi_host": _names(
            "kernel/xsvhba/xsvhba_scsi.c", r"__ATTR\((\w+), 0444, xsvhba_counter_show"
        ),
        "fc_card": _names("kernel/xsfcgw/xsfcgw_configfs.c", r'(?:\\n|")([a-z_]+) %d'),
        "ethtool": _names("kernel/xsvnic/xsvnic_ethtool.c", r'^\t"(\w+)",$'),
        "netdev": {"rx_errors"},
        "eth_card": _names(
            "kernel/xsethgw/xsethgw_configfs.c", r'\[XSETHGW_DROP_\w+\]\s*=\s*"(\w+)",'
        ),
        "discovery": _names("kernel/xscore/xscore_debugfs.c", r'"(\w+): %llu\\n"'),
        "xcm": _names("director/xcm.py", r'^\s+"(\w+)": self\.\w+,$'),
        "link": _names("kernel/xscore/xscore_link_sysfs.c", r"XSCORE_LINK_STAT_ATTR\((\w+),"),
    }


def test_names_are_unique_and_each_kind_is_delivered_one_way() -> None:
    assert len(KINDS) == len({k.name for k in KINDS.values()})
    with pytest.raises(ValueError):
        by_name([fc_card.KINDS[0], fc_card.KINDS[0]])
    with pytest.raises(ValueError):
        Kind("x", Target.XCM_TO_HOST, "", "nowhere:x", inject="x")
    for kind in KINDS.values():
        assert (kind.payload is None) != (kind.inject is None), kind.name


def test_each_kind_is_counted_where_its_receiver_has_that_counter() -> None:
    counters = _counters()
    assert "disc_truncated" in counters["refusals"] and "status_stale" in counters["scsi_host"]
    assert "ctrl_refused_type" in counters["ethtool"] and "gso_malformed" in counters["eth_card"]
    for kind in KINDS.values():
        where = kind.counted_as.partition(":")[0]
        assert kind.counter in counters[where], kind.name


def test_payloads_fit_the_receivers_buffers_and_a_console_line() -> None:
    limit = {
        Target.FC_CARD_TO_HOST_CTRL: XSVHBA_CTRL_BUF_SIZE,
        Target.FC_CARD_TO_HOST_DATA: XSVHBA_STATUS_BUF_SIZE,
        Target.ETH_CARD_TO_HOST_CTRL: XSVNIC_CTRL_BUF_SIZE,
        Target.HOST_TO_ETH_CARD_CTRL: XSVNIC_CTRL_BUF_SIZE,
        Target.ETH_CARD_TO_HOST_DATA: 9000,
        Target.HOST_TO_ETH_CARD_DATA: 9000,
        Target.HOST_TO_XCM: XSMP_MAX_MSG_SIZE,
    }
    for kind in KINDS.values():
        if kind.payload is None:
            continue
        assert len(kind.payload) <= limit[kind.target], kind.name
        assert 2 * len(kind.payload) <= CONSOLE_HEX, kind.name


def test_every_reason_the_host_gives_a_card_is_a_kind_but_the_others() -> None:
    counted = {k.counter for k in fc_card.KINDS}
    # Residual and underflow are a real status's lengths (counted on a command's end), the
    # reinstall an XCM's: not a card's message of their own.
    assert _counters()["refusals"] - counted == {
        "ok",
        "residual",
        "underflow",
        "reinstall_identity",
    }


def test_every_reason_the_cards_give_is_a_kind() -> None:
    eth = {k.counter for k in eth_host.KINDS}
    assert {"tso_prefix", "gso_malformed", "runt", "foreign_src_mac", "vlan_not_assigned"} <= eth
    assert "ctrl_malformed" in eth
    host = {k.counter for k in eth_card.KINDS}
    assert host == {"ctrl_refused_short", "ctrl_refused_length", "ctrl_refused_type", "rx_errors"}


def test_host_kinds_are_ones_xsvhba_injects() -> None:
    injects = _source("kernel/xsvhba/xsvhba_io.c")
    host = of_target(KINDS.values(), Target.HOST_TO_FC_CARD)
    assert len(host) >= 7
    for kind in host:
        assert f'sysfs_streq(kind, "{kind.inject}")' in injects, kind.name


def test_xcm_kinds_are_the_xcms_own() -> None:
    xcm = of_target(KINDS.values(), Target.XCM_TO_HOST)
    assert len(xcm) >= 20
    assert all(k.name == f"xcm-{k.inject}" for k in xcm)


def test_the_catalogue_has_the_sixty_kinds_it_is_asked_for() -> None:
    assert len(KINDS) >= 60


def test_deliver_says_what_was_not_counted() -> None:
    kinds = [eth_card.KINDS[0], eth_card.KINDS[0], eth_card.KINDS[-1]]
    counts = {"ethtool:ctrl_refused_short": 0, "netdev:rx_errors": 0}
    sent: list[str] = []

    def send(kind: Kind) -> None:
        sent.append(kind.name)
        if kind.counted_as == "ethtool:ctrl_refused_short":
            counts[kind.counted_as] += 1

    short = fuzz.deliver(kinds, lambda: dict(counts), send, within=0)
    assert len(sent) == 3
    assert short == {"netdev:rx_errors": (0, 1)}


def test_the_campaigns_document_is_the_catalogue() -> None:
    from xsfuzz.__main__ import markdown

    assert (REPO / "docs/fuzz-campaign.md").read_text() == markdown()


def test_a_hosts_kinds_are_what_the_xcm_drops_as_malformed() -> None:
    from director import host_messages
    from director.xsmp import MalformedMessage
    from xsfuzz import xcm_host

    assert len(xcm_host.KINDS) >= 10
    for kind in xcm_host.KINDS:
        assert kind.payload is not None
        with pytest.raises((MalformedMessage, ValueError)):
            host_messages.decode(kind.payload)
    # What a host sends right is not: the catalogue's REGISTER decodes.
    register = host_messages.decode(xcm_host._register())
    assert register.body.type == XsmpSessionType.REGISTER
