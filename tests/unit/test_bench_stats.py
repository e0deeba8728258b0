"""The bench's statistics and its order of measurements: medians with their range, ratios of
medians, and rotated repetitions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.bench import rotation
from harness.bench.series import Series, attempt, values
from harness.bench.stats import RANGE, Summary, ratio, summarize


def test_summary_is_the_median_and_the_range() -> None:
    assert summarize([5.0, 1.0, 4.0, 2.0, 3.0]) == Summary(median=3, low=1, high=5, count=5)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    found = summarize([1.0, 2.0, 10.0, 20.0])
    assert found is not None and found.median == pytest.approx(6.0)


def test_no_values_is_no_summary() -> None:
    assert summarize([]) is None
    assert summarize(None) is None


def test_cell_gives_the_range_only_for_repetitions() -> None:
    assert Summary(400.4, 380, 420.6, 5).cell(0) == f"400 (380{RANGE}421)"
    assert Summary(0.05, 0.05, 0.05, 1).cell(3) == "0.050"


def test_ratio_is_of_medians_and_missing_when_either_is() -> None:
    ours, theirs = Summary(2, 1, 9, 5), Summary(4, 3, 5, 5)
    assert ratio(ours, theirs) == pytest.approx(0.5)
    assert ratio(ours, None) is None
    assert ratio(None, theirs) is None
    assert ratio(ours, Summary(0, 0, 0, 5)) is None


def test_rotation_starts_each_turn_one_further_on() -> None:
    items = ["a", "b", "c"]
    assert rotation.rotated(items, 0) == ["a", "b", "c"]
    assert rotation.rotated(items, 1) == ["b", "c", "a"]
    assert rotation.rotated(items, 4) == ["b", "c", "a"]
    assert rotation.rotated([], 3) == []


def test_schedule_runs_every_item_once_per_repetition() -> None:
    plan = rotation.schedule(["a", "b", "c"], 5)
    assert len(plan) == 15
    for turn in range(5):
        assert sorted(item for t, item in plan if t == turn) == ["a", "b", "c"]


def test_schedule_puts_every_item_first_in_turn() -> None:
    plan = rotation.schedule(["a", "b", "c"], 3)
    firsts = [plan[i * 3][1] for i in range(3)]
    assert firsts == ["a", "b", "c"]
    # ... and no item always follows the same neighbour across the run's repetitions.
    assert [item for _, item in plan] == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]


def test_series_keeps_every_repetition_by_path() -> None:
    series = Series()
    series.add(("storage", "brd", "xsvhba", "4k"), {"iops": 100, "p99_us": 9.5})
    series.add(("storage", "brd", "xsvhba", "4k"), {"iops": 120, "p99_us": 8.0})
    assert values(series.tree, "storage", "brd", "xsvhba", "4k", "iops") == [100.0, 120.0]
    assert values(series.tree, "storage", "brd", "ib_srp", "4k", "iops") is None
    assert values(series.tree, "storage", "brd") is None


def test_attempt_records_a_failure_and_goes_on() -> None:
    series = Series()

    def broken() -> dict[str, float]:
        raise RuntimeError("no new disk after 60 s\nmore lines")

    assert not attempt(series, ("storage", "xsvhba"), broken)
    assert attempt(series, ("network", "idle"), lambda: {"host_cpu": 0.1})
    assert series.errors == ["storage / xsvhba: no new disk after 60 s ... more lines"]
    assert values(series.tree, "network", "idle", "host_cpu") == [0.1]


def test_a_journal_holds_every_figure_as_it_comes(tmp_path: Path) -> None:
    journal = tmp_path / "bench.partial.json"
    series = Series(journal)
    series.add(("network", "idle"), {"host_cpu": 0.1})
    series.fail(("storage", "xsvhba", "set-up"), "no disk")
    saved = json.loads(journal.read_text())
    assert saved["network"]["idle"]["host_cpu"] == [0.1]
    assert saved["errors"] == ["storage / xsvhba / set-up: no disk"]
