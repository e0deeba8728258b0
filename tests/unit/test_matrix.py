"""The kernel matrix data and its export to a GitHub Actions matrix."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import matrix


def test_matrix_names_a_default_and_debian_packages_for_every_packaged_kernel() -> None:
    m = matrix.load()
    assert m.get(m.default)
    for kernel in m.kernels:
        if kernel.source is not None:
            continue
        names = kernel.package_names()
        assert names[0] == f"linux-image-{kernel.release}-unsigned"
        assert f"linux-headers-{kernel.release}" in names
        assert all("{" not in name for name in names)


def test_unknown_kernel_is_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(KeyError, match=r"6\.1"):
        matrix.load().get("2.6.32")


def test_default_must_be_in_the_matrix(tmp_path: Path) -> None:
    bad = tmp_path / "kernels.toml"
    bad.write_text(
        'default = "9.9"\n[[kernel]]\nid = "6.1"\nrelease = "6.1.0-1-amd64"\n'
        'series = "6.1.0-*-amd64"\npackages = ["linux-image-{release}-unsigned"]\n'
    )
    with pytest.raises(KeyError):
        matrix.load(bad)


def test_source_cells_name_existing_fragments_and_stay_out_of_make_test() -> None:
    m = matrix.load()
    built = [k for k in m.kernels if k.source is not None]
    for kernel in built:
        assert kernel.source is not None and kernel.source.fragments
        for fragment in kernel.source.fragments:
            assert (matrix.REPO / "ci" / "kconfig" / fragment).is_file(), fragment
    assert m.default in m.test_ids()
    assert set(m.test_ids()) == {k.id for k in m.kernels if k.in_tests}


def test_a_cell_needs_packages_or_a_source(tmp_path: Path) -> None:
    bad = tmp_path / "kernels.toml"
    bad.write_text('default = "x"\n[[kernel]]\nid = "x"\nrelease = "7.2.13-xs"\n')
    with pytest.raises(ValueError, match="packages or a source"):
        matrix.load(bad)


def test_a_source_cell_loads(tmp_path: Path) -> None:
    good = tmp_path / "kernels.toml"
    good.write_text(
        'default = "x"\n[[kernel]]\nid = "x"\nrelease = "7.2.13-xs"\nin_tests = false\n'
        '[kernel.source]\nsuite = "sid"\npackage = "linux-source-7.2"\nversion = "7.2.13-1"\n'
        'fragments = ["guest.config"]\n'
    )
    (cell,) = matrix.load(good).kernels
    expected = matrix.SourceSpec("sid", "linux-source-7.2", "7.2.13-1", ("guest.config",))
    assert cell.source == expected
    assert not cell.in_tests
