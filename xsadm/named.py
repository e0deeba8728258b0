"""The one item an operator names on the command line, by any of its names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


class NotOne(LookupError):
    """No item has the name, or more than one has; the message says which and what to give."""


def named(items: Iterable[T], name: str, names: Callable[[T], tuple[str, ...]], kind: str) -> T:
    """The item one of whose `names` is `name`: NotOne when none or several are."""
    found = [item for item in items if name in names(item)]
    if not found:
        raise NotOne(f"no {kind} {name}")
    if len(found) > 1:
        first = names(found[0])[0]
        raise NotOne(f"{name} names {len(found)} {kind}s: give the {kind}, e.g. {first}")
    return found[0]
