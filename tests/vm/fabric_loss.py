"""Keep one lost fabric from failing the rest of a cell.

A test can leave the fabric unusable: a guest's QEMU exits, or a guest stops answering its
console. After every VM test (before its teardown, and again after it) both guests are probed.
A lost fabric is handled in three steps:

1. At once: both QEMUs are stopped (Fabric.lose), so every command still sent to the lost
   guests fails at once instead of waiting out its timeout; the module and session fixtures
   that put state into the guests (every cached fixture that depends on `fabric`) are finished
   now, while their teardowns can only meet those dead consoles, so none of them runs against
   the new guests; and the test is failed at teardown with "fabric lost by <nodeid>: <why>".
2. Before the next test that needs that fabric: the pair is booted again in place
   (Fabric.reboot, same Fabric object), and pytest sets the finished fixtures up again on the
   new guests, as for a first use.
3. At the end: the terminal summary lists each loss with the test that caused it.

A test marked `loses_fabric` loses it on purpose: the loss is handled and listed, not failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from harness import kmemleak
from harness.fabric import Fabric
from harness.log import say

MARKER = "loses_fabric"
# Fixtures that hold no guest state: the fabric itself and what it is built from.
KEPT = {"fabric", "kernel", "kernel_id", "module_build"}


@dataclass
class Loss:
    nodeid: str
    why: str
    expected: bool
    rebooted_for: str | None = None

    def line(self) -> str:
        after = (
            f"booted again for {self.rebooted_for}"
            if self.rebooted_for
            else "not booted again (no later test needed it)"
        )
        label = " (expected: marked loses_fabric)" if self.expected else ""
        return f"fabric lost by {self.nodeid}{label}: {self.why}; {after}"


LOSSES = pytest.StashKey[list[Loss]]()
# Lost fabrics not yet booted again, with their loss.
PENDING = pytest.StashKey[dict[int, tuple[Fabric, Loss]]]()


class SetUps:
    """A plugin that notes every fixture set up with module scope or wider, with the request it
    was set up for: what finish() needs to tear it down as pytest would. (A plugin, not a
    conftest hook: pytest calls a session fixture's set-up hook with the root's conftests only.)
    """

    def __init__(self) -> None:
        self.done: dict[int, tuple[pytest.FixtureDef[object], pytest.FixtureRequest]] = {}

    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
    ) -> None:
        if fixturedef.scope != "function":
            self.done[id(fixturedef)] = (fixturedef, request)


SETUPS = pytest.StashKey[SetUps]()


def configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: the test loses the fabric on purpose")
    config.stash[LOSSES] = []
    config.stash[PENDING] = {}
    config.stash[SETUPS] = SetUps()
    config.pluginmanager.register(config.stash[SETUPS], "xs-fabric-loss-setups")


def dependents(defs: Iterable[pytest.FixtureDef[object]]) -> list[pytest.FixtureDef[object]]:
    """The fixture definitions of module scope or wider that need `fabric`, directly or through
    another fixture (by name: an overridden name counts for every definition of it)."""
    defs = list(defs)
    needing = {"fabric"}
    grew = True
    while grew:
        grew = False
        for fixturedef in defs:
            if fixturedef.argname not in needing and needing & set(fixturedef.argnames):
                needing.add(fixturedef.argname)
                grew = True
    return [
        d for d in defs if d.argname in needing and d.argname not in KEPT and d.scope != "function"
    ]


def forget_guest_state(config: pytest.Config) -> int:
    """Finish every cached fixture that put state into the (lost) guests, so that pytest sets
    it up again before the next test that uses it. Their teardowns fail on the dead consoles;
    those failures are counted, not raised."""
    done = config.stash[SETUPS].done
    requests = {id(fixturedef): request for fixturedef, request in done.values()}
    failures = 0
    for fixturedef in dependents(fixturedef for fixturedef, _ in done.values()):
        if fixturedef.cached_result is None:
            continue
        try:
            fixturedef.finish(requests[id(fixturedef)])  # type: ignore[arg-type]
        except KeyboardInterrupt:
            raise
        except BaseException:
            failures += 1
    return failures


def lost(item: pytest.Item, fabric: Fabric, why: str, ignored: int) -> Loss:
    """Record the loss, forget the guests' state and queue the reboot (the steps above)."""
    loss = Loss(item.nodeid, why, expected=item.get_closest_marker(MARKER) is not None)
    item.config.stash[LOSSES].append(loss)
    item.config.stash[PENDING][id(fabric)] = (fabric, loss)
    failures = ignored + forget_guest_state(item.config)
    say(f"fabric lost by {loss.nodeid}: {why}")
    if failures:
        say(f"{failures} fixture teardown(s) failed on the lost guests' consoles (not reported)")
    return loss


def reboot_if_lost(item: pytest.Item) -> None:
    """Before a test that needs a fabric of its kernel that was lost: boot that pair again."""
    if "fabric" not in getattr(item, "fixturenames", ()):
        return
    callspec = getattr(item, "callspec", None)
    kernel_id = callspec.params.get("kernel_id") if callspec else None
    pending = item.config.stash[PENDING]
    for key, (fabric, loss) in list(pending.items()):
        if fabric.kernel.spec.id != kernel_id:
            continue  # that fabric is torn down by this test's set-up, not used
        del pending[key]
        say(f"{fabric.kernel.release}: booting the fabric again ({loss.nodeid} lost it)")
        fabric.reboot()
        loss.rebooted_for = item.nodeid
        if kmemleak.available(fabric.host):
            kmemleak.forget(fabric.host)


def summary(config: pytest.Config) -> list[str]:
    return [loss.line() for loss in config.stash.get(LOSSES, [])]
