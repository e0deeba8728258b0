"""The kernel matrix data and its export to a GitHub Actions matrix."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import matrix


def test_matrix_names_a_default_and_debian_packages_for_every_kernel() -> None:
    m = matrix.load()
    assert m.get(m.default)
    for kernel in m.kernels:
        names = kernel.package_names()
        assert names[0] == f"linux-image-{kernel.release}-unsigned"
        assert f"linux-headers-{kernel.release}" in names
        assert all("{" not in name for name in names)


def test_github_export_has_one_row_per_kernel() -> None:
    m = matrix.load()
    rows = matrix.github_actions_matrix(m)["include"]
    assert [row["kernel"] for row in rows] == m.ids()


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
