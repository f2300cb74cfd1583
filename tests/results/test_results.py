"""Results: the best trial, and a results folder loaded."""

from __future__ import annotations

import pandas as pd
import pytest

import tunebook as tb
from tests.logs import make_log
from tunebook.errors import MetricNotReportedError, OptionError
from tunebook.events import EVENTS_FILE, EventLog
from tunebook.results import Results


def test_best_by_best_report_and_by_last_report():
    results = Results(make_log())
    best = results.best()
    assert (best.trial_id, best.iteration, best.metrics) == ("a", 2, {"acc": 0.9, "phase": "b"})
    assert best.config == {"lr": 0.01, "model": {"depth": 3}}
    assert best.history["iteration"].tolist() == [1, 2, 3]
    assert results.best_config == best.config
    worst = results.best(mode="min")
    assert (worst.trial_id, worst.metrics["acc"]) == ("b", 0.4)
    ray_style = results.get_best_result("acc", "max")  # Ray's default scope: the last report
    assert (ray_style.trial_id, ray_style.metrics["acc"]) == ("a", 0.8)
    assert results.get_best_result("acc", "min").trial_id == "b"


def test_best_names_what_was_reported_instead():
    log = make_log()
    with pytest.raises(MetricNotReportedError, match="The trials reported: acc, phase"):
        Results(log).best("loss")
    with pytest.raises(OptionError, match="Did you mean 'max'"):
        Results(log).best(mode="maximize")


def test_load_reads_the_folder(tmp_path):
    log = make_log(tmp_path / EVENTS_FILE)
    log.close()
    loaded = tb.load(tmp_path)
    original = Results(log)
    pd.testing.assert_frame_equal(loaded.trials, original.trials)
    pd.testing.assert_frame_equal(loaded.history, original.history)
    assert loaded.path == tmp_path
    assert loaded.space == tb.Space(
        {"lr": tb.loguniform(1e-4, 1e-1), "model": {"depth": tb.randint(2, 10)}}
    )


def test_when_only_failed_trials_reported_the_metric_the_error_says_so():
    log = EventLog()
    log.append("experiment_started", name="e", metric="acc", mode="max")
    log.append("trial_started", trial_id="a", config={})
    log.append("result", trial_id="a", iteration=1, metrics={"acc": 0.9})
    log.append("trial_ended", trial_id="a", status="error", error="ValueError: diverged")
    with pytest.raises(
        MetricNotReportedError, match=r"only trials that failed reported `acc` \(a\)"
    ):
        Results(log).best()
