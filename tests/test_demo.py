"""The demo's trial function, run for real on the session's Ray."""

from __future__ import annotations

from pathlib import Path

import pytest

import tunebook as tb

pytestmark = pytest.mark.usefixtures("ray_session")


def test_the_demo_objective_learns(tmp_path):
    """The demo's model reaches a good accuracy with a sensible config (no scheduler)."""
    from tunebook.demo import digits_objective

    exp = tb.run(
        digits_objective,
        {"hidden": 64, "alpha": 1e-4, "learning_rate": 1e-2, "batch_size": 64, "epochs": 10},
        metric="val_acc",
        mode="max",
        storage_path=str(tmp_path),
        wait=True,
    )
    assert exp.results.best().metrics["val_acc"] > 0.9
    assert Path(exp.path).is_dir()
