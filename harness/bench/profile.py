"""Where the director's cards spend their time: py-spy samples a card while a workload runs,
and the samples are summed by the line the card was on (self) and by function (inclusive).

py-spy comes from requirements-bench.txt into the virtual environment, which the director VM sees
through the repository share; `--idle` keeps the samples of a card waiting in select(), so
the summary also says how much of the time the card had nothing to do.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from harness.vm import Guest

PY_SPY = "/mnt/xs/.venv/bin/py-spy"
RATE = 50  # samples a second: enough for a few seconds' run, light on a TCG guest
TOP = 12
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


@dataclass
class Profile:
    """Samples of one workload: by leaf line (self) and by function anywhere in the stack."""

    samples: int
    by_line: Counter[str]
    by_function: Counter[str]


def _frame(text: str) -> tuple[str, str]:
    """(function in file, function in file at line) of one py-spy frame."""
    match = FRAME.match(text.strip())
    if not match:
        return text, text
    where = f"{match['func']} ({PurePosixPath(match['file']).name}"
    return f"{where})", f"{where}:{match['line']})" if match["line"] else f"{where})"


def summarize(raw: str) -> Profile:
    """Sum py-spy's raw (collapsed stack) output: `frame;frame;... count` per line."""
    by_line: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")]
        samples += count
        by_line[frames[-1][1]] += count
        for function in {f[0] for f in frames}:
            by_function[function] += count
    return Profile(samples, by_line, by_function)


def start(guest: Guest, pid_file: str, seconds: int, out: str) -> None:
    """Sample the process in `pid_file` for `seconds`, in the background, into `out`."""
    guest.console.run(
        f"{PY_SPY} record --pid $(cat {pid_file}) --duration {seconds} --rate {RATE} --idle"
        f" --nonblocking --format raw -o {out} > {out}.log 2>&1 &"
    )


def collect(guest: Guest, out: str, timeout: float) -> Profile:
    """Wait for the sampling to end and sum what it found."""
    con = guest.console
    if not con.wait_until(f"grep -q 'Wrote raw' {out}.log", timeout, interval=0.5):
        raise RuntimeError(f"py-spy did not finish: {con.output(f'cat {out}.log')[-300:]}")
    return summarize(con.output(f"cat {out}"))


def markdown(title: str, profile: Profile) -> str:
    """A section of the profile report: the busiest lines and functions, as shares."""

    def rows(counter: Counter[str]) -> list[str]:
        total = max(profile.samples, 1)
        return [f"| {100 * n / total:5.1f} % | `{name}` |" for name, n in counter.most_common(TOP)]

    return "\n".join(
        [
            f"### {title} ({profile.samples} samples)",
            "",
            "| self | line |",
            "|---:|---|",
            *rows(profile.by_line),
            "",
            "| inclusive | function |",
            "|---:|---|",
            *rows(profile.by_function),
            "",
        ]
    )
