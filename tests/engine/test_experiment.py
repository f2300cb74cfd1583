"""A running Experiment: stop, stop_trial, wait and a time budget, on the session's Ray."""

from __future__ import annotations

import time

import pytest

import tunebook as tb
from tests.objectives import quadratic
from tunebook.errors import OptionError

pytestmark = pytest.mark.usefixtures("ray_session")


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


def test_its_repr_reads_the_live_state_without_folding_again(storage, monkeypatch):
    from tunebook.results import ExperimentState

    folded: list[int] = []
    original = ExperimentState.add

    def counting(self, events):
        events = list(events)
        folded.append(len(events))
        return original(self, events)

    monkeypatch.setattr(ExperimentState, "add", counting)
    exp = tb.run(
        quadratic, {"x": tb.grid([0.1, 0.2])}, metric="loss", mode="min", storage_path=storage
    )
    exp.wait()
    for _ in range(5):
        line = repr(exp)
        exp._repr_html_()
    assert "[completed] 0 running, 2 terminated" in line
    assert sum(folded) == len(exp.results.events)  # each event folded once, not per repr
    assert exp.snapshot() is exp.results  # once it ended, nothing is copied


def short(config):
    for step in range(1, 15):
        tb.report(value=step)
        time.sleep(0.1)


def test_a_call_that_blocks_on_a_run_says_what_it_waits_for(storage, monkeypatch, capsys):
    monkeypatch.setattr("tunebook.engine._experiment.WAIT_LINE_S", 0.3)
    exp = tb.run(short, {}, metric="value", mode="max", name="blocked", storage_path=storage)
    results = exp.results  # blocks until the end
    lines = capsys.readouterr().out.splitlines()
    assert lines and lines[0].startswith("waiting for blocked to end: [running]"), lines
    assert results.status == "completed"
    quiet = tb.run(short, {}, metric="value", mode="max", storage_path=storage)
    assert quiet.wait(quiet=True) and capsys.readouterr().out == ""
