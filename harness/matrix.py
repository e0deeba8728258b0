"""The kernel matrix (ci/kernels.toml) as Python objects."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from harness.paths import REPO

MATRIX_FILE = REPO / "ci" / "kernels.toml"
FLAVOUR_SUFFIX = "-amd64"


@dataclass(frozen=True)
class SourceSpec:
    """A kernel built here from a Debian linux-source package (harness/srckernel.py)."""

    suite: str  # the Debian suite that has the package (sid, bookworm-security, ...)
    package: str  # linux-source-7.2
    version: str  # pinned Debian version of the package
    fragments: tuple[str, ...]  # config fragments under ci/kconfig/, merged in order


@dataclass(frozen=True)
class KernelSpec:
    """One cell of the matrix: a Debian kernel named by its pinned release, packaged (image,
    headers, kbuild) or built here from Debian's kernel source (`source`). `in_tests` False
    keeps a cell out of `make test` (its build is too long for CI); `make matrix` runs all."""

    id: str
    description: str
    release: str
    series: str = ""
    packages: tuple[str, ...] = ()
    source: SourceSpec | None = None
    in_tests: bool = True
    tree: str = ""  # a developer's built kernel tree (harness/kernel_tree.py), not a cell

    def with_release(self, release: str) -> KernelSpec:
        return replace(self, release=release)

    @property
    def abi(self) -> str:
        return self.release.removesuffix(FLAVOUR_SUFFIX)

    def package_names(self) -> list[str]:
        return [p.format(release=self.release, abi=self.abi) for p in self.packages]

    @property
    def image_package(self) -> str:
        return self.package_names()[0]


@dataclass(frozen=True)
class Matrix:
    default: str
    kernels: tuple[KernelSpec, ...]

    def get(self, kernel_id: str) -> KernelSpec:
        for kernel in self.kernels:
            if kernel_id in (kernel.id, kernel.release):
                return kernel
        known = ", ".join(k.id for k in self.kernels)
        raise KeyError(f"kernel {kernel_id!r} is not in the matrix ({known})")

    def ids(self) -> list[str]:
        return [k.id for k in self.kernels]

    def test_ids(self) -> list[str]:
        """The cells `make test` runs by default."""
        return [k.id for k in self.kernels if k.in_tests]


def _source(entry: dict[str, object]) -> SourceSpec | None:
    source = entry.get("source")
    if source is None:
        return None
    if not isinstance(source, dict):
        raise ValueError(f"kernel {entry.get('id')}: source must be a table")
    return SourceSpec(
        suite=str(source["suite"]),
        package=str(source["package"]),
        version=str(source["version"]),
        fragments=tuple(str(f) for f in source.get("fragments", ())),
    )


def load(path: Path = MATRIX_FILE) -> Matrix:
    data = tomllib.loads(path.read_text())
    kernels = tuple(
        KernelSpec(
            id=str(entry["id"]),
            description=str(entry.get("description", "")),
            release=str(entry["release"]),
            series=str(entry.get("series", "")),
            packages=tuple(entry.get("packages", ())),
            source=_source(entry),
            in_tests=bool(entry.get("in_tests", True)),
        )
        for entry in data["kernel"]
    )
    for kernel in kernels:
        if (kernel.source is None) == (not kernel.packages):
            raise ValueError(f"{path}: kernel {kernel.id} needs either packages or a source")
    matrix = Matrix(default=str(data["default"]), kernels=kernels)
    matrix.get(matrix.default)
    if len({k.id for k in kernels}) != len(kernels):
        raise ValueError(f"{path}: kernel ids must be unique")
    return matrix
