"""Where one run of the test suite keeps what it leaves, so that no run overwrites another's:

    artifacts/runs/<run id>/junit.xml               every test's outcome (JUnit XML)
    artifacts/runs/<run id>/consoles/<release>/     both guests' serial consoles
    artifacts/runs/<run id>/tests/<test>/<guest>.log  each VM test's kernel log excerpt
    artifacts/runs/<run id>/director/<release>/     the director's and its cards' logs
    artifacts/latest -> runs/<run id>

A run id is the UTC start time and the process id. Console logs under TCG run to megabytes,
so a new run removes all but the newest KEEP runs.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from harness.paths import ARTIFACTS

RUNS = ARTIFACTS / "runs"
LATEST = ARTIFACTS / "latest"
KEEP = 20

_current: Path | None = None


def run_id(now: float, pid: int) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)) + f"-{pid}"


def prune(runs: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` run directories (ids sort by time); return them."""
    old = sorted(p for p in runs.iterdir() if p.is_dir())[:-keep] if runs.is_dir() else []
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    return old


def _point_latest(target: Path) -> None:
    tmp = LATEST.with_name(f".latest-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target.relative_to(LATEST.parent))
    tmp.replace(LATEST)


def current() -> Path:
    """This process's run directory, made (and the old ones pruned) on first use."""
    global _current
    if _current is None:
        path = RUNS / run_id(time.time(), os.getpid())
        path.mkdir(parents=True, exist_ok=True)
        prune(RUNS, KEEP)
        _point_latest(path)
        _current = path
    return _current


def excerpt_dir(label: str) -> Path:
    """A directory for one test's kernel log excerpts, named from its label (its node id)."""
    name = re.sub(r"[^\w.-]", "_", label)[-150:]
    path = current() / "tests" / name
    path.mkdir(parents=True, exist_ok=True)
    return path
