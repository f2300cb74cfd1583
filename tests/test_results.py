from __future__ import annotations

import math

import pandas as pd
import pytest

import tunebook as tb
from tunebook.errors import MetricNotReportedError, OptionError
from tunebook.events import EVENTS_FILE, EventLog
from tunebook.results import Results


def make_log(path=None) -> EventLog:
    """Three trials: a finishes, b is pruned after 2 reports, c fails; times are exact."""
    log = EventLog(path)
    space = tb.Space({"lr": tb.loguniform(1e-4, 1e-1), "model": {"depth": tb.randint(2, 10)}})
    log.append(
        "experiment_started",
        time=100.0,
        name="exp",
        metric="acc",
        mode="max",
        space=space.to_dict(),
        total_trials=4,
    )
    log.append(
        "trial_started", time=100.5, trial_id="a", config={"lr": 0.01, "model": {"depth": 3}}
    )
    log.append(
        "trial_started", time=100.5, trial_id="b", config={"lr": 0.001, "model": {"depth": 5}}
    )
    log.append("result", time=101.0, trial_id="a", iteration=1, metrics={"acc": 0.5, "phase": "a"})
    log.append("result", time=101.0, trial_id="b", iteration=1, metrics={"acc": 0.6})
    log.append("result", time=102.0, trial_id="a", iteration=2, metrics={"acc": 0.9, "phase": "b"})
    log.append("result", time=102.0, trial_id="b", iteration=2, metrics={"acc": 0.4})
    log.append("trial_ended", time=102.0, trial_id="b", status="pruned")
    log.append("result", time=103.0, trial_id="a", iteration=3, metrics={"acc": 0.8})
    log.append("trial_ended", time=103.5, trial_id="a", status="terminated")
    log.append(
        "trial_started", time=103.5, trial_id="c", config={"lr": 0.05, "model": {"depth": 9}}
    )
    log.append(
        "trial_ended",
        time=104.0,
        trial_id="c",
        status="error",
        error="Traceback (most recent call last):\nValueError: lr too high",
    )
    log.append("experiment_ended", time=105.0, status="completed")
    return log


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


def test_best_names_what_was_reported_instead():
    log = make_log()
    with pytest.raises(MetricNotReportedError, match="The trials reported: acc, phase"):
        Results(log).best("loss")
    with pytest.raises(OptionError, match="Did you mean 'max'"):
        Results(log).best(mode="maximize")


def test_status_error_and_progress():
    results = Results(make_log())
    assert results.status == "completed" and results.name == "exp" and len(results) == 3
    progress = results.progress()
    assert (progress.terminated, progress.pruned, progress.errored, progress.pending) == (
        1,
        1,
        1,
        0,
    )
    assert progress.elapsed == 5.0 and progress.best == 0.9
    assert (
        progress.line()
        == "[completed] 0 running, 1 done, 1 pruned, 1 errored, 0 pending | 5.0 s | best acc 0.9"
    )
    assert results.errors == ["Traceback (most recent call last):\nValueError: lr too high"]


def test_running_results_count_pending_trials():
    log = make_log()
    events = [e for e in log.events() if e["event"] != "experiment_ended"]
    progress = Results(EventLog.from_events(events)).progress()
    assert progress.status == "running" and progress.pending == 1


def test_ray_names():
    results = Results(make_log())
    frame = results.get_dataframe()
    assert frame["trial_id"].tolist() == ["a", "b", "c"]
    assert frame["acc"].tolist()[:2] == [0.8, 0.4]
    assert frame["training_iteration"].tolist()[:2] == [3, 2]
    assert frame["config/model/depth"].tolist() == [3, 5, 9]
    best_rows = results.get_dataframe(filter_metric="acc", filter_mode="max")
    assert best_rows["acc"].tolist()[:2] == [0.9, 0.6]
    assert results.best().metrics_dataframe is not None


def test_exports(tmp_path):
    results = Results(make_log())
    trials_csv = pd.read_csv(results.to_csv(tmp_path / "t.csv"))
    assert trials_csv["trial_id"].tolist() == ["a", "b", "c"]
    history_pq = pd.read_parquet(results.to_parquet(tmp_path / "h.parquet", table="history"))
    assert history_pq["acc"].tolist() == [0.5, 0.6, 0.9, 0.4, 0.8]
    trials_pq = pd.read_parquet(results.to_parquet(tmp_path / "t.parquet"))
    assert trials_pq["status"].tolist() == ["terminated", "pruned", "error"]
    trials_json = pd.read_json(results.to_json(tmp_path / "t.json"))
    assert trials_json["config/lr"].tolist() == [0.01, 0.001, 0.05]
    with pytest.raises(OptionError, match="Did you mean 'history'"):
        results.to_csv(tmp_path / "x.csv", table="histroy")


def test_decisions_export(tmp_path):
    log = make_log()
    log.append("decision", trial_id="b", bracket=0, rung=2, value=0.4, cutoff=0.6, decision="stop")
    decisions = pd.read_csv(Results(log).to_csv(tmp_path / "d.csv", table="decisions"))
    assert decisions[["trial_id", "rung", "value", "cutoff", "decision"]].values.tolist() == [
        ["b", 2, 0.4, 0.6, "stop"]
    ]


def test_mixed_type_columns_still_write_to_parquet(tmp_path):
    log = EventLog()
    log.append("experiment_started", name="e", metric="acc", mode="max")
    log.append("trial_started", trial_id="a", config={"act": 1})
    log.append("trial_started", trial_id="b", config={"act": "relu"})
    frame = pd.read_parquet(Results(log).to_parquet(tmp_path / "t.parquet"))
    assert frame["config/act"].tolist() == ["1", "relu"]


def test_html_summary_has_a_truncation_footer():
    log = EventLog()
    log.append("experiment_started", name="big", metric="acc", mode="max")
    for i in range(25):
        log.append("trial_started", trial_id=f"t{i}", config={"x": i})
        log.append("result", trial_id=f"t{i}", iteration=1, metrics={"acc": i / 100})
    page = Results(log)._repr_html_()
    assert "Showing the 10 best of 25 trials" in page
    assert "<td>t24</td>" in page and "<td>t0</td>" not in page
    assert "big" in repr(Results(log))


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
