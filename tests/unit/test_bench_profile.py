"""The profile summary of `make bench BENCH_ARGS=--profile`: py-spy's collapsed stacks summed
by the line a card was on and by every function on the stack."""

from __future__ import annotations

from harness.bench import profile

MAIN = "<module> (/mnt/xs/director/__main__.py:173)"
LOOP = "serve (/mnt/xs/director/fcgw.py:705)"
RAW = "\n".join(
    [
        f"{MAIN};serve (/mnt/xs/director/fcgw.py:701) 60",
        f"{MAIN};{LOOP};_run_ring (/mnt/xs/director/fcgw.py:510) 30",
        f"{MAIN};{LOOP};_finish (/mnt/xs/director/fcgw.py:630) 10",
        "garbage line without a count",
    ]
)


def test_samples_are_summed_by_leaf_line_and_by_function() -> None:
    found = profile.summarize(RAW)
    assert found.samples == 100
    assert found.by_line.most_common(1) == [("serve (fcgw.py:701)", 60)]
    assert found.by_line["_run_ring (fcgw.py:510)"] == 30
    assert found.by_function["serve (fcgw.py)"] == 100  # counted once per stack
    assert found.by_function["_finish (fcgw.py)"] == 10


def test_the_report_gives_shares_of_all_samples() -> None:
    text = profile.markdown("fcgw", profile.summarize(RAW))
    assert "(100 samples)" in text
    assert "|  60.0 % | `serve (fcgw.py:701)` |" in text
    assert "| 100.0 % | `<module> (__main__.py)` |" in text
