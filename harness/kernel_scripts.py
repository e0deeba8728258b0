"""Scripts of the kernel's scripts/ directory (checkpatch.pl, kernel-doc), taken from Debian's
linux-source package of a matrix kernel and cached per package version.

Debian's headers packages do not ship them; the source package does, inside a tarball from which
only the files asked for are extracted.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import apt
from harness.log import step
from harness.matrix import KernelSpec
from harness.paths import cache_dir


def fetch(spec: KernelSpec, cache: str, files: tuple[str, ...]) -> Path:
    """The folder holding `files` (names under scripts/) from linux-source-<series> of a matrix
    kernel, cached under `cache`."""
    package = f"linux-source-{spec.id}"
    version = apt.candidate_version(package)
    if version is None:
        apt.update_lists()
        version = apt.candidate_version(package)
    if version is None:
        raise RuntimeError(f"{package} is not in the archive")
    dest = cache_dir(cache) / f"{package}_{version}".replace("~", "_")
    if all((dest / name).exists() for name in files):
        return dest
    with (
        step(f"fetching {', '.join(files)} from {package} {version}"),
        tempfile.TemporaryDirectory(prefix="xs-scripts-") as tmp,
    ):
        work = Path(tmp)
        (deb,) = apt.download([package], version, work / "deb")
        apt.extract(deb, work / "root")
        (tarball,) = (work / "root" / "usr" / "src").glob("linux-source-*.tar.*")
        top = tarball.name.split(".tar.")[0]
        members = [f"{top}/scripts/{name}" for name in files]
        subprocess.run(["tar", "-xaf", str(tarball), "-C", tmp, *members], check=True)
        staging = dest.with_name(dest.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name in files:
            shutil.move(work / top / "scripts" / name, staging / name)
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)
    return dest
