"""harness/kunit.py without a kernel: the KTAP parser, the cache key, the scratch tree, and the
suites' coverage of every reason a check refuses a message."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from harness import kunit, kunit_mutation
from harness.matrix import KernelSpec, SourceSpec
from harness.paths import REPO

# KUnit's output for a suite with a parameterised case (one parameter failed) and a plain case.
KTAP = """\
[18:14:05] Starting KUnit Kernel (1/1)...
$ build/linux kunit.enable=1 mem=1G console=tty kunit_shutdown=halt
KTAP version 1
1..2
    KTAP version 1
    # Subtest: alpha
    # module: alpha_test
    1..2
        KTAP version 1
        # Subtest: table_case
        ok 1 good
    # table_case: EXPECTATION FAILED at xsigo/alpha_test.c:42
    Expected f(x) == c->want, but
        f(x) == 0 (0x0)
        c->want == 3 (0x3)
        not ok 2 bad
        ok 3 skipped_one # SKIP not here
    # table_case: pass:1 fail:1 skip:1 total:3
    not ok 1 table_case
    ok 2 plain_case
# alpha: pass:1 fail:1 skip:0 total:2
not ok 1 alpha
    KTAP version 1
    # Subtest: beta
    1..1
    ok 1 only
ok 2 beta
"""


def test_ktap_results_have_their_paths_verdicts_and_leaves() -> None:
    results = {r.name: r for r in kunit.parse_ktap(KTAP)}
    assert list(results) == [
        "alpha.table_case.good",
        "alpha.table_case.bad",
        "alpha.table_case.skipped_one",
        "alpha.table_case",
        "alpha.plain_case",
        "alpha",
        "beta.only",
        "beta",
    ]
    assert [n for n, r in results.items() if r.leaf] == [
        "alpha.table_case.good",
        "alpha.table_case.bad",
        "alpha.table_case.skipped_one",
        "alpha.plain_case",
        "beta.only",
    ]
    assert [n for n, r in results.items() if not r.ok] == [
        "alpha.table_case.bad",
        "alpha.table_case",
        "alpha",
    ]
    assert results["alpha.table_case.skipped_one"].skipped
    assert results["alpha.table_case.bad"].diagnostics[0].endswith("alpha_test.c:42")
    assert "c->want == 3 (0x3)" in results["alpha.table_case.bad"].diagnostics
    assert results["alpha.table_case.good"].diagnostics == ()
    assert results["beta.only"].suite == "beta"


def test_ktap_of_a_kernel_that_died_mid_suite_has_no_verdict_for_it() -> None:
    cut = KTAP.split("    # table_case: pass")[0]
    results = kunit.parse_ktap(cut)
    assert "alpha" not in [r.name for r in results]
    assert [r.name for r in results if not r.ok] == ["alpha.table_case.bad"]


def test_cache_key_follows_every_file_the_version_and_the_kunitconfig() -> None:
    files = {"a.c": b"int a;", "include/xsigo/wire/x.h": b"#define X 1"}
    base = kunit.key("7.2.13-1", files, b"CONFIG_KUNIT=y\n")
    assert base == kunit.key("7.2.13-1", dict(files), b"CONFIG_KUNIT=y\n")
    assert base.startswith("7.2.13-1-")
    assert base != kunit.key("7.2.13-2", files, b"CONFIG_KUNIT=y\n")
    assert base != kunit.key("7.2.13-1", files, b"CONFIG_KUNIT=y\n# more\n")
    assert base != kunit.key("7.2.13-1", {**files, "a.c": b"int b;"}, b"CONFIG_KUNIT=y\n")
    assert base != kunit.key("7.2.13-1", {**files, "b.c": b""}, b"CONFIG_KUNIT=y\n")


def test_scratch_files_hold_the_suites_the_checks_and_the_wire_headers() -> None:
    files = kunit.scratch_files()
    for name in ("Kconfig", "Kbuild", "xs_kunit.h", "xscore_check.c", "xsvhba_check.h"):
        assert name in files
    assert "include/xsigo/wire/xsmp.h" in files
    assert ".kunitconfig" not in files
    # Every object the suites' Kbuild names has its source in the tree.
    kbuild = files["Kbuild"].decode()
    for obj in re.findall(r"(?<![\w_])(\w+)\.o\b", kbuild):
        if not obj.startswith("CFLAGS_"):
            assert f"{obj}.c" in files, obj
    # ... and every header a copied source includes by a relative path.
    for name, content in files.items():
        for header in re.findall(rb'#include "([\w.]+)"', content):
            assert header.decode() in files, (name, header)


def _fake_source(root: Path) -> Path:
    src = root / "linux"
    (src / "tools/testing/kunit").mkdir(parents=True)
    (src / "tools/testing/selftests").mkdir()
    (src / "tools/perf").mkdir()
    (src / "kernel").mkdir()
    (src / "Kconfig").write_text('source "lib/Kconfig.debug"\n')
    (src / "Kbuild").write_text("obj-y += kernel/\n")
    (src / "Makefile").write_text("all:\n")
    (src / "tools/testing/kunit/kunit.py").write_text("# kunit\n")
    return src


def test_scratch_tree_links_the_source_and_adds_ours_without_writing_to_it(tmp_path: Path) -> None:
    src = _fake_source(tmp_path)
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    tree = tmp_path / "scratch"
    kunit.write_scratch_tree(src, tree, {"Kbuild": b"obj-y += t.o\n", "include/x/y.h": b"y"})
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in src.iterdir()) == sorted(
        p.name for p in tree.iterdir() if p.name != "xsigo"
    )
    assert (tree / "Makefile").is_symlink() and (tree / "kernel").is_symlink()
    assert (tree / "Kconfig").read_text().endswith('source "xsigo/Kconfig"\n')
    assert "xsigo/" in (tree / "Kbuild").read_text()
    # kunit.py finds its kernel tree through its own real path: a copy, not a link.
    kunit_py = tree / "tools/testing/kunit/kunit.py"
    assert not kunit_py.is_symlink() and kunit_py.resolve().is_relative_to(tree)
    assert (tree / "tools/testing/selftests").is_symlink() and (tree / "tools/perf").is_symlink()
    assert (tree / "xsigo/include/x/y.h").read_bytes() == b"y"


def test_update_rewrites_only_the_changed_files(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    kunit.update_xsigo(tree, {"a.c": b"a", "b.c": b"b"})
    a, b = tree / "xsigo/a.c", tree / "xsigo/b.c"
    stamp = a.stat().st_mtime_ns
    kunit.update_xsigo(tree, {"a.c": b"a", "b.c": b"bb"})
    assert a.stat().st_mtime_ns == stamp
    assert b.read_bytes() == b"bb"


def _reasons(header: Path, prefix: str) -> list[str]:
    body = header.read_text().split(f"enum {prefix.lower()}check {{", 1)[1].split("};", 1)[0]
    return [r for r in re.findall(rf"\b({prefix}CHECK_\w+)", body) if not r.endswith("_OK")]


def test_every_reason_a_check_refuses_has_a_case_expecting_it() -> None:
    suites = "".join(p.read_text() for p in (REPO / kunit.SUITE_DIR).glob("*_test.c"))
    for module in ("xscore", "xsvnic", "xsvhba", "xsethgw"):
        header = REPO / f"kernel/{module}/{module}_check.h"
        reasons = _reasons(header, f"{module.upper()}_")
        assert len(reasons) >= 3, header
        missing = [r for r in reasons if not re.search(rf"\b{r}\b", suites)]
        assert missing == [], f"no KUnit case expects {missing}"


def test_suite_names_are_read_from_the_sources() -> None:
    names = kunit.suite_names()
    assert "xscore_xsmp" in names and "xsvnic_ctrl" in names and "xsvhba_ctrl" in names
    assert len(names) == len(set(names))


class _Builds:
    """Stands in for kunit.py's build: records the trees it was asked to build."""

    def __init__(self) -> None:
        self.calls: list[dict[str, bytes]] = []

    def __call__(self, tree: Path, build_dir: Path, kunitconfig: Path) -> None:
        assert build_dir.is_dir()
        xsigo = tree / "xsigo"
        self.calls.append({p.name: p.read_bytes() for p in xsigo.iterdir() if p.is_file()})
        (build_dir / "linux").write_text("uml")


