"""Every kind of the campaign, by name: the XCM's XSMP kinds, and both ways between a host and
the FC card."""

from __future__ import annotations

from director import xsmp_fuzz
from xsfuzz import eth_card, eth_host, fc_card, fc_host
from xsfuzz.kind import Kind, Target, by_name

# Where the host's link counts the XCM kinds that are not simply dropped as malformed (a
# broken REG_CONFIRM is counted malformed and refused too).
XSMP_COUNTED = {
    "unknown-device": "link:unhandled",  # well formed, for no device: left unhandled
    "vhba-unknown-device": "link:unhandled",
    "flood": "link:msgs_in",  # HELLOs, each taken
    "oversized": "link:reconnects",  # past a receive buffer: the session starts over
}


def _xsmp() -> list[Kind]:
    """The XCM's kinds (it builds them itself, per session: delivered with --fuzz by name)."""
    return [
        Kind(
            f"xcm-{name}",
            Target.XCM_TO_HOST,
            doc,
            XSMP_COUNTED.get(name, "link:malformed"),
            inject=name,
        )
        for name, (doc, _) in {**xsmp_fuzz.SESSION_KINDS, **xsmp_fuzz.CONFIRM_KINDS}.items()
    ]


KINDS: dict[str, Kind] = by_name(
    [*_xsmp(), *fc_card.KINDS, *fc_host.KINDS, *eth_card.KINDS, *eth_host.KINDS]
)
