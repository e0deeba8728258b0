"""Every kind of the campaign, by name: the XCM's XSMP kinds, and both ways between a host and
the FC card."""

from __future__ import annotations

from director import xsmp_fuzz
from xsfuzz import eth_card, eth_host, fc_card, fc_host
from xsfuzz.kind import Kind, Target, by_name


def _xsmp() -> list[Kind]:
    """The XCM's kinds (it builds them itself, per session: delivered with --fuzz by name); the
    host's link counts each as malformed, or refuses the REG_CONFIRM it broke."""
    return [
        Kind(f"xcm-{name}", Target.XCM_TO_HOST, doc, "link:malformed", inject=name)
        for name, (doc, _) in {**xsmp_fuzz.SESSION_KINDS, **xsmp_fuzz.CONFIRM_KINDS}.items()
    ]


KINDS: dict[str, Kind] = by_name(
    [*_xsmp(), *fc_card.KINDS, *fc_host.KINDS, *eth_card.KINDS, *eth_host.KINDS]
)
