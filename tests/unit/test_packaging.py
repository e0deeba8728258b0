"""What an operator installs: `pip install .` gives a wheel of the director, xsadm and the wire
codecs, with the `xsigo-director` and `xsadm` commands, and nothing of the harness or tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness.paths import REPO

INSTALLED_PACKAGES = ("director", "xsadm", "xswire")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of the checkout (setuptools writes its egg-info
    into the source tree) with this venv's setuptools, so no index is needed."""
    src = tmp_path_factory.mktemp("src")
    shutil.copy(REPO / "pyproject.toml", src)
    for package in INSTALLED_PACKAGES:
        shutil.copytree(REPO / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
    )
    (built,) = out.glob("xsigo_linux-*.whl")
    return built


def test_the_wheel_holds_the_director_xsadm_and_the_codecs_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if "/" in name and ".dist-info" not in name}
    assert tops == set(INSTALLED_PACKAGES)
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "xsigo-director = director.__main__:main" in text
    assert "xsadm = xsadm.__main__:main" in text


def test_the_installed_commands_run_from_a_clean_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [venv / "bin" / "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)],
        check=True,
    )
    for command, says in (("xsigo-director", "ctl"), ("xsadm", "links")):
        run = subprocess.run(
            [venv / "bin" / command, "--help"], capture_output=True, text=True, cwd=tmp_path
        )
        assert run.returncode == 0, run.stderr
        assert says in run.stdout
