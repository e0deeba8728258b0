"""Our kernel sources, generated headers included, pass checkpatch.pl --strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import checkpatch, matrix


@pytest.fixture(scope="module")
def script() -> Path:
    m = matrix.load()
    return checkpatch.fetch(m.get(m.default))


def test_kernel_sources_are_checkpatch_strict_clean(script: Path) -> None:
    files = checkpatch.kernel_sources()
    assert len(files) >= 8
    result = checkpatch.run(script, files)
    assert result.stderr == ""
    assert checkpatch.unwaived(result.stdout, checkpatch.waivers()) == [], result.stdout


def test_every_waiver_says_why_and_is_still_needed(script: Path) -> None:
    result = checkpatch.run(script, checkpatch.kernel_sources())
    for waiver in checkpatch.waivers():
        assert len(waiver.reason) > 40, waiver
        assert waiver.covers(result.stdout), f"{waiver} waives nothing any more"


def test_checkpatch_flags_a_style_violation(script: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.c"
    bad.write_text("// SPDX-License-Identifier: GPL-2.0\nint f(void)\n{\n    return 0 ;\n}\n")
    result = checkpatch.run(script, [bad])
    assert result.returncode != 0
    assert "LEADING_SPACE" in result.stdout or "SPACING" in result.stdout
