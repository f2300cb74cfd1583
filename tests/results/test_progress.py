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
        == "[completed] 0 running, 1 done, 1 pruned, 1 errored, 0 pending | 5.0 s | best acc 0.9"
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
