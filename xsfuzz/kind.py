"""A kind of hostile input: where it goes, what it is, and how the receiver counts it."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Target(enum.Enum):
    """Which receiver a kind is for, and so how it is delivered."""

    XCM_TO_HOST = "XSMP from an XCM to a host's xscore (the XCM's --fuzz)"
    FABRIC_TO_HOST = "a fabric services answer (ServiceRecord, XDS) to a host's discovery"
    SOLICIT_TO_HOST = "a competing answer to a host's UD solicitation, before the director's"
    HOST_TO_XCM = "a host's XSMP message to the XCM, before or instead of a REGISTER"
    FC_CARD_TO_HOST_CTRL = "an FC card's control message to a host's xsvhba"
    FC_CARD_TO_HOST_DATA = "an FC card's data message (status IOCB) to a host's xsvhba"
    HOST_TO_FC_CARD = "a host's command or ring update to the FC card (xsvhba's inject)"
    ETH_CARD_TO_HOST_CTRL = "an Ethernet card's control message to a host's xsvnic"
    ETH_CARD_TO_HOST_DATA = "an Ethernet card's frame to a host's xsvnic"
    HOST_TO_ETH_CARD_CTRL = "a host's control message to the Ethernet card"
    HOST_TO_ETH_CARD_DATA = "a host's frame, after its TSO prefix, to the Ethernet card"


COUNTED_WHERE = (
    "refusals",
    "scsi_host",
    "fc_card",
    "ethtool",
    "netdev",
    "eth_card",
    "link",
    "discovery",
    "xcm",
)


@dataclass(frozen=True)
class Kind:
    """One kind of hostile input.

    `payload` is the message as sent, for the kinds this side builds; `inject` names the kind
    for a sender that builds it itself (the host's xsvhba, the XCM). `counted_as` is where the
    receiver counts it, "<where>:<counter>": `refusals` (xsvhba's debugfs, by reason),
    `scsi_host` (a vHBA's sysfs counter), `fc_card` (xsfcgw's stats), `ethtool` (xsvnic's
    ethtool -S), `netdev` (the vNIC's interface statistics), `eth_card` (the vNIC's stats at
    xsethgw), `link` (an xscore link's sysfs counter), `discovery` (a port's discovery state in
    xscore's debugfs), `xcm` (the XCM's state file).
    """

    name: str
    target: Target
    doc: str
    counted_as: str
    payload: bytes | None = None
    inject: str | None = None

    def __post_init__(self) -> None:
        if (self.payload is None) == (self.inject is None):
            raise ValueError(f"{self.name}: a payload or an inject name, one of the two")
        if self.counted_as.partition(":")[0] not in COUNTED_WHERE:
            raise ValueError(f"{self.name}: counted where? {self.counted_as}")

    @property
    def counter(self) -> str:
        """The counter's name where it is counted."""
        return self.counted_as.partition(":")[2]


def by_name(kinds: Iterable[Kind]) -> dict[str, Kind]:
    """The kinds by name; two of one name is a mistake in the catalogue."""
    named: dict[str, Kind] = {}
    for kind in kinds:
        if kind.name in named:
            raise ValueError(f"two kinds named {kind.name}")
        named[kind.name] = kind
    return named


def of_target(kinds: Iterable[Kind], target: Target) -> list[Kind]:
    return [kind for kind in kinds if kind.target is target]
