"""Every kind of the campaign, by name: the XCM's XSMP kinds, and both ways between a host and
the FC card."""

from __future__ import annotations

from director import xsmp_fuzz
from director.competing_answers import COMPETING, UNTRUSTED
from director.fabric_services import MANGLES, WELL_FORMED_MANGLES
from xsfuzz import eth_card, eth_host, fc_card, fc_host, xcm_host
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


# The fabric services' answers that do not decode at all; the others decode but do not hold.
MALFORMED_ANSWERS = frozenset({"sa-attr", "sa-name", "xds-count", "xds-version", "xds-echo"})


def _answers() -> list[Kind]:
    """The fabric services' broken answers (it builds them itself: --mangle by name); the host's
    discovery fails, and counts the ones that do not decode as malformed."""
    return [
        Kind(
            f"fabric-{name}",
            Target.FABRIC_TO_HOST,
            doc,
            "discovery:malformed" if name in MALFORMED_ANSWERS else "discovery:discovery_failures",
            inject=name,
        )
        for name, doc in MANGLES.items()
        if name not in WELL_FORMED_MANGLES
    ]


def _competing() -> list[Kind]:
    """Answers to a host's solicitation that come before the director's (the solicitation
    responder's --compete by name): the host counts each, passes it over and takes the
    director's."""
    return [
        Kind(
            f"ud-{name}",
            Target.SOLICIT_TO_HOST,
            doc,
            "discovery:untrusted" if name in UNTRUSTED else "discovery:malformed",
            inject=name,
        )
        for name, doc in COMPETING.items()
    ]


KINDS: dict[str, Kind] = by_name(
    [
        *_xsmp(),
        *_answers(),
        *_competing(),
        *xcm_host.KINDS,
        *fc_card.KINDS,
        *fc_host.KINDS,
        *eth_card.KINDS,
        *eth_host.KINDS,
    ]
)
