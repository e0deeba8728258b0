"""The initramfs writer produces archives that cpio(1) lists as written."""

from __future__ import annotations

import subprocess

from harness import cpio


def test_archive_lists_with_cpio_including_device_nodes() -> None:
    data = cpio.archive(
        [
            cpio.directory("dev"),
            cpio.char_device("dev/console", 5, 1),
            cpio.regular("init", b"#!/bin/sh\n", executable=True),
            cpio.symlink("bin/sh", "busybox"),
        ]
    )
    listing = subprocess.run(
        ["cpio", "-itv", "--quiet"], input=data, capture_output=True, check=True
    ).stdout.decode()
    lines = listing.splitlines()
    assert len(lines) == 4
    assert lines[1].startswith("crw-------") and "5,   1" in lines[1] and "dev/console" in lines[1]
    assert lines[2].startswith("-rwxr-xr-x") and lines[2].endswith("init")
    assert lines[3].endswith("bin/sh -> busybox")


def test_equal_inputs_give_identical_archives() -> None:
    entries = [cpio.regular("a", b"x")]
    assert cpio.archive(entries) == cpio.archive(entries)
