"""The generator: layouts are checked, mistakes in specs are refused, drift is detected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.paths import REPO
from xsgen import __main__ as xsgen_cli
from xsgen import loader
from xsgen.model import SpecError

GOOD = """\
name: demo
doc: A demo.
structs:
  - name: inner
    size: 12
    doc: Unaligned u64.
    fields:
      - {name: a, type: u32, doc: first}
      - {name: b, type: u64, order: le, doc: second}
  - name: outer
    size: 28
    doc: Holds inners.
    fields:
      - {name: n, type: u16, doc: count}
      - {name: pad, type: bytes, count: 2, doc: zero}
      - {name: items, type: inner, count: 2, doc: items}
"""


def write_spec(root: Path, text: str, name: str = "demo") -> Path:
    (root / "specs").mkdir(exist_ok=True)
    path = root / "specs" / f"{name}.yaml"
    path.write_text(text)
    return path


def test_offsets_packing_and_byte_order_are_computed(tmp_path: Path) -> None:
    spec = loader.load_spec(write_spec(tmp_path, GOOD), tmp_path)
    inner, outer = spec.structs
    assert [(f.name, f.offset, f.order) for f in inner.fields] == [("a", 0, "be"), ("b", 4, "le")]
    assert inner.packed  # a u64 at offset 4 is not where a compiler would put it
    assert [f.offset for f in outer.fields] == [0, 2, 4]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("size: 12", "size: 13"), "add up to 12 bytes, but size says 13"),
        (("type: u32", "type: u24"), "unknown type 'u24'"),
        (("order: le", "order: middle"), "byte order must be be or le"),
        (("doc: first}", "doc: first, really}"), "unknown keys"),
        (("type: inner, count: 2", "type: later, count: 2"), "unknown type 'later'"),
    ],
)
def test_mistakes_in_a_spec_are_refused(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write_spec(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(SpecError, match=message):
        loader.load_spec(path, tmp_path)


def test_check_mode_reports_drift_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for part in ("specs", "kernel/include", "xswire", "docs/protocol"):
        shutil.copytree(REPO / part, tmp_path / part)
    assert xsgen_cli.main(["--check", "--root", str(tmp_path)]) == 0
    header = tmp_path / "kernel/include/xsigo/wire/xds.h"
    header.write_text(header.read_text() + "/* hand edit */\n")
    assert xsgen_cli.main(["--check", "--root", str(tmp_path)]) == 1
    assert "stale: kernel/include/xsigo/wire/xds.h" in capsys.readouterr().err
    assert header.read_text().endswith("/* hand edit */\n")
    assert xsgen_cli.main(["--root", str(tmp_path)]) == 0
    assert xsgen_cli.main(["--check", "--root", str(tmp_path)]) == 0
