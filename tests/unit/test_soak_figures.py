"""The soak's figures: per-fault recovery percentiles, slab growth over the second half, the
goals scaled to the run's length, the README block, and the probe's answer."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from harness.paths import REPO
from harness.soak import faults, run, rxe
from harness.soak.figures import MemorySample, Recovery, SoakRun, goals, markdown, slab_growth

DATA = Path(__file__).parent / "data"


def record(minutes: float = 60.0) -> SoakRun:
    soak = SoakRun(kernel="6.12.117+deb12-amd64", commit="abc1234", minutes=minutes)
    for i in range(50):
        soak.recoveries.append(Recovery("card-restart", float(i), 1.0 + i % 5))
        soak.recoveries.append(Recovery("fc-link-flap", float(i), 0.5))
    for at, slab in ((0, 1000), (600, 1200), (1800, 1300), (3600, 1310)):
        soak.memory.append(MemorySample("host", float(at), slab, 500_000))
    return soak


def test_each_fault_kind_gets_its_count_median_and_worst() -> None:
    summary = record().summary()
    card = summary["faults"]["card-restart"]
    assert (card["count"], card["recovery_p50_s"], card["recovery_max_s"]) == (50, 3.0, 5.0)
    assert summary["faults"]["fc-link-flap"]["recovery_p50_s"] == 0.5
    assert summary["faults_total"] == 100


def test_a_kind_never_injected_counts_as_none_of_it() -> None:
    soak = record()
    soak.kinds = ["card-restart", "fc-link-flap", "target-loss"]
    summary = soak.summary()
    assert summary["faults"]["target-loss"] == {
        "count": 0,
        "not_recovered": 0,
        "recovery_p50_s": None,
        "recovery_max_s": None,
    }
    measured = {m: text for m, _, text, _ in goals(summary)}
    assert measured["faults of each kind"] == "0 (fewest of 3 kinds)"


def test_a_fault_io_never_recovered_from_is_counted_and_fails_its_goal() -> None:
    soak = record()
    soak.recoveries.append(Recovery("fc-link-flap", 99.0, None))
    summary = soak.summary()
    assert summary["faults"]["fc-link-flap"]["not_recovered"] == 1
    met = {measure: ok for measure, _, _, ok in goals(summary)}
    assert not met["faults I/O did not recover from"]


def test_slab_growth_is_measured_over_the_second_half_only() -> None:
    samples = record().memory
    # From 1300 (the first sample at or after the midpoint, 1800 s) to 1310: +0.77 %.
    assert slab_growth(samples) == {"host": 0.0077}
    assert slab_growth(samples[:1]) == {"host": None}


def test_goals_scale_the_fault_count_with_the_runs_length() -> None:
    full = {m: (goal, ok) for m, goal, _, ok in goals(record(60).summary())}
    assert full["faults of each kind"] == (">= 50", True)
    assert full["slab over the second half"][1]
    assert full["recovery p50"][1]
    short = record(6).summary()
    assert {m: goal for m, goal, _, _ in goals(short)}["faults of each kind"] == ">= 5"
    # A run that injected nothing and sampled nothing meets none of the goals that need them.
    empty = {m: ok for m, _, _, ok in goals(SoakRun(kernel="k", commit="c", minutes=10).summary())}
    assert not empty["faults of each kind"]
    assert not empty["recovery p50"]
    assert not empty["slab over the second half"]


def test_errors_and_splats_fail_their_goals_and_are_listed() -> None:
    soak = record()
    soak.verify_errors = 2
    soak.io_errors.append("fio job lun0: 3 I/O error(s)")
    soak.splats.append("host: WARNING: at xsvhba_main.c:1")
    summary = soak.summary()
    met = {measure: ok for measure, _, _, ok in goals(summary)}
    assert not met["verify errors"]
    assert not met["I/O errors to applications"]
    assert not met["hung tasks, splats, kmemleak reports"]
    text = markdown(summary)
    assert "| verify errors | 0 | 2 | **no** |" in text
    assert "- splats: host: WARNING: at xsvhba_main.c:1" in text


def test_results_keep_each_kernels_latest_run_and_replace_the_readme_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{run.README_BEGIN}\nold table\n{run.README_END}\nrest\n")
    monkeypatch.setattr(run, "README", readme)
    monkeypatch.setattr(run, "RESULTS", tmp_path / "results")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "soak.json").write_text('{"kernel": "an old single run"}')
    first, second = record().summary(), record().summary()
    second["kernel"], second["commit"] = "7.2.0-debug", "abc1234"
    run.write_results(first)
    run.write_results(second)
    second["commit"] = "def5678"
    text = run.write_results(second)
    kept = json.loads((tmp_path / "results" / "soak.json").read_text())["runs"]
    assert [(r["kernel"], r["commit"]) for r in kept] == [
        (first["kernel"], first["commit"]),
        ("7.2.0-debug", "def5678"),
    ]
    assert text == markdown(first) + "\n" + markdown(second)
    assert readme.read_text() == f"intro\n{run.README_BEGIN}\n{text}{run.README_END}\nrest\n"
    assert (tmp_path / "results" / "soak.md").read_text() == text


def test_the_probe_times_io_and_says_none_past_its_limit() -> None:
    assert faults.parse_probe("0.42\n") == 0.42
    assert faults.parse_probe("some noise\n1.50") == 1.5
    assert faults.parse_probe("none") is None
    assert faults.parse_probe("") is None
    # The probe is a shell loop: run it here with a command that succeeds at once.
    command = faults.probe_command("network", (), "127.0.0.1").replace(
        "ping -c 1 -W 1 127.0.0.1", "true"
    )
    out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
    seconds = faults.parse_probe(out.stdout)
    assert seconds is not None and 0 <= seconds < 5


def test_every_fault_kind_names_a_path_the_probes_know() -> None:
    assert {f.path for f in faults.FAULTS} == {"storage", "network"}
    assert len({f.name for f in faults.FAULTS}) == len(faults.FAULTS) == 8


def test_the_rxe_double_fault_matches_its_documented_fingerprint() -> None:
    """The oops seen in a 6.12 soak (tests/unit/data/rxe-double-fault.log) is rxe's, the panic
    it ends in goes with it, and each fingerprint is named in docs/rxe-notes.md."""
    tail = (DATA / "rxe-double-fault.log").read_text()
    assert rxe.classify(tail) == (["double fault in an rxe packet allocation"], [])
    notes = (REPO / "docs" / "rxe-notes.md").read_text()
    for known in rxe.FINGERPRINTS:
        assert known.name in notes, known.name


def test_a_splat_of_ours_is_not_taken_for_rxes() -> None:
    tail = "[ 1.0] BUG: unable to handle page fault\n[ 1.1]  xsvhba_queuecommand+0x10/0x20\n"
    rxe_faults, others = rxe.classify(tail)
    assert rxe_faults == [] and others == ["BUG: BUG: unable to handle page fault"]


def test_kernel_io_errors_are_listed_with_the_fault_each_followed() -> None:
    soak = record()
    line = "after target-loss at 3.2 min: [  201.5] I/O error, dev sdb, sector 88 op 0x0:(READ)"
    soak.kernel_io_errors.append(line)
    summary = soak.summary()
    assert summary["kernel_io_errors"] == [line]
    assert f"- kernel_io_errors: {line}" in markdown(summary)


def test_the_unreclaimable_slab_is_measured_apart_from_the_whole() -> None:
    samples = [
        MemorySample("director", 0.0, 1000, 9, unreclaimable_kib=400),
        MemorySample("director", 50.0, 1100, 9, unreclaimable_kib=400),
        MemorySample("director", 100.0, 1200, 9, unreclaimable_kib=404),
    ]
    assert slab_growth(samples) == {"director": 0.0909}
    assert slab_growth(samples, "unreclaimable_kib") == {"director": 0.01}
    soak = record()
    soak.memory = samples
    text = markdown(soak.summary())
    assert "Unreclaimable slab (SUnreclaim) over the second half: director +1.00%." in text


def test_slab_growth_follows_the_trend_not_one_noisy_last_sample() -> None:
    early = [MemorySample("director", 0.0, 900, 9)]
    late = [MemorySample("director", float(at), slab, 9) for at, slab in
            zip(range(300, 601, 60), (1000, 1010, 990, 1005, 995, 1060), strict=True)]  # fmt: skip
    # The last sample alone says +6%; the line through the second half's six says +3.89%.
    assert slab_growth(early + late) == {"director": 0.0389}


def test_each_round_of_the_schedule_has_every_kind_once_in_a_random_order() -> None:
    kinds = faults.FAULTS
    schedule = faults.schedule(random.Random(7), kinds)
    rounds = [[next(schedule) for _ in kinds] for _ in range(6)]
    assert all(sorted(f.name for f in r) == sorted(f.name for f in kinds) for r in rounds)
    assert len({tuple(f.name for f in r) for r in rounds}) > 1


def test_a_timed_fault_reads_the_probes_answer_and_the_io_error_count_of_one_round_trip() -> None:
    class FakeConsole:
        def output(self, command: str, timeout: float = 0) -> str:
            assert command.startswith("PROBE; echo io_errors=$(dmesg | grep -cE ")
            return "noise\n1.25\nio_errors=3\n"

    class FakeFabric:
        host = type("Host", (), {"console": FakeConsole()})()

    done: list[str] = []
    fault = faults.Fault("target-loss", "storage", lambda _: done.append("injected"))
    timing = faults.timed(fault, FakeFabric(), "PROBE")  # type: ignore[arg-type]
    assert done == ["injected"]
    assert (timing.recovered_after, timing.kernel_io_errors) == (1.25, 3)


def test_slab_growth_is_taken_within_the_guests_last_boot() -> None:
    samples = [
        MemorySample("host", 0.0, 1000, 9),
        MemorySample("host", 60.0, 1400, 9),
        MemorySample("host", 70.0, 1500, 9),
        MemorySample("host", 80.0, 900, 9, boot=2),  # booted again after an rxe fault
        MemorySample("host", 100.0, 909, 9, boot=2),
    ]
    assert slab_growth(samples) == {"host": 0.01}


def test_a_probe_answer_that_is_no_number_is_no_recovery() -> None:
    assert faults.parse_probe("sh: /tmp/xs-probe-storage.sh: not found") is None


def test_the_rxe_double_fault_is_recognised_in_a_serial_consoles_log() -> None:
    # As the host's console log has it: each kernel line ends in \r\r\n, a blank line after
    # each once read as text, which once cut the quote before the call trace.
    with open(DATA / "rxe-double-fault-console.log", encoding="utf-8", errors="replace") as log:
        found, others = rxe.classify(log.read())
    assert found == ["double fault in an rxe packet allocation"]
    assert others == []
