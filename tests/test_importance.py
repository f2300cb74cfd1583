"""What mattered: Results.importance (Optuna's evaluators) on hand-made results."""

from __future__ import annotations

import pytest

import tunebook as tb
from tests.logs import finished
from tunebook.errors import OptionError


def test_importance_ranks_an_ignored_parameter_last():
    # f depends on x most, then on y, not at all on z (nor on the choice k)
    import random

    rng = random.Random(0)
    trials = []
    for _ in range(60):
        config = {
            "x": rng.uniform(0, 1),
            "y": rng.uniform(0, 1),
            "z": rng.uniform(0, 1),
            "k": rng.choice(["a", "b"]),
        }
        trials.append((config, -10 * (config["x"] - 0.3) ** 2 - 4 * (config["y"] - 0.7) ** 2))
    space = {
        "x": tb.uniform(0, 1),
        "y": tb.uniform(0, 1),
        "z": tb.uniform(0, 1),
        "k": tb.choice(["a", "b"]),
    }
    frame = finished(space, trials).importance()
    assert frame["parameter"].tolist()[:2] == ["x", "y"]
    assert frame["importance"].sum() == pytest.approx(1.0)
    assert set(frame["parameter"].tolist()[2:]) == {"z", "k"}
    assert frame.set_index("parameter").loc[["z", "k"], "importance"].max() < 0.05
    assert finished(space, trials).importance()["importance"].tolist() == (
        frame["importance"].tolist()  # seeded: the same numbers again
    )
    with pytest.raises(OptionError, match="evaluator must be one of"):
        finished(space, trials).importance(evaluator="shap")
