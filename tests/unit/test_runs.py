"""Each run keeps its artifacts in a directory of its own (harness/runs.py): ids sort by time,
and only the newest runs are kept."""

from __future__ import annotations

from pathlib import Path

from harness import runs


def test_run_ids_sort_by_start_time() -> None:
    earlier = runs.run_id(1_796_600_000.0, 99999)
    later = runs.run_id(1_796_600_001.0, 1)
    assert earlier == "20261206T233320Z-99999"
    assert sorted([later, earlier]) == [earlier, later]


def test_prune_keeps_the_newest_runs(tmp_path: Path) -> None:
    ids = [runs.run_id(1_796_600_000.0 + i, 100 + i) for i in range(5)]
    for run in ids:
        (tmp_path / run / "consoles").mkdir(parents=True)
    removed = runs.prune(tmp_path, keep=2)
    assert [p.name for p in removed] == ids[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ids[3:]


def test_prune_of_no_runs_removes_nothing(tmp_path: Path) -> None:
    assert runs.prune(tmp_path / "absent", keep=2) == []
    (tmp_path / "one").mkdir()
    assert runs.prune(tmp_path, keep=2) == []
