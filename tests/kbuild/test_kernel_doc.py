"""Our kernel sources pass the kernel's scripts/kernel-doc: every kernel-doc comment is well
formed and describes each parameter and member it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import checkpatch, kerneldoc, matrix


@pytest.fixture(scope="module")
def script() -> Path:
    m = matrix.load()
    return kerneldoc.fetch(m.get(m.default))


def test_kernel_sources_pass_kernel_doc(script: Path) -> None:
    result = kerneldoc.run(script, checkpatch.kernel_sources())
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr


def test_kernel_doc_flags_an_undescribed_parameter(script: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.c"
    bad.write_text(
        "/**\n * f() - does f\n * @a: one\n */\nint f(int a, int b)\n{\n\treturn 0;\n}\n"
    )
    result = kerneldoc.run(script, [bad])
    assert result.returncode != 0
    assert "'b' not described" in result.stderr
