"""One trial as the events tell it: its curve's breaks, its best and last reports, and the
checkpoints Ray keeps."""

from __future__ import annotations

import math

from tunebook.results import Segment, TrialState
from tunebook.results._trials import chosen_checkpoint


def trial_with(iterations: list[int], metrics: list[dict]) -> TrialState:
    trial = TrialState("a", 0, {"h": 1}, started=0.0)
    trial.iterations = iterations
    trial.reports = [
        {"event": "result", "iteration": i, "metrics": m}
        for i, m in zip(iterations, metrics, strict=True)
    ]
    names = {name for m in metrics for name in m}
    trial.values = {name: [m.get(name) for m in metrics] for name in sorted(names)}
    return trial


def test_a_curve_breaks_where_a_segment_begins_and_where_a_retry_goes_back():
    trial = trial_with(
        [1, 2, 3, 4, 2, 3],
        [{"acc": 0.1}, {"loss": 1.0}, {"acc": 0.3}, {"acc": 0.4}, {"acc": 0.2}, {"acc": 0.5}],
    )
    trial.segments = [Segment(0, 0, {"h": 1}), Segment(3, 3, {"h": 2}, donor="b")]
    xs, ys = trial.series("acc")
    # iteration 2 has no acc; a NaN before report 3 (an exploit's segment begins), and before
    # the retry's iteration 2
    assert xs == [1, 3, 4, 4, 2, 2, 3]
    assert [y for y in ys if not math.isnan(y)] == [0.1, 0.3, 0.4, 0.2, 0.5]
    assert [k for k, y in enumerate(ys) if math.isnan(y)] == [2, 4]
    assert trial.series("f1") == ([], [])


def test_best_and_last_report_skip_what_is_no_number():
    trial = trial_with(
        [1, 2, 3, 4],
        [{"acc": 0.5}, {"acc": 0.9, "loss": 1.0}, {"acc": 0.9}, {"acc": "n/a", "loss": 0.2}],
    )
    assert trial.best_report("acc", "max")["iteration"] == 2  # the first of the best
    assert trial.best_report("acc", "min")["iteration"] == 1
    assert trial.best_report("loss", "min")["iteration"] == 4
    assert trial.last_report("acc")["iteration"] == 3  # "n/a" is not a value of acc
    assert trial.best_report("f1", "max") is None and trial.last_report("f1") is None


def test_kept_checkpoints_are_those_on_disk_until_the_end_records_them(tmp_path):
    deleted, kept = tmp_path / "checkpoint_000000", tmp_path / "checkpoint_000001"
    kept.mkdir()
    trial = trial_with([1, 2], [{"acc": 0.9}, {"acc": 0.5}])
    trial.checkpoints = [
        {"event": "checkpoint", "iteration": 1, "path": str(deleted)},
        {"event": "checkpoint", "iteration": 2, "path": str(kept)},
    ]
    assert trial.kept_checkpoints() == [str(kept)]  # Ray deleted the other one
    trial.kept = [str(deleted), str(kept)]  # as its trial_ended event recorded them
    assert trial.kept_checkpoints() == [str(deleted), str(kept)]


def test_the_checkpoint_to_use_is_the_best_kept_by_its_score_else_the_latest(tmp_path):
    trial = trial_with([1, 2, 3], [{"acc": 0.5}, {"acc": 0.9}, {"acc": 0.7}])
    paths = [str(tmp_path / f"checkpoint_00000{i}") for i in range(3)]
    trial.checkpoints = [
        {"event": "checkpoint", "iteration": i + 1, "path": p} for i, p in enumerate(paths)
    ]
    trial.kept = list(paths)
    assert chosen_checkpoint(trial, {"metric": "acc", "mode": "max"}) == paths[1]
    assert chosen_checkpoint(trial, {"metric": "acc", "mode": "min"}) == paths[0]
    assert chosen_checkpoint(trial, None) == paths[2]
    assert chosen_checkpoint(trial, {"metric": "loss", "mode": "min"}) == paths[2]  # unscored
    trial.kept = []
    assert chosen_checkpoint(trial, None) is None
