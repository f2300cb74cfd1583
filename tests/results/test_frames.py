"""The DataFrames of Results (trials, history, Ray's get_dataframe) and its HTML summary, on
hand-made events."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.logs import make_log
from tunebook.errors import MetricNotReportedError
from tunebook.events import EventLog
from tunebook.results import Results


def test_trials_frame():
    trials = Results(make_log()).trials
    assert list(trials.columns) == [
        "trial_id",
        "status",
        "config/lr",
        "config/model/depth",
        "last_acc",
        "best_acc",
        "iterations",
        "stopped_at",
        "time",
        "node",
        "resources",
        "checkpoints",
        "error",
    ]
    assert trials["trial_id"].tolist() == ["a", "b", "c"]
    assert trials["status"].tolist() == ["terminated", "pruned", "error"]
    assert trials["config/model/depth"].tolist() == [3, 5, 9]
    assert trials["last_acc"].tolist()[:2] == [0.8, 0.4]
    assert trials["best_acc"].tolist()[:2] == [0.9, 0.6]
    assert math.isnan(trials["best_acc"][2])
    assert trials["iterations"].tolist() == [3, 2, 0]
    assert trials["time"].tolist() == [3.0, 1.5, 0.5]
    assert trials["error"][2].endswith("ValueError: lr too high")
    assert pd.isna(trials["error"][0])


def test_history_frame():
    history = Results(make_log()).history
    assert list(history.columns) == ["trial_id", "iteration", "time", "acc", "phase"]
    assert history["time"].tolist() == [1.0, 1.0, 2.0, 2.0, 3.0]  # seconds since the start
    assert history["acc"].tolist() == [0.5, 0.6, 0.9, 0.4, 0.8]
    assert history["phase"].fillna("-").tolist() == ["a", "-", "b", "-", "-"]


def test_empty_results_have_the_right_columns_and_clear_errors():
    log = EventLog()
    log.append("experiment_started", name="e", metric="acc", mode="max")
    results = Results(log)
    assert results.trials.empty and "status" in results.trials.columns
    assert "best_acc" in results.trials.columns
    assert results.history.empty and list(results.history.columns) == [
        "trial_id",
        "iteration",
        "time",
    ]
    with pytest.raises(
        MetricNotReportedError,
        match=r"no trial has reported `acc`; the trial function must call report\(acc=...\)",
    ):
        results.best()


def test_ray_names():
    results = Results(make_log())
    frame = results.get_dataframe()
    assert frame["trial_id"].tolist() == ["a", "b", "c"]
    assert frame["acc"].tolist()[:2] == [0.8, 0.4]
    assert frame["training_iteration"].tolist()[:2] == [3, 2]
    assert frame["config/model/depth"].tolist() == [3, 5, 9]
    best_rows = results.get_dataframe(filter_metric="acc", filter_mode="max")
    assert best_rows["acc"].tolist()[:2] == [0.9, 0.6]
    assert results.best().metrics_dataframe["acc"].tolist() == [0.5, 0.9, 0.8]  # a's reports


def test_the_summary_has_a_truncation_footer():
    log = EventLog()
    log.append("experiment_started", name="big", metric="acc", mode="max")
    for i in range(25):
        log.append("trial_started", trial_id=f"t{i}", config={"x": i})
        log.append("result", trial_id=f"t{i}", iteration=1, metrics={"acc": i / 100})
    lines = Results(log)._repr_mimebundle_()["text/plain"].splitlines()
    assert lines[-1].startswith("Showing the 10 best of 25 trials")
    assert lines[2].split()[0] == "t24" and "t0" not in [line.split()[0] for line in lines]
    assert "big" in repr(Results(log))


def test_best_first_lists_failed_trials_after_the_others():
    log = EventLog()
    log.append("experiment_started", name="e", metric="acc", mode="max")
    for trial, value, status in (
        ("a", 0.9, "error"),
        ("b", 0.6, "terminated"),
        ("c", 0.7, "pruned"),
    ):
        log.append("trial_started", trial_id=trial, config={})
        log.append("result", trial_id=trial, iteration=1, metrics={"acc": value})
        log.append("trial_ended", trial_id=trial, status=status)
    log.append("trial_started", trial_id="d", config={})  # no value yet
    results = Results(log)
    assert results.best().trial_id == "c"
    rows = results._repr_mimebundle_()["text/plain"].splitlines()[2:-1]
    assert [row.split()[0] for row in rows] == ["c", "b", "a", "d"]


def test_history_times_count_from_the_first_event_when_no_start_is_recorded():
    log = EventLog()
    log.append("trial_started", time=1.0, trial_id="a", config={})
    log.append("result", time=2.0, trial_id="a", iteration=1, metrics={"acc": 0.5})
    log.append("result", time=10.0, trial_id="a", iteration=2, metrics={"acc": 0.6})
    results = Results(log)
    assert results.history["time"].tolist() == [1.0, 9.0]
    assert results.progress().elapsed == 9.0