def test_prepare_builds_cold_then_takes_the_cache_then_rebuilds_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = KernelSpec(
        id="7.2", description="", release="7.2-xs",
        source=SourceSpec(suite="sid", package="linux-source-7.2", version="1", fragments=()),
    )  # fmt: skip
    sources = {"1": _fake_source(tmp_path / "v1"), "2": _fake_source(tmp_path / "v2")}
    pinned = ["1"]
    monkeypatch.setattr(kunit, "_source_spec", lambda: spec)
    monkeypatch.setattr(kunit, "source", lambda spec: (pinned[0], sources[pinned[0]]))
    builds = _Builds()
    monkeypatch.setattr(kunit, "build", builds)
    root, config = tmp_path / "cache", tmp_path / ".kunitconfig"
    root.mkdir()
    config.write_text("CONFIG_KUNIT=y\n")
    files = {"a.c": b"a", "b.c": b"b"}

    tree, build_dir, how = kunit.prepare(root, files, config)
    assert how == "cold" and len(builds.calls) == 1
    assert (tree / "Makefile").resolve() == sources["1"] / "Makefile"
    (build_dir / "object.o").write_text("kept")

    assert kunit.prepare(root, files, config)[2] == "cached"
    assert len(builds.calls) == 1

    b = tree / "xsigo/b.c"
    stamp = b.stat().st_mtime_ns
    assert kunit.prepare(root, {**files, "a.c": b"a2"}, config) == (tree, build_dir, "incremental")
    assert builds.calls[-1] == {"a.c": b"a2", "b.c": b"b"}
    assert b.stat().st_mtime_ns == stamp and (build_dir / "object.o").exists()

    assert kunit.prepare(root, files, tmp_path / ".kunitconfig")[2] == "incremental"
    config.write_text("CONFIG_KUNIT=y\nCONFIG_MORE=y\n")
    assert kunit.prepare(root, files, config)[2] == "incremental"

    # A build that failed leaves no stamp: the next run builds again.
    def failing(*args: object) -> None:
        raise RuntimeError("no")

    monkeypatch.setattr(kunit, "build", failing)
    with pytest.raises(RuntimeError):
        kunit.prepare(root, {**files, "c.c": b"c"}, config)
    monkeypatch.setattr(kunit, "build", builds)
    assert kunit.prepare(root, {**files, "c.c": b"c"}, config)[2] == "incremental"

    # Another kernel source: the tree links it and the objects of the old one go.
    pinned[0] = "2"
    spec = KernelSpec(
        id="7.2", description="", release="7.2-xs",
        source=SourceSpec(suite="sid", package="linux-source-7.2", version="2", fragments=()),
    )  # fmt: skip
    assert kunit.prepare(root, files, config)[2] == "cold"
    assert (tree / "Makefile").resolve() == sources["2"] / "Makefile"
    assert not (build_dir / "object.o").exists()


def test_each_mutant_removes_one_check_and_changes_little() -> None:
    files = kunit.scratch_files()
    found = kunit_mutation.mutants(files)
    assert len(found) >= 50
    returns = sum(
        len(re.findall(r"^\s*(?:return|ret =) X\w+_CHECK_(?!OK\b)\w+;", text.decode(), re.M))
        for name, text in files.items()
        if name.endswith("_check.c")
    )
    assert len(found) == returns + 2 + len(kunit_mutation.EXTRA)  # + copy_name's two returns
    texts = set()
    for mutant in found:
        original = files[mutant.file].decode().splitlines()
        diff = difflib.ndiff(original, mutant.text.splitlines())
        changed = [line for line in diff if line.startswith(("- ", "+ "))]
        assert mutant.text not in texts, mutant.what
        texts.add(mutant.text)
        assert 1 <= len(changed) <= 4, (mutant.what, changed)
    guarded = [m for m in found if m.what.startswith("XSCORE_CHECK_XSMP_DEST")]
    assert "if (false && (be64_to_cpu(hdr->dest_id.primary) != own_guid))" in guarded[0].text
