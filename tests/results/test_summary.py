"""What a summary of the trials shows: the metric first, best first, only the columns that
tell the trials apart, numbers to four significant digits."""

from __future__ import annotations

import math

import numpy as np

from tests.logs import finished
from tunebook.events import EventLog
from tunebook.results import Results, number_text, summary_frame, telling


def test_numbers_have_four_significant_digits_and_counts_stay_whole():
    assert [
        number_text(v) for v in (0.123456, 12345.678, 2.0, 3, np.int64(7), np.float32(0.5))
    ] == [
        "0.1235",
        "1.235e+04",
        "2",
        "3",
        "7",
        "0.5",
    ]
    assert number_text(math.nan) == "nan" and number_text(True) == "True"


def test_columns_that_say_nothing_are_left_out_unless_kept():
    columns = {
        "trial_id": ["a", "b"],
        "status": ["terminated", "terminated"],
        "best": [0.9, math.nan],
        "last": [0.9, None],  # the same values as best (missing alike)
        "lr": [[1], [2]],  # unhashable values compare as text
        "cpu": [1, 1],
        "error": [None, None],
    }
    assert telling(columns, keep=("trial_id", "status")) == ["trial_id", "status", "best", "lr"]
    one = {"trial_id": ["a"], "cpu": [1], "error": [None]}
    assert telling(one) == ["trial_id", "cpu"]  # one trial: only what is missing goes


def test_the_summary_puts_the_best_value_first_and_shows_what_tells_trials_apart():
    space = {f"p{i}": 0.5 for i in range(14)}  # 14 constants: the old summary hid best_acc
    trials = [({**space, "x": x}, acc) for x, acc in ((0.1, 0.3), (0.2, 0.9), (0.3, 0.6))]
    results = finished({**space, "x": 0.0}, trials, t1="error")
    frame = summary_frame(results.trials, results.state)
    shown = ["trial_id", "status", "best_acc", "config/x"]
    assert list(frame.columns)[:4] == shown and set(frame.columns) <= {*shown, "time"}
    assert frame["trial_id"].tolist() == ["t2", "t0", "t1"]  # best first, the failed one last
    assert len(results.trials.columns) == 26  # the table itself keeps every column
    text = results._repr_mimebundle_()["text/plain"]
    assert text.splitlines()[1].split()[:4] == shown
    assert "..." not in text


def test_the_summary_ranks_by_the_mode_and_shortens_node_ids():
    results = finished({"x": 0.0}, [({"x": 1}, 0.3), ({"x": 2}, 0.1)], mode="min")
    assert summary_frame(results.trials, results.state)["trial_id"].tolist() == ["t1", "t0"]
    log = EventLog()
    log.append("experiment_started", name="e", metric="acc", mode="max")
    for trial, node in (("a", "n1" * 20), ("b", "n2" * 20)):
        log.append("trial_started", trial_id=trial, config={})
        log.append("result", trial_id=trial, iteration=1, node=node, metrics={"acc": 0.5})
    frame = summary_frame(Results(log).trials, Results(log).state)
    assert frame["node"].tolist() == ["n1n1n1n1", "n2n2n2n2"]
    assert "best_acc" in frame  # always shown, even when every trial has the same
