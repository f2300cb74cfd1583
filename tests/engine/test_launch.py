"""One launch: tb.run and tb.watch record the same fields, grids counted either way."""

from __future__ import annotations

import pytest
from ray import tune

import tunebook as tb
from tunebook.engine._launch import FIELDS, total_trials


def trivial(config):
    tune.report({"v": config["k"] * config["x"]})


@pytest.mark.usefixtures("ray_session")
def test_watch_records_what_run_records_grids_counted(storage):
    tuner = tune.Tuner(
        trivial,
        param_space={"k": tune.grid_search([1, 2, 3]), "x": tune.uniform(0, 1)},
        tune_config=tune.TuneConfig(metric="v", mode="max", num_samples=2),
    )
    watched = tb.watch(tuner, storage_path=storage)
    ran = tb.run(
        trivial,
        {"k": tb.grid([1, 2, 3]), "x": tb.uniform(0, 1)},
        metric="v",
        mode="max",
        num_samples=2,
        storage_path=storage,
        wait=True,
    ).results
    assert (
        set(watched.settings)
        == set(ran.settings)
        == {*FIELDS, "name", "cluster", "ray_version", "driver", "unresumable"}
    )
    assert watched.settings["total_trials"] == ran.settings["total_trials"] == 6
    assert len(watched) == len(ran) == 6
    assert watched.progress().pending == ran.progress().pending == 0
    assert watched.settings["watched"] and not ran.settings["watched"]
    assert watched.settings["space"] == ran.settings["space"]


def test_grids_multiply_nested_ones_too():
    space = {"a": tune.grid_search([1, 2]), "m": {"b": tune.grid_search([1, 2, 3]), "c": 1}}
    assert total_trials(space, 2) == 12
    assert total_trials({"x": tune.uniform(0, 1)}, 5) == 5
    assert total_trials(space, -1) is None
