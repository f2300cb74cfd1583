"""Every notebook in notebooks/ runs top to bottom in a real kernel (nbclient), on the session's
Ray, and is committed without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
#: Notebooks that start Ray Train runs or a cluster of their own: a minute or more each.
HEAVY = {"05-ray-train.ipynb", "06-cluster.ipynb"}


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    assert "widgets" not in notebook.metadata


@pytest.mark.usefixtures("ray_session")
@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=[pytest.mark.heavy] if p.name in HEAVY else []) for p in NOTEBOOKS],
    ids=lambda p: p.name,
)
def test_notebook_runs(path, tmp_path, monkeypatch):
    import ray

    # the kernel joins this session's Ray instead of starting a second one
    monkeypatch.setenv("RAY_ADDRESS", ray.get_runtime_context().gcs_address)
    monkeypatch.setenv("TUNEBOOK_RESULTS", str(tmp_path))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert list(tmp_path.glob("*/events.jsonl")), "the notebook's experiment wrote no record"
