"""The fold, ``ExperimentState``: recorded runs (ASHA, HyperBand, PBT with exploits, errors,
retries, a stopped run, a time budget) replayed event by event. At every step the state the
live views advance by the new events only says what ``Results`` and the static report read
from the whole log so far say: one reading of the events."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from tests.logs import events, state
from tunebook.events import EventLog
from tunebook.figures import (
    curves_info,
    importance_info,
    lineage_info,
    parallel_info,
    report_html,
    rungs_info,
    table_info,
)
from tunebook.results import ExperimentState, Progress, Results

DATA = Path(__file__).resolve().parents[1] / "data"
LOGS = sorted(DATA.glob("*.jsonl"))


def events_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def facts(state: ExperimentState) -> dict:
    """Every fact the live views show, read off a state."""
    return {
        "progress": Progress.of(state),
        "trials": {
            t.trial_id: (t.status, t.config, t.best_index, t.node, t.stopped_at, len(t.segments))
            for t in state.trials.values()
        },
        "exploits": [(e["recipient"], e["trained"]) for e in state.exploits],
        "curves": curves_info(state),
        "table": table_info(state, limit=1000),
        "parallel": parallel_info(state),
        "rungs": rungs_info(state),
        "lineage": lineage_info(state),
        "importance": importance_info(state),
    }


def test_the_recorded_logs_cover_every_kind_of_run():
    kinds = {path.stem for path in LOGS}
    assert kinds >= {"asha", "hyperband", "pbt", "retries", "stopped", "budget"}
    everything = [e for path in LOGS for e in events_of(path)]
    seen = {e["event"] for e in everything}
    assert {"decision", "exploit", "trial_retried", "checkpoint"} <= seen
    ends = {e["status"] for e in everything if e["event"] == "trial_ended"}
    assert {"terminated", "pruned", "stopped", "error"} <= ends
    assert {e["status"] for e in everything if e["event"] == "experiment_ended"} >= {
        "completed",
        "stopped",
        "timed_out",
    }


@pytest.mark.parametrize("path", LOGS, ids=lambda path: path.stem)
def test_live_and_static_agree_at_every_event(path):
    events = events_of(path)
    live = ExperimentState()
    for k, event in enumerate(events, start=1):
        live.add([event])
        whole = ExperimentState()
        whole.add(events[:k])
        assert facts(live) == facts(whole), f"after event {k}: {event['event']}"
        results = Results(EventLog.from_events(events[:k]))
        progress = results.progress()
        assert progress == Progress.of(live)
        best = live.best
        if results.metric and best is not None:
            assert results.best().trial_id == best[0]  # failed trials are no candidates
            assert results.best().metrics[results.metric] == best[1]
            trial = live.trials[best[0]]
            assert trial.status != "error"
        trials = results.trials.set_index("trial_id")
        assert trials["status"].to_dict() == {t: s.status for t, s in live.trials.items()}
        if k % 40 == 0 or k == len(events):  # the static report, now and then: it is slow
            page = report_html(events[:k])
            assert html.escape(progress.line()) in page
            if best is not None:
                assert f"Best trial <code>{best[0]}</code>" in page


def test_a_trial_that_failed_after_the_best_report_is_not_the_best():
    log = EventLog()
    log.append("experiment_started", name="e", metric="acc", mode="max", total_trials=2)
    log.append("trial_started", trial_id="a", config={"x": 1})
    log.append("trial_started", trial_id="b", config={"x": 2})
    log.append("result", trial_id="a", iteration=1, metrics={"acc": 0.9})
    log.append("result", trial_id="b", iteration=1, metrics={"acc": 0.6})
    state = ExperimentState()
    state.follow(log)
    assert state.best == ("a", 0.9)  # while a runs, it is the best so far
    log.append("trial_ended", trial_id="a", status="error", error="ValueError: diverged")
    log.append("trial_ended", trial_id="b", status="terminated")
    state.follow(log)
    assert state.best == ("b", 0.6)
    assert Results(log).best().trial_id == "b" and Results(log).progress().best == 0.6
    log.append("trial_started", trial_id="a", config={"x": 1})  # retried: a candidate again
    state.follow(log)
    assert state.best == ("a", 0.9)


def test_ties_go_to_the_trial_that_started_first_whichever_reported_first():
    state = ExperimentState()
    state.add(
        [
            {"event": "experiment_started", "time": 0, "metric": "acc", "mode": "max"},
            {"event": "trial_started", "time": 1, "trial_id": "a", "config": {}},
            {"event": "trial_started", "time": 1, "trial_id": "b", "config": {}},
            {"event": "result", "time": 2, "trial_id": "b", "iteration": 1, "metrics": {"acc": 1}},
            {"event": "result", "time": 3, "trial_id": "a", "iteration": 1, "metrics": {"acc": 1}},
        ]
    )
    assert state.best == ("a", 1.0)
    assert state.best_trial("acc", "max", scope="last")[0].trial_id == "a"


def test_readers_sharing_a_state_each_see_what_changed_since_they_last_read():
    log = EventLog()
    log.append("experiment_started", name="e", metric="acc", mode="max")
    log.append("trial_started", trial_id="a", config={})
    log.append("trial_started", trial_id="b", config={})
    state = ExperimentState()
    state.follow(log)
    seen = state.seq
    log.append("result", trial_id="b", iteration=1, metrics={"acc": 0.5})
    state.follow(log)  # another reader (a repr) folded the new event
    assert state.changed_since(seen) == ["b"]
    assert sorted(state.changed_since(0)) == ["a", "b"]
    assert state.changed_since(state.seq) == []


def test_run_state_counts_and_best():
    s = state()
    assert s.counts == {
        "running": 1,
        "terminated": 0,
        "pruned": 1,
        "stopped": 0,
        "error": 1,
        "interrupted": 0,
    }
    assert Progress.of(s).pending == 1
    assert s.best == ("a", 0.9)
    assert s.metrics == ["acc", "loss"]  # numbers only: "phase" is text
    assert s.trials["c"].output == "hi\n" and s.trials["c"].error == "ValueError: x"


def test_incremental_adds_equal_one_big_add():
    whole, pieces = ExperimentState(), ExperimentState()
    whole.add(events())
    changed = []
    for i in range(0, len(events()), 3):
        seen = pieces.seq
        pieces.add(events()[i : i + 3])
        changed.append(set(pieces.changed_since(seen)))
    assert curves_info(whole) == curves_info(pieces)
    assert table_info(whole) == table_info(pieces)
    assert set().union(*changed) == {"a", "b", "c"}
