"""kmemleak on guests whose kernel has it (the debug kernel): what boot left is forgotten, and
after the modules are gone the guest is scanned twice (an object must stay unreferenced across
scans and be some seconds old to be reported) and the report read."""

from __future__ import annotations

from harness.vm import Guest

KMEMLEAK = "/sys/kernel/debug/kmemleak"
# kmemleak reports nothing younger than 5 s (jiffies_min_age); wait past it between scans.
MIN_AGE_SECONDS = 6


def available(guest: Guest) -> bool:
    return guest.console.run(f"test -w {KMEMLEAK}", check=False).ok


def forget(guest: Guest) -> None:
    """From now on, only new leaks count."""
    guest.console.run(f"echo clear > {KMEMLEAK}")


def report(guest: Guest) -> str:
    """The leaks kmemleak finds now (empty: none)."""
    con = guest.console
    con.run(f"echo scan > {KMEMLEAK}", timeout=300)
    con.run(f"sleep {MIN_AGE_SECONDS}")
    con.run(f"echo scan > {KMEMLEAK}", timeout=300)
    return con.output(f"cat {KMEMLEAK}").strip()
