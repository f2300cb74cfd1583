"""Progress: counts by trial state, time and the best value, and its one-line form."""

from __future__ import annotations

from tests.logs import make_log
from tunebook.events import EventLog
from tunebook.results import Results


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
        == "[completed] 0 running, 1 terminated, 1 pruned, 1 error, 0 pending | 5.0 s"
        " | best acc 0.9"
    )
    assert results.errors == ["Traceback (most recent call last):\nValueError: lr too high"]


def test_running_results_count_pending_trials():
    log = make_log()
    events = [e for e in log.events() if e["event"] != "experiment_ended"]
    progress = Results(EventLog.from_events(events)).progress()
    assert progress.status == "running" and progress.pending == 1


def test_the_eta_is_for_a_run_that_goes_on_not_for_a_record_read_afterwards():
    log = make_log()
    events = [e for e in log.events() if e["event"] != "experiment_ended"]  # as if it died
    results = Results(EventLog.from_events(events))
    assert results.progress().eta is None  # a folder read later: its run may be dead
    live = results.progress(now=110.0)  # a run that goes on: 2 of 4 done in 10 s
    assert live.eta == 10.0 / 3 * 1 and "ETA 3 s" in live.line()
    assert Results(log).progress(now=110.0).eta is None  # it ended


def test_the_eta_is_unknown_until_enough_trials_have_ended():
    log = EventLog()
    log.append("experiment_started", time=100.0, name="e", metric="acc", mode="max", total_trials=8)
    for t in "abcd":
        log.append("trial_started", time=100.0, trial_id=t, config={})
    log.append("trial_ended", time=101.0, trial_id="a", status="pruned")  # an early stop
    early = Results(log).progress(now=102.0)
    assert early.eta is None and "ETA unknown" in early.line()  # not 8 x 1 s from one trial
    for t in "bcd":
        log.append("trial_ended", time=104.0, trial_id=t, status="terminated")
    assert Results(log).progress(now=104.0).eta == 4.0 / 4 * 4
