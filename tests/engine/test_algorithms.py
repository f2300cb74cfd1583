"""Schedulers and searches by name: their extras are checked before any trial, and a
scheduler's knobs reach the Ray object with the scheduler's own defaults."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

import tunebook as tb
from tests.objectives import bowl, quadratic
from tunebook.engine._algorithms import SEARCH_EXTRAS, scheduler
from tunebook.engine._ray_internals import scheduler_budget
from tunebook.errors import OptionError


def objective(config):
    tb.report(loss=config["x"])


@pytest.mark.parametrize(
    ("search", "package"),
    [(s, p) for s, (packages, _) in sorted(SEARCH_EXTRAS.items()) for p in packages],
)
def test_a_search_whose_package_is_missing_is_refused_before_anything_runs(
    search, package, monkeypatch, tmp_path
):
    monkeypatch.setitem(sys.modules, package, None)  # what Python does for a missing module
    extra = SEARCH_EXTRAS[search][1]
    message = rf"search='{search}' needs the {package} package.*pip install '{re.escape(extra)}'"
    with pytest.raises(OptionError, match=message):
        tb.run(
            objective,
            {"x": tb.uniform(0, 1)},
            metric="loss",
            mode="min",
            search=search,
            storage_path=str(tmp_path),
        )
    assert list(Path(tmp_path).iterdir()) == []  # no folder: nothing started


def test_knobs_reach_the_scheduler_with_its_own_defaults():
    space = tb.Space({"x": tb.uniform(0, 1)})
    asha, label = scheduler("asha", {}, space)
    assert label == "asha" and scheduler_budget(asha) == ("training_iteration", 100.0)
    hyperband, _ = scheduler("hyperband", {"max_t": 9}, space)
    assert scheduler_budget(hyperband) == ("training_iteration", 9.0)
    with pytest.raises(OptionError, match=r"scheduler 'median' takes no max_t \(it takes "):
        scheduler("median", {"max_t": 3}, space)
    with pytest.raises(OptionError, match=r"grace_period \(5\) must not exceed max_t \(3\)"):
        scheduler("asha", {"max_t": 3, "grace_period": 5}, space)


@pytest.mark.usefixtures("ray_session")
def test_seeded_random_search_repeats_its_configs(storage):
    configs = []
    for _ in range(2):
        exp = tb.run(
            quadratic,
            {"x": tb.uniform(0, 1)},
            metric="loss",
            mode="min",
            num_samples=3,
            seed=7,
            storage_path=storage,
            wait=True,
        )
        configs.append(sorted(exp.results.trials["config/x"]))
    assert configs[0] == configs[1]


@pytest.mark.usefixtures("ray_session")
def test_tpe_search_runs(storage):
    exp = tb.run(
        quadratic,
        {"x": tb.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_samples=4,
        search="tpe",
        seed=0,
        storage_path=storage,
        wait=True,
    )
    assert len(exp.results.trials) == 4 and exp.results.progress().terminated == 4


@pytest.mark.usefixtures("ray_session")
def test_max_concurrent_trials_holds_with_random_search(storage):
    def overlap(config):
        for _ in range(5):
            tb.report(t=time.time())
            time.sleep(0.05)

    exp = tb.run(
        overlap,
        {"x": tb.uniform(0, 1)},
        metric="t",
        mode="max",
        num_samples=4,
        max_concurrent_trials=1,
        seed=3,
        storage_path=storage,
        wait=True,
    )
    spans = exp.results.history.groupby("trial_id")["t"].agg(["min", "max"]).sort_values("min")
    assert (spans["min"].iloc[1:].to_numpy() >= spans["max"].iloc[:-1].to_numpy()).all()


@pytest.mark.usefixtures("ray_session")
@pytest.mark.parametrize(
    "search", ["random", "tpe", "gp", "qmc", "cmaes", "hyperopt", "bohb", "bayesopt"]
)
def test_every_search_name_runs_to_the_end(storage, search):
    exp = tb.run(
        bowl,
        {"x": tb.uniform(0, 1), "y": tb.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_samples=6,
        search=search,
        seed=0,
        max_concurrent_trials=1,
        storage_path=storage,
        wait=True,
    )
    trials = exp.results.trials
    assert len(trials) == 6 and set(trials["status"]) <= {"terminated", "pruned"}
    assert exp.results.settings["search"] == search
    # max_concurrent_trials holds with every searcher: one trial at a time, on 2 CPUs (BOHB's
    # HyperBand pauses trials and resumes them later: their spans overlap, their runs do not)
    spans = exp.results.history.groupby("trial_id")["time"].agg(["min", "max"]).sort_values("min")
    if search != "bohb":
        assert (spans["min"].iloc[1:].to_numpy() >= spans["max"].iloc[:-1].to_numpy()).all()
    if search == "bohb":  # BOHB's HyperBand comes with it
        assert exp.results.settings["scheduler"] == "bohb"


@pytest.mark.usefixtures("ray_session")
@pytest.mark.parametrize("scheduler", ["fifo", "asha", "hyperband", "median"])
def test_every_scheduler_name_runs_to_the_end(storage, scheduler):
    knobs = {"max_t": 4} if scheduler in ("asha", "hyperband") else {}
    exp = tb.run(
        bowl,
        {"x": tb.uniform(0, 1), "y": tb.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_samples=4,
        scheduler=scheduler,
        seed=1,
        storage_path=storage,
        wait=True,
        **knobs,
    )
    assert exp.status == "completed" and len(exp.results.trials) == 4
    assert set(exp.results.trials["status"]) <= {"terminated", "pruned"}


def test_a_search_that_needs_a_missing_extra_names_it(monkeypatch, storage):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "hyperopt" else real(name, *a)
    )
    with pytest.raises(OptionError, match=r"pip install 'tunebook\[hyperopt\]'"):
        tb.run(
            bowl,
            {"x": tb.uniform(0, 1), "y": 0.5},
            metric="loss",
            mode="min",
            search="hyperopt",
            storage_path=storage,
        )


@pytest.mark.usefixtures("ray_session")
def test_asha_brackets(storage):
    exp = tb.run(
        bowl,
        {"x": tb.uniform(0, 1), "y": tb.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_samples=8,
        scheduler="asha",
        max_t=4,
        brackets=2,
        seed=2,
        storage_path=storage,
        wait=True,
    )
    assert set(exp.results.decisions["bracket"]) <= {0, 1}
    with pytest.raises(OptionError, match="scheduler 'fifo' takes no brackets"):
        tb.run(
            bowl, {"x": 0.1, "y": 0.2}, metric="loss", mode="min", brackets=2, storage_path=storage
        )
    with pytest.raises(OptionError, match="brackets must be a whole number"):
        tb.run(
            bowl,
            {"x": 0.1, "y": 0.2},
            metric="loss",
            mode="min",
            scheduler="asha",
            brackets=1.5,
            storage_path=storage,
        )


@pytest.mark.usefixtures("ray_session")
def test_gp_models_after_its_random_start(storage):
    """Optuna's GPSampler samples its first 10 trials at random, then fits a Gaussian process
    (torch) to choose each next one: 14 trials run the fitted part too."""
    exp = tb.run(
        bowl,
        {"x": tb.uniform(0, 1), "y": tb.loguniform(0.1, 1.0), "kind": tb.choice(["a", "b"])},
        metric="loss",
        mode="min",
        num_samples=14,
        search="gp",
        seed=0,
        max_concurrent_trials=1,
        storage_path=storage,
        wait=True,
    )
    trials = exp.results.trials
    assert exp.status == "completed" and len(trials) == 14
    assert trials["config/y"].between(0.1, 1.0).all()
    assert set(trials["config/kind"]) <= {"a", "b"}
    best = exp.results.best().config
    assert abs(best["x"] - 0.3) < 0.25 and abs(best["y"] - 0.7) < 0.25
