"""Resources, adaptive resources, checkpoints and Ray Train trainers, on the session's Ray
(2 CPUs, no GPU)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import ray.cloudpickle
from ray import tune

import tunebook as tb
from tunebook.engine._report import STATE_FILE
from tunebook.errors import OptionError

pytestmark = pytest.mark.usefixtures("ray_session")

#: The score each step reports: best at step 3, worse after it.
SCORES = [0.1, 0.5, 0.9, 0.4, 0.2]


def zigzag(config):
    state = tb.restore() or {"step": 0}
    for step in range(state["step"], len(SCORES)):
        tb.report(score=SCORES[step] * config["q"], state={"step": step + 1})


def two_zigzags(storage: str, **options):
    """Two trials of ``zigzag`` (q = 1 and 2) to the end."""
    return tb.run(
        zigzag,
        {"q": tb.grid([1.0, 2.0])},
        metric="score",
        mode="max",
        search="grid",
        storage_path=storage,
        wait=True,
        **options,
    )


def saved_step(path: str) -> int:
    with open(Path(path) / STATE_FILE, "rb") as file:
        return ray.cloudpickle.load(file)["step"]


def test_checkpoints_kept_and_the_best_ones_path(storage):
    exp = two_zigzags(storage, keep_checkpoints=2, checkpoint_score="score")
    results = exp.results
    # kept: the two best by score (steps 3 and 2), and the latest (Ray resumes from it)
    assert results.trials["checkpoints"].tolist() == [3, 3]
    best = results.best()
    assert best.config == {"q": 2.0}
    assert sorted(saved_step(p) for p in best.checkpoints) == [2, 3, 5]
    assert saved_step(best.checkpoint) == 3  # the best one
    events = [e for e in results.events if e["event"] == "checkpoint"]
    assert len(events) == 2 * len(SCORES)  # every one was recorded, also those Ray deleted
    # the kept ones are exactly those of its checkpoints still on disk
    own = [e["path"] for e in events if e["trial_id"] == best.trial_id]
    assert [p for p in own if Path(p).exists()] == best.checkpoints
    # loaded from its folder, the record says the same
    assert tb.load(exp.path).best().checkpoint == best.checkpoint


def test_without_a_score_the_latest_checkpoint_is_the_one(storage):
    exp = tb.run(
        zigzag,
        {"q": 1.0},
        metric="score",
        mode="max",
        keep_checkpoints=1,
        storage_path=storage,
        wait=True,
    )
    best = exp.results.best()
    assert saved_step(best.checkpoint) == len(SCORES) and len(best.checkpoints) == 1


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


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ({"gpu": 0.5}, "gpu=0.5, but no node has any"),
        ({"CPU": 2, "GPU": 1}, "gpu=1, but no node has any.*Leave gpu out"),  # the seed's
        ({"cpu": 3}, "cpu=3, but the largest node has 2"),
    ],
)
def test_a_request_no_node_can_hold_fails_before_the_run(storage, resources, message):
    before = len(tb.engine.experiments())
    with pytest.raises(OptionError, match=message):
        tb.run(zigzag, {"q": 1.0}, metric="score", mode="max", resources_per_trial=resources)
    assert len(tb.engine.experiments()) == before


def test_resources_per_trial_are_recorded(storage):
    exp = two_zigzags(storage, resources_per_trial={"cpu": 2})
    trials = exp.results.trials
    assert trials["resources"].tolist() == ["cpu=2", "cpu=2"]
    # 2 CPUs each on a 2-CPU Ray: one after the other
    spans = exp.results.history.groupby("trial_id")["time"].agg(["min", "max"]).sort_values("min")
    assert spans["max"].iloc[0] <= spans["min"].iloc[1]


def grows(config):
    """Reports the CPUs it holds; slow enough for the other trial to end first."""
    state = tb.restore() or {"step": 0}
    for step in range(state["step"], config["steps"]):
        time.sleep(0.3)
        cpus = tune.get_context().get_trial_resources().required_resources.get("CPU", 0)
        tb.report(score=step, cpus=cpus, state={"step": step + 1})


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
