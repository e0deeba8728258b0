"""The time of the last full default suite (`make test`), kept for the bench to report: the
suite takes too long to run again inside `make bench`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from harness.paths import ARTIFACTS

RECORD = ARTIFACTS / "suite-time.json"


def record(seconds: float, collected: int, failed: int, path: Path = RECORD) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    outcome = "passed" if failed == 0 else f"{failed} of {collected} failed"
    entry = {
        "seconds": round(seconds, 1),
        "tests": collected,
        "outcome": outcome,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    path.write_text(json.dumps(entry, indent=2) + "\n")


def last(path: Path = RECORD) -> dict[str, Any] | None:
    try:
        entry: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return entry
