"""The summary table `make matrix` prints after running every cell."""

from __future__ import annotations

import io

from harness import matrix_run
from harness.matrix import KernelSpec, SourceSpec

PACKAGED = KernelSpec("6.1", "", "6.1.0-57-amd64", "6.1.0-*-amd64", ("linux-image-x",))
BUILT = KernelSpec(
    "7.2-debug", "", "7.2.13-xsdebug", source=SourceSpec("sid", "linux-source-7.2", "1", ())
)


def test_table_has_a_row_per_cell_with_each_stage_and_the_verdict() -> None:
    passed = matrix_run.CellResult(PACKAGED)
    passed.stages = {
        "kernel": matrix_run.Outcome(True, 2, "6.1.0-57-amd64"),
        "build": matrix_run.Outcome(True, 11, "0 warnings"),
        "sparse": matrix_run.Outcome(True, 14, "0 warnings"),
        "tests": matrix_run.Outcome(True, 900, "210 passed in 900.00s"),
    }
    failed = matrix_run.CellResult(BUILT)
    failed.stages = {"kernel": matrix_run.Outcome(False, 60, "the config lost CONFIG_X=y")}
    lines = matrix_run.table([passed, failed]).splitlines()
    assert lines[0].startswith("| kernel | release | kernel | build | sparse | tests |")
    assert lines[2].startswith("| 6.1 | 6.1.0-57-amd64 | pass (2 s) | pass (11 s) |")
    assert "210 passed" in lines[2] and lines[2].endswith("| pass |")
    assert "FAIL (60 s) the config lost CONFIG_X=y" in lines[3]
    assert "skipped" in lines[3] and lines[3].endswith("| FAIL |")
    assert passed.ok and not failed.ok


def test_a_cells_output_streams_through_line_by_line_with_its_id() -> None:
    out = io.StringIO()
    status, lines = matrix_run.stream(
        ["sh", "-c", "echo 'test_a PASSED'; echo; echo '1 passed' ; exit 3"], "[6.1] ", out
    )
    assert status == 3
    assert out.getvalue() == "[6.1] test_a PASSED\n[6.1] \n[6.1] 1 passed\n"
    assert lines == ["test_a PASSED", "1 passed"]
