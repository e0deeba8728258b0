"""`make matrix`: every cell of ci/kernels.toml, one after the other, and a summary table.

Per cell: the kernel (fetched, or built from source), our modules built with W=1 and without
sparse, then with sparse (C=2), then the kernel-build and VM tests for that kernel in their own
pytest run, whose lines stream through as they come, after the cell's id. Cells run one at a
time: on two cores a kernel build or a pair of TCG guests already takes both, and running two
at once only makes each slower and the VM timings less predictable.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from harness import kernels, matrix, modules
from harness.log import say
from harness.paths import REPO

STAGES = ("kernel", "build", "sparse", "tests")


@dataclass
class Outcome:
    ok: bool
    seconds: float
    note: str = ""


@dataclass
class CellResult:
    spec: matrix.KernelSpec
    stages: dict[str, Outcome] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return len(self.stages) == len(STAGES) and all(o.ok for o in self.stages.values())


def _timed(run: Callable[[], str]) -> Outcome:
    """Run a stage; it returns a note on success and raises on failure."""
    start = time.monotonic()
    try:
        note = run()
    except Exception as exc:  # a stage's failure, whatever it is, goes into the table
        return Outcome(False, time.monotonic() - start, str(exc).splitlines()[0][:80])
    return Outcome(True, time.monotonic() - start, note)


def _module_build(kernel: kernels.Kernel, sparse: bool) -> str:
    build = modules.build(kernel.kdir, kernel.config, sparse=sparse)
    if build.warnings:
        raise RuntimeError(f"{len(build.warnings)} warnings: {build.warnings[0]}")
    return "0 warnings"


def stream(argv: list[str], prefix: str, out: TextIO) -> tuple[int, list[str]]:
    """Run `argv`, passing each line of its output on to `out` as it comes, after `prefix`;
    its exit status and its non-blank lines."""
    lines = []
    with subprocess.Popen(
        argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(f"{prefix}{line}")
            out.flush()
            if line.strip():
                lines.append(line.rstrip("\n"))
    return proc.returncode, lines


def _tests(spec: matrix.KernelSpec, pytest_args: list[str]) -> str:
    """The cell's tests, each test's outcome shown as it ends (pytest -v)."""
    argv = [sys.executable, "-m", "pytest", "tests/kbuild", "tests/vm", "--kernel", spec.id]
    status, lines = stream([*argv, "-v", *pytest_args], f"[{spec.id}] ", sys.stdout)
    summary = lines[-1].strip("= ") if lines else "no output"
    if status != 0:
        raise RuntimeError(summary)
    return summary


def run_cell(spec: matrix.KernelSpec, pytest_args: list[str]) -> CellResult:
    result = CellResult(spec)
    say(f"matrix: kernel {spec.id}")
    kernel: kernels.Kernel | None = None

    def get_kernel() -> str:
        nonlocal kernel
        kernel = kernels.fetch(spec)
        return kernel.release

    result.stages["kernel"] = _timed(get_kernel)
    if kernel is None:
        return result
    ready = kernel
    result.stages["build"] = _timed(lambda: _module_build(ready, sparse=False))
    result.stages["sparse"] = _timed(lambda: _module_build(ready, sparse=True))
    if result.stages["build"].ok:
        result.stages["tests"] = _timed(lambda: _tests(spec, pytest_args))
    return result


def table(results: list[CellResult]) -> str:
    """The summary as a markdown table: one row per kernel, one column per stage."""
    head = "| kernel | release | " + " | ".join(STAGES) + " | result |"
    rule = "|" + "---|" * (len(STAGES) + 3)
    rows = [head, rule]
    for result in results:
        cells = []
        for stage in STAGES:
            outcome = result.stages.get(stage)
            if outcome is None:
                cells.append("skipped")
                continue
            word = "pass" if outcome.ok else "FAIL"
            shown = outcome.note and (stage == "tests" or not outcome.ok)
            note = f" {outcome.note}" if shown else ""
            cells.append(f"{word} ({outcome.seconds:.0f} s){note}")
        release = result.stages["kernel"].note if result.stages["kernel"].ok else "-"
        verdict = "pass" if result.ok else "FAIL"
        rows.append(f"| {result.spec.id} | {release} | " + " | ".join(cells) + f" | {verdict} |")
    return "\n".join(rows)


def run(kernel_ids: list[str] | None = None, pytest_args: list[str] | None = None) -> int:
    m = matrix.load()
    specs = [m.get(i) for i in kernel_ids] if kernel_ids else list(m.kernels)
    results = [run_cell(spec, pytest_args or []) for spec in specs]
    print(table(results))
    return 0 if all(r.ok for r in results) else 1
