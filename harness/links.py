"""The host's XSMP links as xsadm reports them, and waits on their state."""

from __future__ import annotations

import json
from typing import Any

from harness.director import GUEST_PYTHON
from harness.vm import Guest

SYSFS_LINKS = "/sys/class/xscore_link"


def links(host: Guest) -> list[dict[str, Any]]:
    """`xsadm links --json`, run in the host VM."""
    out = host.console.output(f"{GUEST_PYTHON} -m xsadm links --json")
    result: list[dict[str, Any]] = json.loads(out)
    return result


def only_link(host: Guest) -> dict[str, Any]:
    found = links(host)
    assert len(found) == 1, found
    return found[0]


def wait_for_state(host: Guest, state: str, timeout: float, negate: bool = False) -> bool:
    """Wait until every link is in `state` (or, with `negate`, none is); False on timeout."""
    states = f"cat {SYSFS_LINKS}/*/state 2>/dev/null"
    if negate:
        check = f'[ -n "$({states})" ] && ! {states} | grep -qx {state}'
    else:
        check = f'[ -n "$({states})" ] && ! {states} | grep -qvx {state}'
    return host.console.wait_until(check, timeout)
