"""The GitHub Actions workflow of the kernel matrix, generated from ci/kernels.toml.

One job per matrix cell runs `make matrix KERNEL=<id>` (the kernel, the module builds with W=1
and with sparse, the kernel-build and VM tests of that cell, and the summary table); one more
job runs the checks that do not depend on a kernel. The file is committed so that users see
and run it as it is; `python -m harness workflow` rewrites it, and a unit test fails when the
committed file drifts from what the matrix says.
"""

from __future__ import annotations

import re

from harness.matrix import KernelSpec, Matrix
from harness.paths import REPO

WORKFLOW_FILE = REPO / ".github" / "workflows" / "kernel-matrix.yml"
RUNNER = "ubuntu-24.04"
IMAGE = "debian:12"
# A cell with a packaged kernel fits in CI's budget; one built from source adds the build
# (about 20 minutes cold on two cores, more for the debug kernel, whose tests also run slower).
TIMEOUT_PACKAGED = 90
TIMEOUT_SOURCE = 300
# What the cache key hashes: everything that decides what lands in ~/.cache/xsigo-linux.
CACHE_INPUTS = (
    "ci/kernels.toml",
    "ci/tools.toml",
    "ci/kconfig/**",
    "harness/guest/**",
    "harness/image.py",
    "harness/initramfs.py",
    "harness/srckernel.py",
    "harness/sparse.py",
)
BOOTSTRAP = (
    "apt-get update -q && apt-get install -y -q --no-install-recommends make python3 python3-venv"
)

HEADER = """\
# Generated from ci/kernels.toml by `python -m harness workflow`; do not edit by hand.
# tests/unit/test_workflow.py fails when this file and the matrix disagree.
#
# One job per kernel cell runs `make matrix KERNEL=<id>`: the kernel (fetched, or built from
# Debian's source), the modules with W=1 and with sparse, and that cell's kernel-build and VM
# tests. The `checks` job runs what does not depend on a kernel.
name: kernel-matrix

on:
  push:
  pull_request:

jobs:
  checks:
    runs-on: {runner}
    timeout-minutes: 30
    container: {image}
    steps:
      - uses: actions/checkout@v4
      - run: {bootstrap}
      - run: make test PYTEST_ARGS=tests/unit
"""

CELL = """
  {job}:
    name: "{id}: {description}"
    runs-on: {runner}
    timeout-minutes: {timeout}
    container:
      image: {image}
      # mmdebstrap builds the guest root with chroot and mounts
      options: --privileged
    steps:
      - uses: actions/checkout@v4
      - run: {bootstrap}
      - uses: actions/cache@v4
        with:
          path: ~/.cache/xsigo-linux
          key: xs-{id}-${{{{ hashFiles({inputs}) }}}}
      - run: make matrix KERNEL={id}
      - if: always()
        uses: actions/upload-artifact@v4
        with:
          name: consoles-{id}
          path: artifacts/
"""


def job_name(spec: KernelSpec) -> str:
    return "kernel-" + re.sub(r"[^A-Za-z0-9]+", "-", spec.id).strip("-")


def render(matrix: Matrix) -> str:
    inputs = ", ".join(f"'{path}'" for path in CACHE_INPUTS)
    text = HEADER.format(runner=RUNNER, image=IMAGE, bootstrap=BOOTSTRAP)
    for spec in matrix.kernels:
        text += CELL.format(
            job=job_name(spec),
            id=spec.id,
            description=spec.description.replace('"', "'"),
            runner=RUNNER,
            image=IMAGE,
            timeout=TIMEOUT_SOURCE if spec.source else TIMEOUT_PACKAGED,
            bootstrap=BOOTSTRAP,
            inputs=inputs,
        )
    return text


def write(matrix: Matrix) -> bool:
    """Rewrite the committed workflow; True when it changed."""
    text = render(matrix)
    if WORKFLOW_FILE.exists() and WORKFLOW_FILE.read_text() == text:
        return False
    WORKFLOW_FILE.write_text(text)
    return True
