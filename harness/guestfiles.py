"""Files read out of the guest root image without mounting it (debugfs), with the shared
libraries a program needs, for an initramfs that must run the image's programs."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

# Debian's multiarch library directory, where the image keeps every shared library.
LIBDIR = PurePosixPath("/usr/lib/x86_64-linux-gnu")
MAX_LINKS = 16


def _debugfs(image: Path, request: str) -> bytes:
    run = subprocess.run(["debugfs", "-R", request, str(image)], check=True, capture_output=True)
    return run.stdout


def _link_target(image: Path, path: PurePosixPath) -> str | None:
    """Where a symlink in the image points; None for anything else."""
    stat = _debugfs(image, f'stat "{path}"').decode(errors="replace")
    if not re.search(r"Type: symlink", stat):
        return None
    fast = re.search(r'Fast link dest: "([^"]*)"', stat)
    if fast:
        return fast.group(1)
    # A long target lives in a data block, which cat prints.
    return _debugfs(image, f'cat "{path}"').decode()


def read(image: Path, path: PurePosixPath) -> bytes:
    """The content of a regular file of the image, following symlinks (/lib -> usr/lib)."""
    parts = path.parts[1:]
    current = PurePosixPath("/")
    links = 0
    while parts:
        candidate = current / parts[0]
        target = _link_target(image, candidate)
        if target is None:
            current, parts = candidate, parts[1:]
            continue
        links += 1
        if links > MAX_LINKS:
            raise RuntimeError(f"{image}: too many symlinks resolving {path}")
        base = PurePosixPath("/") if target.startswith("/") else current
        parts = (*PurePosixPath(target).parts[1 if target.startswith("/") else 0 :], *parts[1:])
        current = base
    resolved = PurePosixPath(*_normalized(current.parts))
    data = _debugfs(image, f'cat "{resolved}"')
    if not data:
        raise RuntimeError(f"{image}: {path} ({resolved}) is missing or empty")
    return data


def _normalized(parts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part == "..":
            if len(out) > 1:
                out.pop()
        elif part != ".":
            out.append(part)
    return out


def _elf_needs(data: bytes) -> tuple[str | None, list[str]]:
    """The program interpreter and the DT_NEEDED libraries of an ELF file (readelf)."""
    with tempfile.NamedTemporaryFile(suffix=".elf") as elf:
        elf.write(data)
        elf.flush()
        out = subprocess.run(
            ["readelf", "-l", "-d", "-W", elf.name], check=True, capture_output=True, text=True
        ).stdout
    interp = re.search(r"Requesting program interpreter: ([^\]]+)\]", out)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    return (interp.group(1) if interp else None), needed


def program_closure(image: Path, program: PurePosixPath) -> dict[PurePosixPath, bytes]:
    """A program of the image and every shared library it loads, keyed by the path each must
    have in a root without /lib symlinks (libraries in /lib/x86_64-linux-gnu, the loader
    where the program asks for it)."""
    files: dict[PurePosixPath, bytes] = {}
    pending: list[tuple[PurePosixPath, PurePosixPath]] = [(program, program)]
    seen: set[PurePosixPath] = set()
    while pending:
        source, dest = pending.pop()
        if dest in seen:
            continue
        seen.add(dest)
        data = read(image, source)
        files[dest] = data
        interp, needed = _elf_needs(data)
        if interp:
            pending.append((PurePosixPath(interp), PurePosixPath(interp)))
        for name in needed:
            pending.append((LIBDIR / name, PurePosixPath("/lib/x86_64-linux-gnu") / name))
    return files
