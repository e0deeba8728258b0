"""The committed GitHub Actions workflow is the one the kernel matrix generates: one job per
cell, each running that cell, with a cache key over everything the cache holds."""

from __future__ import annotations

from harness import matrix, workflow


def test_committed_workflow_is_what_the_matrix_generates() -> None:
    committed = workflow.WORKFLOW_FILE.read_text()
    assert committed == workflow.render(matrix.load()), (
        "the workflow drifted from ci/kernels.toml: run `.venv/bin/python -m harness workflow`"
    )


def test_every_cell_has_its_own_job_that_runs_that_cell() -> None:
    m = matrix.load()
    text = workflow.render(m)
    for spec in m.kernels:
        assert f"  {workflow.job_name(spec)}:\n" in text
        assert f"make matrix KERNEL={spec.id}\n" in text
    assert len({workflow.job_name(spec) for spec in m.kernels}) == len(m.kernels)


def test_cells_built_from_source_get_the_longer_timeout() -> None:
    m = matrix.load()
    text = workflow.render(m)
    for spec in m.kernels:
        job = text.split(f"  {workflow.job_name(spec)}:\n", 1)[1].split("\n\n", 1)[0]
        minutes = workflow.TIMEOUT_SOURCE if spec.source else workflow.TIMEOUT_PACKAGED
        assert f"timeout-minutes: {minutes}\n" in job, job
