from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.logs import quiet_record
from tunebook.errors import ResultsFolderError
from tunebook.events import EVENTS_FILE, SILENT_AFTER_S, EventLog, json_safe
from tunebook.results import Results


class Clock:
    """An injectable clock: tests move time by hand instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines(path) -> list[dict]:
    text = path.read_text()
    return [json.loads(line) for line in text.splitlines() if line]


def test_reports_are_columns_with_gaps_filled():
    log = EventLog()
    log.append("result", trial_id="a", iteration=1, metrics={"acc": 0.5})
    log.append("result", trial_id="a", iteration=2, metrics={"acc": 0.6, "loss": 1.0})
    log.append(
        "result", trial_id="b", iteration=1, metrics={"loss": 2.0, "phase": "warm", "ok": True}
    )
    reports = log.reports
    assert reports["trial_id"] == ["a", "a", "b"]
    assert reports["iteration"] == [1, 2, 1]
    assert reports["acc"] == [0.5, 0.6, None]
    assert reports["loss"] == [None, 1.0, 2.0]
    assert reports["phase"] == [None, None, "warm"]
    assert reports["ok"] == [None, None, True]


def test_each_event_is_in_the_file_at_once_and_synced_at_most_once_a_second(tmp_path):
    clock = Clock()
    path = tmp_path / EVENTS_FILE
    log = EventLog(path, sync_every=1.0, clock=clock)
    assert not path.exists()  # the file comes with the first event
    log.append("trial_started", trial_id="a", config={"x": 1})
    log.append("result", trial_id="a", iteration=1, metrics={"acc": 0.5})
    # in the file, as another process reads it, before any sync or close
    assert [e["event"] for e in lines(path)] == ["trial_started", "result"]
    assert log.syncs == 0
    clock.now += 0.5
    log.tick()
    assert log.syncs == 0  # not due
    clock.now += 0.6
    log.tick()
    assert log.syncs == 1
    log.tick()
    assert log.syncs == 1  # nothing new written
    clock.now += 5
    log.append("result", trial_id="a", iteration=2, metrics={"acc": 0.7})  # due: synced
    assert log.syncs == 2 and len(lines(path)) == 3
    log.append("trial_ended", trial_id="a", status="terminated")
    log.close()
    assert log.syncs == 3 and [e["event"] for e in lines(path)][-1] == "trial_ended"


def test_round_trip_through_the_file_gives_an_equal_log(tmp_path):
    log = EventLog(tmp_path / EVENTS_FILE)
    log.append("experiment_started", name="x", metric="acc", mode="max")
    log.append(
        "trial_started", trial_id="a", config={"lr": 0.1, "model": {"depth": 3}, "t": (1, 2)}
    )
    log.append(
        "result",
        trial_id="a",
        iteration=1,
        metrics={"acc": np.float32(0.5), "n": np.int64(3), "nan": math.nan},
    )
    log.append("trial_ended", trial_id="a", status="error", error="Traceback...\nValueError: x")
    log.close()
    again = EventLog.read(tmp_path)
    assert len(again) == 4
    assert again.events()[:2] == log.events()[:2]
    assert again.events()[3] == log.events()[3]
    report = again.events()[2]
    assert report["metrics"]["acc"] == 0.5 and report["metrics"]["n"] == 3
    assert math.isnan(report["metrics"]["nan"])
    assert again.events()[1]["config"]["t"] == [1, 2]  # stored as JSON from the start
    assert log.events()[1]["config"]["t"] == [1, 2]
    assert again.reports.keys() == log.reports.keys()


def test_a_cut_last_line_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / EVENTS_FILE
    log = EventLog(path)
    log.append("trial_started", trial_id="a", config={})
    log.close()
    with path.open("a") as f:
        f.write('{"event": "result", "trial_id": "a", "iter')  # the kernel died mid-line
    with pytest.warns(UserWarning) as caught:
        again = EventLog.read(path)
    assert [str(w.message) for w in caught] == [
        f"{path}: the last line was cut short and is skipped (the run's driver died while "
        "writing it: not JSON (Unterminated string starting at, column 38)). Everything else is "
        "loaded."
    ]
    assert len(again) == 1


#: Lines as damage leaves them (a write cut short and then appended after, bytes of another
#: encoding, a hand edit), each with what the warning says of it.
DAMAGED = [
    ('{"event": "result", "ti', "not JSON (Unterminated string starting at, column 21)"),
    ("\x00\x00\x00", "not JSON (Expecting value, column 1)"),
    ('{"event": "result", "trial_id": "\xff"}', "not UTF-8 text (byte 0xff at column 34)"),
    ("[1, 2]", "not a tunebook event (no event kind)"),
    ('{"time": 1}', "not a tunebook event (no event kind)"),
    ('{"event": "result", "trial_id": "a"}', "a result event without a number time"),
    ('{"event": "result", "time": true, "trial_id": "a"}', "a result event without a number time"),
    ('{"event": "result", "time": 1}', "a result event without a trial_id"),
    ('{"event": "trial_ended", "time": 1, "trial_id": 7}',
     "a trial_ended event without a trial_id"),
    ('{"event": "result", "time": 1, "trial_id": "a", "metrics": 5}',
     "a result event whose metrics is int"),
    ('{"event": "result", "time": 1, "trial_id": "a", "iteration": "2"}',
     "a result event whose iteration is str"),
    ('{"event": "trial_started", "time": 1, "trial_id": "a", "config": [1]}',
     "a trial_started event whose config is list"),
    ('{"event": "experiment_started", "time": 1, "metric": 3}',
     "a experiment_started event whose metric is int"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "problem"), DAMAGED)
def test_a_damaged_line_anywhere_is_skipped_with_a_warning_naming_it(tmp_path, line, problem):
    path = tmp_path / EVENTS_FILE
    log = EventLog(path)
    log.append("trial_started", trial_id="a", config={})
    log.append("result", trial_id="a", iteration=1, metrics={"v": 1})
    log.close()
    good = path.read_bytes()
    path.write_bytes(good + line.encode("latin-1") + b"\n" + good)  # more written after it
    with pytest.warns(UserWarning) as caught:
        again = EventLog.read(tmp_path)
    assert [str(w.message) for w in caught] == [
        f"{path}: skipped 1 damaged line (line 3: {problem}). Everything else is loaded."
    ]
    assert [e["event"] for e in again] == ["trial_started", "result"] * 2


def test_many_damaged_lines_are_counted_and_the_first_named(tmp_path):
    path = tmp_path / EVENTS_FILE
    path.write_text('{"event": "heartbeat", "time": 1}\n' + "x\n" * 7 + '{"event": "heartbeat"}\n')
    with pytest.warns(UserWarning) as caught:
        assert len(EventLog.read(tmp_path, now=2)) == 1
    assert str(caught[0].message) == (
        f"{path}: skipped 8 damaged lines (line 2: not JSON (Expecting value, column 1); "
        + "; ".join(f"line {n}: not JSON (Expecting value, column 1)" for n in range(3, 7))
        + "; and 3 more). Everything else is loaded."
    )


def test_missing_files_and_files_with_no_event_are_clear_errors(tmp_path):
    with pytest.raises(ResultsFolderError) as caught:
        EventLog.read(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / EVENTS_FILE} does not exist: a tunebook experiment folder holds "
        "events.jsonl. Pass the folder that Experiment.path names."
    )
    (tmp_path / EVENTS_FILE).write_text('not json\n{"event": "result"}\n')
    with pytest.raises(ResultsFolderError) as caught:
        EventLog.read(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / EVENTS_FILE} holds no tunebook event (line 1: not JSON (Expecting value, "
        "column 1); line 2: a result event without a number time): the file was damaged or is "
        "not a tunebook record."
    )


def test_an_empty_record_is_a_clear_error_not_a_run_that_seems_to_go_on(tmp_path):
    (tmp_path / EVENTS_FILE).write_text("\n")
    with pytest.raises(ResultsFolderError) as caught:
        EventLog.read(tmp_path)
    assert str(caught.value).splitlines()[0] == (
        f"{tmp_path / EVENTS_FILE} is empty: no event of an experiment was recorded in it (the "
        "run never wrote its start, or the file was emptied). Nothing can be loaded from it."
    )


def test_a_newer_tunebooks_events_are_skipped_with_a_warning_and_the_rest_loads(tmp_path):
    log = EventLog(tmp_path / EVENTS_FILE)
    log.append("trial_started", trial_id="a", config={})
    log.close()
    with (tmp_path / EVENTS_FILE).open("a") as f:
        f.write('{"event": "trial_paused", "time": 2, "trial_id": "a"}\n' * 2)
        f.write('{"event": "result", "time": 3, "trial_id": "a", "metrics": {"v": 1}}\n')
    with pytest.warns(UserWarning, match=r"'trial_paused' \(2\); a newer tunebook wrote them"):
        again = EventLog.read(tmp_path)
    assert [e["event"] for e in again] == ["trial_started", "result"]


def test_each_line_is_strict_json_and_non_finite_numbers_read_back(tmp_path):
    log = EventLog(tmp_path / EVENTS_FILE)
    metrics = {"loss": math.nan, "up": math.inf, "down": -math.inf, "ok": 1.5}
    log.append("result", trial_id="a", iteration=1, metrics=metrics, seen=[0.0, math.nan])
    log.close()

    def strict(token: str) -> None:
        raise ValueError(f"not strict JSON: {token}")

    line = (tmp_path / EVENTS_FILE).read_text().splitlines()[0]
    written = json.loads(line, parse_constant=strict)  # as Node's JSON.parse or jq read it
    assert written["metrics"] == {"loss": None, "up": None, "down": None, "ok": 1.5}
    back = EventLog.read(tmp_path).events()[0]
    assert math.isnan(back["metrics"]["loss"]) and math.isnan(back["seen"][1])
    assert (back["metrics"]["up"], back["metrics"]["down"]) == (math.inf, -math.inf)
    assert "nonfinite" not in back and back["metrics"]["ok"] == 1.5


def test_cursor_reads_only_what_is_new():
    log = EventLog()
    log.append("trial_started", trial_id="a", config={})
    cursor = len(log)
    log.append("result", trial_id="a", iteration=1, metrics={"acc": 1})
    assert [e["event"] for e in log.events(cursor)] == ["result"]


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown event kind"):
        EventLog().append("hello")


def test_json_safe():
    assert json_safe({"a": np.float64(1.5), "b": [np.int32(2)], "c": {1: "x"}}) == {
        "a": 1.5,
        "b": [2],
        "c": {"1": "x"},
    }
    assert json_safe(object).startswith("<class")


def test_a_record_whose_driver_went_silent_reads_as_crashed_and_a_quiet_one_as_running(tmp_path):
    last = quiet_record(tmp_path, silent_for=5)
    before = (tmp_path / EVENTS_FILE).read_text()
    quiet = Results(EventLog.read(tmp_path))
    assert quiet.status == "running" and quiet.error is None
    gone = Results(EventLog.read(tmp_path, now=last + SILENT_AFTER_S))
    assert gone.status == "crashed"
    assert gone.error.startswith("the run's driver is gone: its record has no end and no sign")
    assert dict(zip(gone.trials.trial_id, gone.trials.status, strict=True)) == {
        "a": "terminated",
        "b": "interrupted",  # it was running: not running forever
    }
    assert gone.progress().line().startswith("[crashed] 0 running, 1 terminated, 1 interrupted")
    assert gone.best().trial_id in ("a", "b")  # what they reported is kept
    assert (tmp_path / EVENTS_FILE).read_text() == before  # the file is not changed
