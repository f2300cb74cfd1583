"""search="bayesopt": the Searcher over bayesian-optimization 3.x, on the session's Ray."""

from __future__ import annotations

import pytest

import tunebook as tb
from tests.objectives import bowl
from tunebook.errors import OptionError

pytestmark = pytest.mark.usefixtures("ray_session")


def test_bayesopt_searches_numbers_only_and_finds_the_bowl(storage):
    exp = tb.run(
        bowl,
        {"x": tb.uniform(0, 1), "y": tb.loguniform(0.1, 1.0)},
        metric="loss",
        mode="min",
        num_samples=12,
        search="bayesopt",
        seed=0,
        max_concurrent_trials=1,
        storage_path=storage,
        wait=True,
    )
    trials = exp.results.trials
    assert trials["config/y"].between(0.1, 1.0).all()
    best = exp.results.best().config
    assert abs(best["x"] - 0.3) < 0.2 and abs(best["y"] - 0.7) < 0.2
    with pytest.raises(OptionError, match="search='bayesopt' searches numeric ranges"):
        tb.run(
            bowl,
            {"x": tb.choice([1, 2]), "y": 0.5},
            metric="loss",
            mode="min",
            search="bayesopt",
            storage_path=storage,
        )
