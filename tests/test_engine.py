"""The engine against a real local Ray (one per session, 2 CPUs)."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pandas as pd
import pytest
from ray import tune

import tunebook as tb
from tunebook.engine._control import StopControl
from tunebook.errors import OptionError, SpaceValueError

pytestmark = pytest.mark.usefixtures("ray_session")


def quadratic(config):
    for step in range(1, 6):
        tb.report(loss=(config["x"] - 0.3) ** 2 + 1 / step, step_name=f"s{step}", warm=step < 3)


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


def failing(config):
    tb.report(acc=config["x"])
    if config["x"] >= 2:
        raise ValueError(f"x={config['x']} is too large for this model")
    tb.report(acc=config["x"] + 1)


def test_a_trial_that_raises_is_recorded_with_its_traceback_and_the_others_finish(storage):
    exp = tb.run(
        failing,
        {"x": tb.grid([0, 1, 2, 3])},
        metric="acc",
        mode="max",
        storage_path=storage,
        search="grid",
        wait=True,
    )
    trials = exp.results.trials.set_index("config/x")
    assert trials.loc[[0, 1], "status"].tolist() == ["terminated", "terminated"]
    assert trials.loc[[2, 3], "status"].tolist() == ["error", "error"]
    error = trials.loc[2, "error"]
    assert "Traceback" in error and "ValueError: x=2 is too large for this model" in error
    assert "in failing" in error  # the user's frame is in the text
    assert trials.loc[2, "iterations"] == 1  # what it reported before failing is kept
    assert exp.results.best().config == {"x": 1}
    assert tb.load(exp.path).trials.set_index("config/x").loc[3, "error"] == trials.loc[3, "error"]


def test_returning_a_dict_once_is_a_report(storage):
    def once(config):
        return {"score": config["a"] * 2}

    exp = tb.run(
        once, {"a": tb.grid([1, 2])}, metric="score", mode="max", storage_path=storage, wait=True
    )
    assert exp.results.best().metrics == {"score": 4}
    assert exp.results.trials["iterations"].tolist() == [1, 1]


def slow(config):
    for step in range(1, 400):
        tb.report(value=step * config["speed"])
        time.sleep(0.05)


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_stop_ends_the_experiment_promptly_and_keeps_every_report(storage):
    exp = tb.run(
        slow, {"speed": tb.grid([1, 2, 3])}, metric="value", mode="max", storage_path=storage
    )
    wait_for(lambda: len(exp.snapshot().trials) == 2 and len(exp.snapshot().history) >= 10)
    asked = time.monotonic()
    exp.stop()
    assert exp.wait(timeout=30)
    took = time.monotonic() - asked
    assert took < 15, f"stop took {took:.1f} s"
    assert exp.status == "stopped"
    results = exp.results
    assert set(results.trials["status"]) <= {"stopped"}
    assert results.trials["status"].tolist().count("stopped") >= 2  # the two that were running
    assert len(results.history) >= 10
    on_disk = tb.load(exp.path)
    assert len(on_disk.history) == len(results.history)
    assert on_disk.status == "stopped"


def test_stop_trial_ends_one_trial_only(storage):
    def steady(config):
        for step in range(1, 41):
            tb.report(value=step)
            time.sleep(0.05)

    exp = tb.run(
        steady, {"k": tb.grid(["a", "b"])}, metric="value", mode="max", storage_path=storage
    )
    wait_for(lambda: len(exp.snapshot().trials) == 2 and len(exp.snapshot().history) >= 4)
    victim = exp.snapshot().trials["trial_id"].iloc[0]
    exp.stop_trial(victim)
    exp.wait(timeout=60)
    trials = exp.results.trials.set_index("trial_id")
    assert trials.loc[victim, "status"] == "stopped"
    assert trials.loc[victim, "iterations"] < 40
    other = [t for t in trials.index if t != victim][0]
    assert trials.loc[other, "status"] == "terminated" and trials.loc[other, "iterations"] == 40
    assert exp.status == "completed"
    with pytest.raises(OptionError, match="no trial 'nope'"):
        exp.stop_trial("nope")


def test_asha_prunes_and_the_log_says_so(storage):
    def curves(config):
        for step in range(1, 13):
            tb.report(acc=config["q"] * (1 - 1 / (step + 1)))

    exp = tb.run(
        curves,
        {"q": tb.grid([0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])},
        metric="acc",
        mode="max",
        scheduler="asha",
        max_t=12,
        grace_period=1,
        reduction_factor=2,
        search="grid",
        storage_path=storage,
        wait=True,
    )
    trials = exp.results.trials.set_index("config/q")
    assert trials.loc[0.8, "status"] == "terminated" and trials.loc[0.8, "iterations"] == 12
    pruned = trials[trials["status"] == "pruned"]
    assert len(pruned) >= 3
    assert (pruned["iterations"] < 12).all()
    # every rung decision is an event; the stopped trials are exactly those with a stop
    decisions = exp.results.decisions
    assert list(decisions.columns) == [
        "trial_id",
        "bracket",
        "rung",
        "value",
        "cutoff",
        "decision",
        "time",
    ]
    stopped = set(decisions.loc[decisions["decision"] == "stop", "trial_id"])
    assert stopped == set(
        exp.results.trials.loc[exp.results.trials["status"] == "pruned", "trial_id"]
    )
    for _, row in decisions[decisions["decision"] == "stop"].iterrows():
        assert row["value"] < row["cutoff"]  # ASHA stops what falls below the cut-off
        trial = exp.results.trials.set_index("trial_id").loc[row["trial_id"]]
        assert trial["iterations"] == row["rung"] == trial["stopped_at"]
    assert decisions["rung"].isin([1, 2, 4, 8]).all()  # grace 1, reduction factor 2


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


def test_time_budget_stops_the_run(storage):
    exp = tb.run(
        slow,
        {"speed": tb.uniform(1, 2)},
        metric="value",
        mode="max",
        num_samples=4,
        time_budget_s=10,
        storage_path=storage,
        wait=True,
    )
    assert exp.status == "timed_out"
    trials = exp.results.trials
    assert len(trials) >= 1 and set(trials["status"]) == {"stopped"}
    assert (trials["iterations"] < 399).all()


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


def test_the_address_of_the_cluster_this_process_is_on_is_that_cluster():
    import ray

    from tunebook.engine import ensure_ray

    current = ray.get_runtime_context().gcs_address
    assert ensure_ray(current) == current
    assert ensure_ray("auto") == current


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


def test_report_outside_a_trial_says_what_to_do():
    with pytest.raises(tb.TunebookError, match="outside a trial"):
        tb.report(acc=1)


def test_the_stop_control_pickles_without_its_lock():
    control = StopControl()
    control.request_stop_trial("t1")
    again = pickle.loads(pickle.dumps(control))
    assert again("t1", {}) and not again("t2", {}) and not again.stop_all()
    control.request_stop_all()
    assert pickle.loads(pickle.dumps(control)).stop_all()


def test_the_local_ray_listens_on_loopback_only():
    import ray

    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}


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


def test_asha_decisions_in_min_mode_are_in_the_metrics_own_sign(storage):
    def losses(config):
        for step in range(1, 9):
            tb.report(loss=config["q"] / step)

    exp = tb.run(
        losses,
        {"q": tb.grid([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])},
        metric="loss",
        mode="min",
        scheduler="asha",
        max_t=8,
        grace_period=1,
        reduction_factor=2,
        search="grid",
        storage_path=storage,
        wait=True,
    )
    decisions = exp.results.decisions
    stops = decisions[decisions["decision"] == "stop"]
    assert len(stops) >= 2
    assert (stops["value"] > stops["cutoff"]).all()  # a loss above the cut-off is cut
    assert (decisions["value"] > 0).all()  # losses as reported, not Ray's negated scores


def bowl(config):
    for step in range(1, 5):
        tb.report(loss=(config["x"] - 0.3) ** 2 + (config["y"] - 0.7) ** 2 + 1 / step)


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


@pytest.mark.parametrize("search", ["random", "bohb"])
def test_hyperband_and_bohb_halvings_are_recorded(storage, search):
    def climb(config):
        for step in range(1, 10):
            tb.report(acc=config["q"] * step)

    scheduler = "bohb" if search == "bohb" else "hyperband"
    exp = tb.run(
        climb,
        {"q": tb.uniform(0, 1)},
        metric="acc",
        mode="max",
        num_samples=9,
        scheduler=scheduler,
        search=search,
        max_t=9,
        reduction_factor=3,
        seed=4,
        storage_path=storage,
        wait=True,
    )
    trials, decisions = exp.results.trials, exp.results.decisions
    assert len(decisions) > 0
    stopped = set(decisions.loc[decisions["decision"] == "stop", "trial_id"])
    assert stopped == set(trials.loc[trials["status"] == "pruned", "trial_id"])
    for _, row in decisions.iterrows():  # kept trials are at or above the cut-off
        if row["decision"] == "continue":
            assert row["value"] >= row["cutoff"]
        else:
            assert row["value"] <= row["cutoff"]


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
