"""tb.watch on plain Ray Tune code, on the session's Ray."""

from __future__ import annotations

import pytest
from ray import tune
from ray.tune.schedulers import ASHAScheduler

import tunebook as tb

pytestmark = pytest.mark.usefixtures("ray_session")


def objective(config):  # as in Ray's docs: tune.report with a dict
    for step in range(1, 21):
        tune.report({"score": config["lr"] * step})


def test_watch_runs_a_plain_tuner_and_returns_results(storage):
    tuner = tune.Tuner(
        objective,
        param_space={"lr": tune.loguniform(1e-4, 1e-1), "batch_size": tune.choice([16, 32])},
        tune_config=tune.TuneConfig(
            metric="score", mode="max", num_samples=6, scheduler=ASHAScheduler(grace_period=5)
        ),
        run_config=tune.RunConfig(stop={"training_iteration": 10}),
    )
    results = tb.watch(tuner, storage_path=storage)
    trials = results.trials
    assert len(trials) == 6
    assert set(trials["status"]) <= {"terminated", "pruned"}
    assert trials.loc[trials["status"] == "terminated", "iterations"].eq(10).all()  # stop={...}
    best = results.get_best_result("score", "max")
    assert best.metrics["score"] == trials["last_score"].max()
    assert set(results.get_dataframe()["config/batch_size"]) <= {16, 32}
    assert tb.load(results.path).settings["watched"] is True


def test_watch_keeps_the_tuners_own_callbacks(storage):
    seen = []

    class Counter(tune.Callback):
        def on_trial_result(self, iteration, trials, trial, result, **info):
            seen.append(result["score"])

    tuner = tune.Tuner(
        objective,
        param_space={"lr": 0.5},
        tune_config=tune.TuneConfig(metric="score", mode="max"),
        run_config=tune.RunConfig(callbacks=[Counter()]),
    )
    results = tb.watch(tuner, storage_path=storage)
    assert len(seen) == 20 and len(results.history) == 20


def slow(config):
    import time

    for step in range(1, 200):
        time.sleep(0.05)
        tune.report({"score": config["lr"] * step})


def test_watch_without_waiting_returns_the_running_experiment_its_dashboard_stops(storage):
    tuner = tune.Tuner(
        slow,
        param_space={"lr": tune.uniform(0, 1)},
        tune_config=tune.TuneConfig(metric="score", mode="max", num_samples=2),
    )
    exp = tb.watch(tuner, storage_path=storage, wait=False)
    assert isinstance(exp, tb.Experiment) and not exp.done  # the cell did not wait
    while exp.live.history.empty:
        exp.wait(timeout=0.05, quiet=True)
    board = tb.Dashboard(exp, start=False)
    board.stop_button.click()
    assert exp.wait(timeout=60) and exp.status == "stopped"
    assert exp.results.trials["iterations"].max() < 199
    (stop,) = [e for e in exp.results.events if e["event"] == "control"]
    assert stop["from"]["via"] == "the dashboard's Stop"
