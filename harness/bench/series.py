"""The bench's raw figures as they come: every repetition's value of every figure, under a
path of names (section, then row, contender, job as the section has them), and what failed.
The report makes medians out of these; the JSON keeps them all."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness.console import ConsoleError
from harness.log import say, step

Tree = dict[str, Any]


class Series:
    """Figures of repeated measurements, kept by path; with `journal`, written there as JSON
    after every change, so that a run that is killed still leaves what it measured."""

    def __init__(self, journal: Path | None = None) -> None:
        self.tree: Tree = {}
        self.errors: list[str] = []
        self.journal = journal

    def _save(self) -> None:
        if self.journal is not None:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.journal.with_suffix(".tmp")
            temporary.write_text(json.dumps({**self.tree, "errors": self.errors}, indent=1))
            temporary.replace(self.journal)

    def _node(self, path: tuple[str, ...]) -> Tree:
        node = self.tree
        for name in path:
            node = node.setdefault(name, {})
        return node

    def add(self, path: tuple[str, ...], figures: Mapping[str, float]) -> None:
        """Append one repetition's figures at `path`."""
        node = self._node(path)
        for name, value in figures.items():
            node.setdefault(name, []).append(float(value))
        self._save()

    def fail(self, path: tuple[str, ...], error: str) -> None:
        """Say that one repetition at `path` gave no figures, and why: the error's first line
        and, when there are more, its last (a tool's own last word)."""
        lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
        why = lines[0][:200] if lines else "unknown error"
        if len(lines) > 1:
            why += f" ... {lines[-1][:120]}"
        self.errors.append(f"{' / '.join(path)}: {why}")
        self._save()


def values(tree: Tree, *path: str) -> list[float] | None:
    """The repetitions' values of the figure at `path`, or None when there is none."""
    node: Any = tree
    for name in path:
        if not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
    return node if isinstance(node, list) else None


def attempt(
    series: Series,
    path: tuple[str, ...],
    measure: Callable[[], Mapping[str, float]],
    label: str = "",
) -> bool:
    """Run one measurement and add its figures at `path`; a failure is said and recorded and
    the run goes on (a guest that is gone fails every later one at once)."""
    with step(" / ".join(path) + (f" ({label})" if label else "")):
        try:
            figures = measure()
        except (ValueError, RuntimeError, ConsoleError) as exc:
            say(f"{' / '.join(path)}: not measured: {exc}")
            series.fail(path, str(exc))
            return False
    series.add(path, figures)
    return True
