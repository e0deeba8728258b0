"""The kernel matrix (ci/kernels.toml) as Python objects."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness.paths import REPO

MATRIX_FILE = REPO / "ci" / "kernels.toml"
FLAVOUR_SUFFIX = "-amd64"


@dataclass(frozen=True)
class KernelSpec:
    """One cell of the matrix: a Debian kernel named by its pinned release."""

    id: str
    description: str
    release: str
    series: str
    packages: tuple[str, ...]

    def with_release(self, release: str) -> KernelSpec:
        return KernelSpec(self.id, self.description, release, self.series, self.packages)

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


def load(path: Path = MATRIX_FILE) -> Matrix:
    data = tomllib.loads(path.read_text())
    kernels = tuple(
        KernelSpec(
            id=str(entry["id"]),
            description=str(entry.get("description", "")),
            release=str(entry["release"]),
            series=str(entry["series"]),
            packages=tuple(entry["packages"]),
        )
        for entry in data["kernel"]
    )
    matrix = Matrix(default=str(data["default"]), kernels=kernels)
    matrix.get(matrix.default)
    if len({k.id for k in kernels}) != len(kernels):
        raise ValueError(f"{path}: kernel ids must be unique")
    return matrix


def github_actions_matrix(matrix: Matrix) -> dict[str, list[dict[str, str]]]:
    """The matrix in the shape of a GitHub Actions `strategy.matrix` (`include` rows)."""
    return {"include": [{"kernel": k.id, "release": k.release} for k in matrix.kernels]}


if __name__ == "__main__":
    # Dependency-free entry point for CI engines: python3 -m harness.matrix
    import json

    print(json.dumps(github_actions_matrix(load())))
