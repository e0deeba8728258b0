"""The pinned sparse: read from ci/tools.toml, cached by its pin, newest version by dpkg order."""

from __future__ import annotations

import functools
from dataclasses import replace

from harness import apt, sparse


def test_the_committed_pin_names_a_source_package_in_a_suite() -> None:
    source = sparse.pin()
    assert source.package == "sparse"
    assert source.suite and source.version


def test_the_cache_key_follows_the_pinned_version() -> None:
    source = sparse.pin()
    assert source.key() == sparse.pin().key()
    assert source.key() != replace(source, version=source.version + "+1").key()


def test_a_release_candidate_sorts_before_its_release() -> None:
    newest = max(
        ["0.6.4-4", "0.6.5~rc1-2", "0.6.5-1"], key=functools.cmp_to_key(apt._compare_versions)
    )
    assert newest == "0.6.5-1"
