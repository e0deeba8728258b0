"""Which fixtures a lost fabric takes with it (tests/vm/fabric_loss.py), on data."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.vm.fabric_loss import dependents


def fixture(name: str, scope: str, *needs: str) -> Any:
    return SimpleNamespace(argname=name, scope=scope, argnames=needs)


def test_fixtures_that_need_the_fabric_even_through_others_are_set_up_again() -> None:
    defs = [
        fixture("kernel", "session", "kernel_id"),
        fixture("module_build", "session", "kernel"),
        fixture("fabric", "session", "kernel", "module_build"),
        fixture("services", "session", "fabric"),
        fixture("params", "module", "services"),  # needs the fabric only through `services`
        fixture("link_up", "module", "module_build", "params"),
        fixture("unrelated", "module", "module_build"),
        fixture("kernel_log", "function", "fabric"),  # torn down after every test anyway
    ]
    assert [d.argname for d in dependents(defs)] == ["services", "params", "link_up"]
