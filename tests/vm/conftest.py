"""Every VM test is guarded by the kernel-log scan of both guests."""

from __future__ import annotations

import pytest

from tests.conftest import KernelLog


@pytest.fixture(autouse=True)
def _guard_kernel_log(kernel_log: KernelLog) -> KernelLog:
    return kernel_log


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.vm)
