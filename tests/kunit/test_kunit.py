"""The wire checks' KUnit suites (kernel/testing/kunit/) pass, in a User-Mode Linux kernel built
from the kernel source the harness fetches (harness/kunit.py): cached by content, so only a
change to the suites, the checks or the wire headers builds again; booted once per session.
One test per suite, failing with the cases that failed and what KUnit said about them."""

from __future__ import annotations

import pytest

from harness import kunit


@pytest.fixture(scope="module")
def outcome() -> kunit.Outcome:
    return kunit.run()


@pytest.mark.parametrize("suite", kunit.suite_names())
def test_kunit_suite_passes(outcome: kunit.Outcome, suite: str) -> None:
    results = [r for r in outcome.results if r.suite == suite]
    assert results, f"suite {suite} did not run; the kernel said:\n{outcome.ktap[-4000:]}"
    leaves = [r for r in results if r.leaf]
    failed = [r for r in leaves if not r.ok]
    report = "\n".join(f"{r.name}:\n    " + "\n    ".join(r.diagnostics) for r in failed)
    assert not failed, f"{len(failed)} of {len(leaves)} cases failed:\n{report}"
    assert not [r.name for r in leaves if r.skipped]
    (verdict,) = [r for r in results if r.path == (suite,)]
    assert verdict.ok, verdict.diagnostics


def test_the_kernel_ran_the_suites_of_the_sources_and_no_other(outcome: kunit.Outcome) -> None:
    ran = [r.suite for r in outcome.results if len(r.path) == 1]
    assert sorted(ran) == sorted(kunit.suite_names()), outcome.ktap[-4000:]
