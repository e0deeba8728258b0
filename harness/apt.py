"""Debian package plumbing: query the archive, download and unpack packages without installing."""

from __future__ import annotations

import fnmatch
import functools
import subprocess
from pathlib import Path

from harness.log import say


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


@functools.cache
def update_lists() -> None:
    """apt-get update, at most once per process."""
    say("apt-get update")
    _run(["apt-get", "update", "-q"])


def _shown_version(show: str) -> str | None:
    """The Version: of `apt-cache show --no-all-versions` output."""
    for line in show.splitlines():
        if line.startswith("Version: "):
            return line.split(": ", 1)[1].strip()
    return None


def _madison_lists(madison: str, version: str) -> bool:
    """Whether `apt-cache madison` output lists `version`."""
    return any(
        line.split("|")[1].strip() == version
        for line in madison.splitlines()
        if line.count("|") >= 2
    )


def _compare_versions(a: str, b: str) -> int:
    """Debian version order (dpkg's own comparison)."""
    if a == b:
        return 0
    lower = subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0
    return -1 if lower else 1


def candidate_version(package: str) -> str | None:
    """The version apt would download for a package, or None when the archive lacks it."""
    result = subprocess.run(
        ["apt-cache", "show", "--no-all-versions", package],
        text=True,
        capture_output=True,
    )
    return _shown_version(result.stdout)


def has_version(package: str, version: str) -> bool:
    """Whether the archive still offers `package` at exactly `version`."""
    result = subprocess.run(["apt-cache", "madison", package], text=True, capture_output=True)
    return _madison_lists(result.stdout, version)


def package_names_matching(glob: str) -> list[str]:
    """Package names in the archive matching a shell-style pattern."""
    result = _run(["apt-cache", "pkgnames"])
    return sorted(name for name in result.stdout.split() if fnmatch.fnmatchcase(name, glob))


def download(packages: list[str], version: str, dest: Path) -> list[Path]:
    """Download packages pinned to one version into dest; return the .deb files."""
    dest.mkdir(parents=True, exist_ok=True)
    _run(["apt-get", "download", "-q", *(f"{p}={version}" for p in packages)], cwd=dest)
    debs = sorted(dest.glob("*.deb"))
    if len(debs) != len(packages):
        raise RuntimeError(f"expected {len(packages)} packages in {dest}, found {len(debs)}")
    return debs


def extract(deb: Path, root: Path) -> None:
    _run(["dpkg-deb", "-x", str(deb), str(root)])


def installed_version(package: str) -> str | None:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status} ${Version}", package], text=True, capture_output=True
    )
    if result.returncode != 0 or not result.stdout.startswith("install ok installed"):
        return None
    return result.stdout.split()[-1]


def archive_uri(suite: str) -> str:
    """The archive URI this machine's apt configuration uses for a suite (e.g. bookworm)."""
    for attempt in range(2):
        result = _run(["apt-get", "indextargets", "--format", "$(REPO_URI) $(RELEASE)"])
        for line in result.stdout.splitlines():
            uri, _, release = line.partition(" ")
            if release == suite:
                return uri
        if attempt == 0:
            update_lists()
    raise RuntimeError(f"apt has no source for suite {suite}; add one to /etc/apt/sources.list")


KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class SuiteArchive:
    """A Debian suite this machine's apt does not list (sid, for the newest kernel source), with
    package lists of its own under the cache: nothing in /etc/apt changes. Its mirror is the one
    apt already uses for `base_suite`. With `sources`, it lists source packages (deb-src)
    instead of binary ones."""

    def __init__(
        self, suite: str, state: Path, base_suite: str = "bookworm", sources: bool = False
    ) -> None:
        self.suite = suite
        self.state = state
        self.base_suite = base_suite
        self.sources = sources
        self._updated = False

    def _options(self) -> list[str]:
        return [
            "-o", f"Dir::Etc::SourceList={self.state / 'sources.list'}",
            "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={self.state / 'lists'}",
            "-o", f"Dir::Cache={self.state / 'cache'}",
            "-o", "Dir::State::status=/dev/null",
        ]  # fmt: skip

    def update(self) -> None:
        """Fetch the suite's package lists, at most once per process."""
        if self._updated:
            return
        for sub in ("lists/partial", "cache/archives/partial"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        uri = archive_uri(self.base_suite)
        kind = "deb-src" if self.sources else "deb"
        line = f"{kind} [signed-by={KEYRING}] {uri} {self.suite} main\n"
        (self.state / "sources.list").write_text(line)
        say(f"apt-get update ({self.suite})")
        _run(["apt-get", *self._options(), "update", "-q"])
        self._updated = True

    def candidate_version(self, package: str) -> str | None:
        self.update()
        result = subprocess.run(
            ["apt-cache", *self._options(), "show", "--no-all-versions", package],
            text=True,
            capture_output=True,
        )
        return _shown_version(result.stdout)

    def has_version(self, package: str, version: str) -> bool:
        self.update()
        result = subprocess.run(
            ["apt-cache", *self._options(), "madison", package], text=True, capture_output=True
        )
        return _madison_lists(result.stdout, version)

    def pinned_or_newest(self, package: str, version: str, who: str, pin_file: str) -> str:
        """`version` while the suite still lists it, else the suite's newest, said loudly so
        that someone bumps the pin in `pin_file`. RuntimeError when the suite lacks `package`.
        `who` names the pin's owner in the messages."""
        if self.has_version(package, version):
            return version
        newest = self._newest_source(package) if self.sources else self.candidate_version(package)
        if newest is None:
            raise RuntimeError(f"{who}: {package} is not in {self.suite}")
        say(
            f"WARNING: {who}: {package} {version} is gone from {self.suite}; "
            f"building {newest}. Bump {pin_file}."
        )
        return newest

    def _newest_source(self, package: str) -> str | None:
        """The newest version of a source package the suite lists (with `sources`)."""
        self.update()
        result = subprocess.run(
            ["apt-cache", *self._options(), "showsrc", "--only-source", package],
            text=True,
            capture_output=True,
        )
        versions = [v for v in (_shown_version(p) for p in result.stdout.split("\n\n")) if v]
        if not versions:
            return None
        return max(versions, key=functools.cmp_to_key(_compare_versions))

    def download(self, package: str, version: str, dest: Path) -> Path:
        """Download one package at one version into dest; return the .deb."""
        self.update()
        dest.mkdir(parents=True, exist_ok=True)
        _run(["apt-get", *self._options(), "download", "-q", f"{package}={version}"], cwd=dest)
        (deb,) = dest.glob(f"{package}_*.deb")
        return deb

    def download_source(self, package: str, version: str, dest: Path) -> list[Path]:
        """Download one source package at one version into dest (apt checks every file against
        the suite's signed index); return its files."""
        self.update()
        dest.mkdir(parents=True, exist_ok=True)
        _run(
            ["apt-get", *self._options(), "source", "--download-only", "-q",
             f"{package}={version}"],
            cwd=dest,
        )  # fmt: skip
        return sorted(dest.iterdir())
