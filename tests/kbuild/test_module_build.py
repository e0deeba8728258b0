"""Our modules build for every matrix kernel: accepted by its .config, W=1 and sparse clean."""

from __future__ import annotations

import subprocess

from harness import kconfig
from harness.kernels import Kernel
from harness.modules import MODULES, Build


def test_matrix_kernel_satisfies_the_modules_kconfig(kernel: Kernel) -> None:
    assert kconfig.check(kernel.config) == []


def test_modules_build_without_warnings_at_w1_with_sparse(module_build: Build) -> None:
    assert "CHECK" in module_build.log, "sparse (C=2) did not run"
    assert module_build.warnings == []


def test_modules_carry_the_vermagic_of_their_kernel(module_build: Build, kernel: Kernel) -> None:
    for module in MODULES:
        vermagic = subprocess.run(
            ["modinfo", "-F", "vermagic", str(module_build.module(module))],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert vermagic.split()[0] == kernel.release, module
