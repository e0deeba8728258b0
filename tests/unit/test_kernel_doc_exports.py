"""Every symbol our modules export carries kernel-doc at its definition, as the kernel's own
exported functions do (scripts/kernel-doc checks the comments themselves: tests/kbuild)."""

from __future__ import annotations

from pathlib import Path

from harness import checkpatch, kerneldoc

DOCUMENTED = """\
/**
 * xs_thing_get() - take a reference
 * @thing: the thing
 *
 * Return: 0.
 */
int xs_thing_get(struct xs_thing *thing)
{
\treturn 0;
}
EXPORT_SYMBOL_GPL(xs_thing_get);
"""


def test_every_exported_symbol_is_documented_at_its_definition() -> None:
    files = checkpatch.kernel_sources()
    exported = [f for f in files if kerneldoc.EXPORT.search(f.read_text())]
    assert exported, "no EXPORT_SYMBOL found: did the sources move?"
    assert kerneldoc.undocumented_exports(files) == []


def test_a_documented_export_passes(tmp_path: Path) -> None:
    source = tmp_path / "ok.c"
    source.write_text(DOCUMENTED)
    assert kerneldoc.undocumented_exports([source]) == []


def test_a_plain_comment_or_a_comment_away_from_the_definition_fails(tmp_path: Path) -> None:
    plain = tmp_path / "plain.c"
    plain.write_text(DOCUMENTED.replace("/**", "/*"))
    away = tmp_path / "away.c"
    away.write_text(DOCUMENTED.replace(" */\nint", " */\nstatic int other;\n\nint"))
    assert kerneldoc.undocumented_exports([plain]) == [f"{plain}: xs_thing_get"]
    assert kerneldoc.undocumented_exports([away]) == [f"{away}: xs_thing_get"]
