"""The formats of the values an operator gives the director, checked against what the wire and
the hosts take; and the MAC and WWN a device gets when the operator gives none.

Each check returns the value in its canonical form or raises ValueError with a message that
names what is wrong; director/config.py applies them to every entry of the configuration.
"""

from __future__ import annotations

import re

from xswire.xsmp import XSMP_VDEV_NAME_LEN

# A vNIC's MTU as xsvnic installs it (kernel/xsvnic: ETH_MIN_MTU to XSVNIC_MAX_MTU) and the
# Ethernet card's gateway serves it (kernel/xsethgw: XSETHGW_MAX_MTU).
MTU_MIN = 68
MTU_MAX = 9000
# The wire's name fields hold the NUL: a vNIC's or vHBA's name (vnic_name, vh_name: 16
# bytes), the director's and the profile's (REG_CONFIRM's chassis_name and session_name, 32
# bytes: specs/xsmp.yaml), a host's (the XDS request's hostname, 65 bytes: specs/xds.yaml).
DEVICE_NAME_MAX = XSMP_VDEV_NAME_LEN - 1
SESSION_NAME_MAX = 31
HOSTNAME_MAX = 64
# What xscore takes in a REG_CONFIRM (XSCORE_HELLO_INTERVAL_MAX).
HELLO_INTERVAL_MAX = 3600
RESOURCE_ID_MAX = (1 << 64) - 1
# xscore takes only these in a device's name (xscore_vdev_check_name): an interface name.
_DEVICE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_OCTETS = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*")
_GUID = re.compile(r"[0-9A-Fa-f]{16}")


def _octets(text: object, count: int, what: str) -> int:
    if not isinstance(text, str) or not _OCTETS.fullmatch(text) or len(text) != 3 * count - 1:
        raise ValueError(f"{what} {text!r} is not {count} hex bytes joined by colons")
    return int(text.replace(":", ""), 16)


def mac(text: object) -> str:
    """A unicast MAC other than all zeros (what xsvnic installs), lower case."""
    value = _octets(text, 6, "MAC")
    if value == 0 or value >> 40 & 1:
        raise ValueError(f"MAC {text} is {'all zeros' if value == 0 else 'multicast'}")
    return str(text).lower()


def wwn(text: object, what: str = "WWN") -> str:
    """A WWN (8 bytes, colon hex, not zero), lower case."""
    if _octets(text, 8, what) == 0:
        raise ValueError(f"{what} {text} is zero")
    return str(text).lower()


def wwn_value(text: object, what: str = "WWN") -> int:
    """A WWN's value (checked as wwn() checks it): two WWNs are the same whatever their case."""
    return int(wwn(text, what).replace(":", ""), 16)


def mtu(value: object) -> int:
    if not _is_int(value) or not MTU_MIN <= value <= MTU_MAX:  # type: ignore[operator]
        raise ValueError(f"MTU {value!r} is not within {MTU_MIN}..{MTU_MAX}")
    return int(value)  # type: ignore[call-overload]


def in_range(value: object, low: int, high: int, what: str) -> int:
    if not _is_int(value) or not low <= value <= high:  # type: ignore[operator]
        raise ValueError(f"{what} {value!r} is not within {low}..{high}")
    return int(value)  # type: ignore[call-overload]


def resource_id(value: object) -> int:
    if not _is_int(value) or not 0 < value <= RESOURCE_ID_MAX:  # type: ignore[operator]
        raise ValueError(f"resource id {value!r} is not within 1..2^64-1")
    return int(value)  # type: ignore[call-overload]


def device_name(text: object) -> str:
    """A vNIC's or vHBA's name: what xscore takes, and a name an interface can have."""
    if (
        not isinstance(text, str)
        or not 0 < len(text) <= DEVICE_NAME_MAX
        or not _DEVICE_NAME.fullmatch(text)
        or text in (".", "..")
    ):
        raise ValueError(f"device name {text!r} is not 1 to {DEVICE_NAME_MAX} of A-Z a-z 0-9 _ . -")
    return text


def label(text: object, limit: int, what: str) -> str:
    """A name the wire carries in a field of limit + 1 bytes: printable ASCII, no spaces."""
    if (
        not isinstance(text, str)
        or not 0 < len(text) <= limit
        or not all("!" <= c <= "~" for c in text)
    ):
        raise ValueError(f"{what} {text!r} is not 1 to {limit} printable characters, no spaces")
    return text


def is_guid(text: str) -> bool:
    """16 hex digits, not all zero: a port's or an XCM's GUID."""
    return bool(_GUID.fullmatch(text)) and int(text, 16) != 0


def guid(text: object, what: str = "GUID") -> str:
    """A port or XCM GUID, lower case."""
    if not isinstance(text, str) or not is_guid(text):
        raise ValueError(f"{what} {text!r} is not 16 hex digits (not all zero)")
    return text.lower()


def server_match(text: object) -> str:
    """How a server is matched: its port GUID (16 hex digits) or its hostname."""
    if isinstance(text, str) and _GUID.fullmatch(text):
        if text != text.lower():
            raise ValueError(f"port GUID {text} is not in lower case (hosts never match it)")
        return guid(text, "server port GUID")
    return label(text, HOSTNAME_MAX, "server hostname")


def default_mac(rid: int) -> str:
    """The MAC of a vNIC given none: locally administered unicast (02), then the low 40 bits
    of its resource id (0x1001: 02:00:00:00:10:01)."""
    value = 0x02 << 40 | (rid & (1 << 40) - 1)
    return ":".join(f"{b:02x}" for b in value.to_bytes(6, "big"))


def default_wwn(rid: int) -> str:
    """The WWN of a vHBA given none: NAA 3 (locally assigned), then the low 48 bits of its
    resource id (0x1001: 30:00:00:00:00:00:10:01)."""
    value = 0x3000 << 48 | (rid & (1 << 48) - 1)
    return ":".join(f"{b:02x}" for b in value.to_bytes(8, "big"))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
