"""The recorder: what a run on the session's Ray (2 CPUs, no GPU) writes down: each trial's
status, error, output, reports, checkpoints and resources."""

from __future__ import annotations

from pathlib import Path

import pytest
import ray.cloudpickle

import tunebook as tb
from tests.objectives import SCORES, chatty, zigzag
from tunebook.engine._report import STATE_FILE

pytestmark = pytest.mark.usefixtures("ray_session")


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


def test_prints_and_warnings_of_a_trial_go_to_its_record(storage):
    exp = tb.run(
        chatty,
        {"x": tb.grid([1, 2])},
        metric="acc",
        mode="max",
        search="grid",
        storage_path=storage,
        wait=True,
    )
    outputs = {}
    for event in tb.load(exp.path).events:
        if event["event"] == "trial_output":
            outputs[event["trial_id"]] = outputs.get(event["trial_id"], "") + event["text"]
    assert len(outputs) == 2
    for text in outputs.values():
        assert "starting with" in text and "epoch 3" in text
    # Python shows a warning once per process: a reused worker shows it for its first trial
    assert any("UserWarning: this model is a toy" in text for text in outputs.values())


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


def test_resources_per_trial_are_recorded(storage):
    exp = two_zigzags(storage, resources_per_trial={"cpu": 2})
    trials = exp.results.trials
    assert trials["resources"].tolist() == ["cpu=2", "cpu=2"]
    # 2 CPUs each on a 2-CPU Ray: one after the other
    spans = exp.results.history.groupby("trial_id")["time"].agg(["min", "max"]).sort_values("min")
    assert spans["max"].iloc[0] <= spans["min"].iloc[1]


def test_a_trials_output_keeps_what_it_printed_without_rays_own_log_lines():
    from tunebook.engine._recorder import printed

    stream = (
        ":actor_name:ImplicitFunc\n"
        "epoch 1 loss 0.5\n"
        "2026-12-01 18:01:31,123\tINFO storage.py:579 -- Checkpoint successfully created at: "
        "Checkpoint(filesystem=local, path=/tmp/x)\n"
        "2026-12-01 18:01:31,456\tWARNING trainable.py:12 -- a warning the user should see\n"
        "INFO: the trial's own line\n"
    )
    assert printed(stream) == (
        "epoch 1 loss 0.5\n"
        "2026-12-01 18:01:31,456\tWARNING trainable.py:12 -- a warning the user should see\n"
        "INFO: the trial's own line\n"
    )
