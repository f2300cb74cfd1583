"""tb.run: a whole run recorded, and everything checked before anything runs (the Ray tests on
the session's Ray, 2 CPUs)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from ray import tune

import tunebook as tb
from tests.objectives import bowl, quadratic, zigzag
from tunebook.errors import OptionError, SpaceValueError


@pytest.mark.usefixtures("ray_session")
def test_a_run_records_every_trial_and_report(storage):
    exp = tb.run(
        quadratic,
        {"x": tb.uniform(0, 1), "opt": {"kind": tb.choice(["a", "b"])}},
        metric="loss",
        mode="min",
        num_samples=6,
        storage_path=storage,
        seed=0,
        wait=True,
    )
    assert exp.status == "completed" and exp.done
    results = exp.results
    trials = results.trials
    assert len(trials) == 6
    assert set(trials["status"]) == {"terminated"}
    assert trials["iterations"].tolist() == [5] * 6
    assert {"config/x", "config/opt/kind", "last_loss", "best_loss"} <= set(trials.columns)
    history = results.history
    assert len(history) == 30
    assert list(history.columns) == ["trial_id", "iteration", "time", "loss", "step_name", "warm"]
    first = history[history["trial_id"] == trials["trial_id"].iloc[0]]
    assert first["step_name"].tolist() == ["s1", "s2", "s3", "s4", "s5"]
    assert first["warm"].tolist() == [True, True, False, False, False]
    assert first["iteration"].tolist() == [1, 2, 3, 4, 5]
    best = results.best()
    assert best.metrics["loss"] == trials["best_loss"].min()
    assert best.config["x"] == pytest.approx(trials.loc[trials["best_loss"].idxmin(), "config/x"])
    # the folder holds the record, as JSON only, and loads into equal Results
    path = Path(exp.path)
    assert path.parent == Path(storage) and [p.name for p in path.iterdir()] == ["events.jsonl"]
    loaded = tb.load(path)
    pd.testing.assert_frame_equal(loaded.trials, trials)
    pd.testing.assert_frame_equal(loaded.history, history)
    assert loaded.best() == best
    assert loaded.space == tb.Space({"x": tb.uniform(0, 1), "opt": {"kind": tb.choice(["a", "b"])}})


@pytest.mark.usefixtures("ray_session")
@pytest.mark.parametrize(
    "stop", [{"training_iteration": 3}, lambda trial_id, result: result["training_iteration"] >= 3]
)
def test_stop_criteria_end_each_trial_where_they_say(storage, stop):
    exp = tb.run(quadratic, {"x": tb.grid([0.2, 0.8])}, metric="loss", mode="min", stop=stop,
                 storage_path=storage, wait=True)  # fmt: skip
    trials = exp.results.trials
    assert trials.iterations.tolist() == [3, 3] and set(trials.status) == {"terminated"}


@pytest.mark.usefixtures("ray_session")
def test_ray_tune_objects_are_accepted(storage):
    from ray.tune.schedulers import ASHAScheduler

    exp = tb.run(
        quadratic,
        {"x": tune.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_samples=2,
        scheduler=ASHAScheduler(max_t=5),
        storage_path=storage,
        wait=True,
    )
    assert len(exp.results.trials) == 2
    with pytest.raises(OptionError, match="optimises 'acc'"):
        tb.run(
            quadratic,
            {"x": tb.uniform(0, 1)},
            metric="loss",
            mode="min",
            scheduler=ASHAScheduler(metric="acc", mode="max"),
            storage_path=storage,
        )


@pytest.mark.usefixtures("ray_session")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scheduler": "ahsa"}, "unknown scheduler 'ahsa'.*Did you mean 'asha'"),
        ({"search": "tpee"}, "unknown search 'tpee'.*Did you mean 'tpe'"),
        ({"mode": "maximize"}, "mode must be 'max' or 'min'.*Did you mean 'max'"),
        ({"num_samples": 0}, "num_samples must be an integer >= 1"),
        ({"scheduler": "fifo", "max_t": 10}, "scheduler 'fifo' takes no max_t"),
        ({"scheduler": "asha", "reduction_factor": 1}, "reduction_factor must be greater than 1"),
        ({"search": "grid"}, "search='grid' needs grid values"),
        ({"resources_per_trial": {"cpu": 64}}, "cpu=64, but the largest node has 2"),
        ({"resources_per_trial": {"gpu": 1}}, "gpu=1, but no node has any"),
        ({"name": "a/b"}, "name 'a/b' must start"),
        ({"max_concurrent_trials": 0}, "max_concurrent_trials must be an integer >= 1"),
        ({"address": "ray://head:10001"}, "Ray Client address"),
        ({"address": "127.0.0.1:1"}, "already connected to Ray at .*cannot also connect"),
    ],
)
def test_bad_options_fail_before_anything_runs(storage, kwargs, message):
    options = {"metric": "loss", "mode": "min", "storage_path": storage, **kwargs}
    with pytest.raises(OptionError, match=message):
        tb.run(quadratic, {"x": tb.uniform(0, 1)}, **options)
    assert list(Path(storage).glob("*/events.jsonl")) == []


def test_bad_spaces_and_objectives_fail_before_anything_runs(storage):
    with pytest.raises(SpaceValueError, match="parameter 'x'"):
        tb.run(
            quadratic, {"x": tune.uniform(1, 0)}, metric="loss", mode="min", storage_path=storage
        )
    with pytest.raises(OptionError, match="search='tpe' cannot take grid values"):
        tb.run(
            quadratic,
            {"x": tb.grid([1])},
            metric="loss",
            mode="min",
            search="tpe",
            storage_path=storage,
        )
    with pytest.raises(OptionError, match="must take exactly one argument"):
        tb.run(
            lambda: None, {"x": tb.uniform(0, 1)}, metric="loss", mode="min", storage_path=storage
        )


def test_bohb_goes_with_its_scheduler(storage):
    with pytest.raises(OptionError, match="BOHB is a search and a scheduler"):
        tb.run(
            bowl,
            {"x": tb.uniform(0, 1), "y": 0.5},
            metric="loss",
            mode="min",
            scheduler="bohb",
            storage_path=storage,
        )


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("loss", "'loss:max' or 'loss:min'"),
        ("score:up", "must be max or min"),
        (3, "must be a metric's name"),
    ],
)
def test_checkpoint_score_errors(storage, score, message):
    with pytest.raises(OptionError, match=message):
        tb.run(zigzag, {"q": 1.0}, metric="score", mode="max", checkpoint_score=score)


def grows(config):
    """Reports the CPUs it holds; slow enough for the other trial to end first."""
    state = tb.restore() or {"step": 0}
    for step in range(state["step"], config["steps"]):
        time.sleep(0.3)
        cpus = tune.get_context().get_trial_resources().required_resources.get("CPU", 0)
        tb.report(score=step, cpus=cpus, state={"step": step + 1})


@pytest.mark.usefixtures("ray_session")
def test_adaptive_resources_give_a_finished_trials_cpu_to_the_running_one(storage):
    exp = tb.run(
        grows,
        {"steps": tb.grid([2, 14])},
        metric="score",
        mode="max",
        search="grid",
        adaptive_resources=True,
        storage_path=storage,
        wait=True,
    )
    results = exp.results
    trials = results.trials.set_index("config/steps")
    long = trials.loc[14, "trial_id"]
    assert (trials["status"] == "terminated").all() and trials.loc[14, "iterations"] == 14
    assert trials.loc[14, "resources"] == "cpu=2"
    started = [
        e["resources"]
        for e in results.events
        if e["event"] == "trial_started" and e["trial_id"] == long and "resources" in e
    ]
    assert started[0] == {"cpu": 1.0} and started[-1] == {"cpu": 2.0}
    history = results.history[results.history["trial_id"] == long]
    assert history["cpus"].iloc[0] == 1 and history["cpus"].iloc[-1] == 2
    # it went on from its state across the restart: each step reported once
    assert sorted(history["score"]) == list(range(14))
    assert results.settings["adaptive_resources"] is True
