"""`make test` runs a long end-to-end test on the matrix's default kernel only; naming kernels
(--kernel, as `make matrix` does) runs it on each of them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from harness import matrix
from tests.conftest import (
    DEFAULT_KERNEL_ONLY,
    NAMED_KERNELS_ONLY,
    pytest_collection_modifyitems,
)


class Item:
    def __init__(self, kernel_id: str | None, marked: bool) -> None:
        self.callspec = SimpleNamespace(params={"kernel_id": kernel_id}) if kernel_id else None
        self.marked = marked
        self.added: list[Any] = []

    def get_closest_marker(self, name: str) -> object | None:
        return object() if self.marked and name == DEFAULT_KERNEL_ONLY else None

    def add_marker(self, mark: Any) -> None:
        self.added.append(mark)

    @property
    def skipped(self) -> bool:
        return any(m.name == "skip" for m in self.added)


def config(kernels: list[str], trees: list[str] | None = None) -> Any:
    options = {"kernel": kernels, "kernel_tree": trees or []}
    return SimpleNamespace(getoption=lambda name: options.get(name))


def other_kernel() -> str:
    m = matrix.load()
    return next(k for k in m.test_ids() if k != m.default)


def test_make_test_skips_a_long_test_on_every_kernel_but_the_default() -> None:
    default = matrix.load().default
    items = [Item(default, True), Item(other_kernel(), True), Item(other_kernel(), False)]
    pytest_collection_modifyitems(config([]), items)  # type: ignore[arg-type]
    assert [i.skipped for i in items] == [False, True, False]


@pytest.mark.parametrize("named", [["all"], ["6.12"], ["default"]])
def test_named_kernels_run_the_long_tests_on_each(named: list[str]) -> None:
    items = [Item(other_kernel(), True), Item(None, True)]
    pytest_collection_modifyitems(config(named), items)  # type: ignore[arg-type]
    assert not any(i.skipped for i in items)


def test_a_named_kernels_only_test_runs_only_where_kernels_are_named() -> None:
    default = matrix.load().default
    item = Item(default, False)
    item.get_closest_marker = lambda name: object() if name == NAMED_KERNELS_ONLY else None  # type: ignore[method-assign]
    pytest_collection_modifyitems(config([]), [item])  # type: ignore[arg-type]
    assert item.skipped
    named = Item(default, False)
    named.get_closest_marker = item.get_closest_marker  # type: ignore[method-assign]
    pytest_collection_modifyitems(config(["default"]), [named])  # type: ignore[arg-type]
    assert not named.skipped


def test_a_kernel_tree_is_a_named_kernel_and_runs_the_long_tests() -> None:
    items = [Item("tree:/src/linux", True)]
    pytest_collection_modifyitems(config([], ["/src/linux"]), items)  # type: ignore[arg-type]
    assert not items[0].skipped
