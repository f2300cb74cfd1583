"""``tb.attach``: a run whose driver is another process, followed through its record (no Ray):
its progress grows as the record does, Stop and Stop-this-trial are control events in the
record, it ends with the record, and a silent record reads as crashed."""

from __future__ import annotations

import time

import pytest

import tunebook as tb
from tunebook.errors import ExperimentFailed, OptionError
from tunebook.events import EVENTS_FILE, SILENT_AFTER_S, EventLog


def _record(folder, *, when=None):
    log = EventLog(folder / EVENTS_FILE)
    stamp = {} if when is None else {"time": when}
    log.append("experiment_started", name=folder.name, metric="loss", mode="min", **stamp)
    log.append("trial_started", trial_id="t1", config={"x": 0.5}, **stamp)
    log.append("result", trial_id="t1", iteration=1, metrics={"loss": 0.5}, **stamp)
    return log


def _until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_an_attached_run_follows_its_record_takes_stops_and_ends_with_it(tmp_path):
    log = _record(tmp_path / "far")
    exp = tb.attach("far", storage_path=str(tmp_path))
    assert exp.detached and not exp.done and exp.status == "running"
    assert len(exp.live.history) == 1
    log.append("result", trial_id="t1", iteration=2, metrics={"loss": 0.25})
    assert _until(lambda: len(exp.live.history) == 2)
    assert exp.live.best().metrics["loss"] == 0.25

    exp.stop_trial("t1")
    with pytest.raises(OptionError, match="no trial 'nope'"):
        exp.stop_trial("nope")
    exp.stop()
    controls = [e for e in EventLog.read(tmp_path / "far").events() if e["event"] == "control"]
    assert [(c["command"], c.get("trial_id")) for c in controls] == [
        ("stop_trial", "t1"),
        ("stop", None),
    ]
    assert {c["from"]["via"] for c in controls} == {"Experiment.stop_trial", "Experiment.stop"}

    log.append("trial_ended", trial_id="t1", status="stopped")
    log.append("experiment_ended", status="stopped")
    assert exp.wait(timeout=10)
    assert exp.status == "stopped"
    assert exp.results.trials["status"].tolist() == ["stopped"]
    assert tb.attach("far", storage_path=str(tmp_path)) is not exp  # ended: followed anew


def test_attaching_a_record_silent_since_its_driver_died_reads_crashed(tmp_path):
    _record(tmp_path / "dead", when=time.time() - SILENT_AFTER_S - 5)
    exp = tb.attach(tmp_path / "dead")
    assert exp.done and exp.status == "crashed"
    with pytest.raises(ExperimentFailed, match=r"lost its driver.*tb.resume\('dead'\)"):
        exp.wait()
    assert exp.snapshot().trials["status"].tolist() == ["interrupted"]


def test_attaching_what_is_not_there_names_the_latest(tmp_path):
    _record(tmp_path / "here")
    with pytest.raises(OptionError, match=r"no experiment 'gone' in .*Its latest: here\."):
        tb.attach("gone", storage_path=str(tmp_path))


def test_the_dashboard_of_an_attached_run_stops_it_through_the_record(tmp_path):
    log = _record(tmp_path / "shown")
    exp = tb.attach("shown", storage_path=str(tmp_path))
    board = tb.Dashboard(exp, start=False)
    assert not board.stop_button.disabled
    board.stop_button.click()
    (control,) = [e for e in EventLog.read(tmp_path / "shown").events() if e["event"] == "control"]
    assert control["command"] == "stop" and control["from"]["via"] == "the dashboard's Stop"
    log.append("experiment_ended", status="stopped")
    assert exp.wait(timeout=10)
