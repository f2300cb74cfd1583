"""The seed document's examples (shared/seed/ray-tune-overview.md), passed through tunebook."""

from __future__ import annotations

import pytest
from ray import tune
from ray.tune.schedulers import ASHAScheduler

import tunebook as tb

pytestmark = pytest.mark.usefixtures("ray_session")


def evaluate_model(lr, batch_size):
    return 1.0 - abs(lr - 0.01) - abs(batch_size - 64) / 1000


def objective(config):  # as in the seed: returns a dict once
    score = evaluate_model(lr=config["lr"], batch_size=config["batch_size"])
    return {"score": score}


CONFIG = {"lr": tune.loguniform(1e-4, 1e-1), "batch_size": tune.choice([16, 32, 64, 128])}


def test_basic_tuning_example(storage):
    exp = tb.run(
        objective,
        CONFIG,
        metric="score",
        mode="max",
        num_samples=8,
        max_concurrent_trials=4,
        storage_path=storage,
        wait=True,
    )
    results = exp.results
    best_result = results.get_best_result("score", "max")
    assert set(best_result.config) == {"lr", "batch_size"}
    assert best_result.metrics["score"] == results.trials["last_score"].max()
    df = results.get_dataframe()
    assert len(df.head()) == 5 and {"score", "training_iteration", "config/lr"} <= set(df.columns)


def trainable(config):
    for step in range(1, 21):
        tb.report(score=config["q"] * step / 20)


def test_asha_scheduler_object_from_the_seed(storage):
    scheduler = ASHAScheduler(
        time_attr="training_iteration",
        metric="score",
        mode="max",
        max_t=100,
        grace_period=10,
        reduction_factor=2,
    )
    exp = tb.run(
        trainable,
        {"q": tb.grid([1.0, 0.5, 0.4, 0.3])},
        metric="score",
        mode="max",
        scheduler=scheduler,
        search="grid",
        storage_path=storage,
        wait=True,
    )
    trials = exp.results.trials.set_index("config/q")
    assert trials.loc[1.0, "status"] == "terminated" and trials.loc[1.0, "iterations"] == 20
    # pruned at a rung: the grace period (10), or the next (20) when a worse trial reached
    # rung 10 first, alone (the two CPUs run two trials at once, in either order)
    pruned = trials.loc[trials["status"] == "pruned", "iterations"]
    assert len(pruned) and set(pruned) <= {10, 20}, trials
    # the user's own ASHAScheduler object has its decisions recorded too
    decisions = exp.results.decisions
    assert set(decisions.loc[decisions["decision"] == "stop", "trial_id"]) == set(
        trials.loc[trials["status"] == "pruned", "trial_id"]
    )


def test_staged_search_spaces_from_the_seed(storage):
    coarse = tb.run(
        objective,
        {"lr": tune.loguniform(1e-5, 1e-1), "batch_size": tune.choice([32, 64, 128, 256])},
        metric="score",
        mode="max",
        num_samples=6,
        storage_path=storage,
        wait=True,
    )
    best_lr = coarse.results.best_config["lr"]
    best_batch_size = coarse.results.best_config["batch_size"]
    fine = tb.run(
        objective,
        {"lr": tune.uniform(best_lr * 0.5, best_lr * 2), "batch_size": best_batch_size},
        metric="score",
        mode="max",
        num_samples=4,
        storage_path=storage,
        wait=True,
    )
    assert set(fine.results.trials["config/batch_size"]) == {best_batch_size}
    assert fine.results.trials["config/lr"].between(best_lr * 0.5, best_lr * 2).all()


def test_basic_example_through_watch(storage):
    """The seed's first example, unchanged but for `tb.watch(tuner)` in place of `fit()`."""
    config = {"lr": tune.loguniform(1e-4, 1e-1), "batch_size": tune.choice([16, 32, 64, 128])}
    tuner = tune.Tuner(
        objective,
        param_space=config,
        tune_config=tune.TuneConfig(num_samples=8, max_concurrent_trials=4),
    )
    results = tb.watch(tuner, storage_path=storage)
    best_result = results.get_best_result("score", "max")
    assert set(best_result.config) == {"lr", "batch_size"}
    df = results.get_dataframe()
    assert len(df) == 8 and "score" in df.columns
