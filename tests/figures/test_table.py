"""The trial table's data, on hand-made events."""

from __future__ import annotations

from tests.logs import state
from tunebook.figures import TableInfo, table_html, table_info


def test_table_info_sorts_best_first_and_missing_last():
    info = table_info(state())
    # best_acc first; last_acc (every last value was the best) tells nothing: left out
    assert info == TableInfo(
        ("trial_id", "status", "best_acc", "iterations", "config/lr", "config/act"),
        (
            ("a", "running", 0.9, 3, 0.1, "relu"),
            ("b", "pruned", 0.65, 2, 0.01, "tanh"),
            ("c", "error", 0.2, 1, 0.001, "relu"),
        ),
        3,
        "best_acc",
        False,
    )
    by_lr = table_info(state(), "config/lr", ascending=True, limit=2)
    assert [row[0] for row in by_lr.rows] == ["c", "b"] and by_lr.total == 3
    assert (by_lr.sort_by, by_lr.ascending) == ("config/lr", True)
    worst_first = table_info(state(), "best_acc", ascending=True)
    assert [row[0] for row in worst_first.rows] == ["c", "b", "a"]


def test_columns_that_tell_nothing_are_left_out_and_the_metric_always_shows():
    s = state()
    s.add(
        [
            {"event": "trial_started", "time": 7.0, "trial_id": "d", "config": {"lr": 0.1}},
            {"event": "result", "time": 8.0, "trial_id": "d", "iteration": 1, "metrics": {}},
            {
                "event": "result",
                "time": 8.0,
                "trial_id": "a",
                "iteration": 4,
                "metrics": {"acc": 0.3},
            },
        ]
    )
    info = table_info(s)
    assert info.columns[:3] == ("trial_id", "status", "best_acc")
    assert info.columns[3] == "last_acc"  # a's last value is not its best: last_acc tells
    assert info.rows[-1][:3] == ("d", "running", None)  # no value: last
    same = table_info(state(), "config/act")
    assert "config/act" in same.columns and same.sort_by == "config/act"
    one_value = state()
    for trial in one_value.trials.values():
        trial.config = {"lr": 0.1, "act": "relu"}
    assert table_info(one_value).columns == ("trial_id", "status", "best_acc", "iterations")
    assert table_info(one_value, "config/lr").sort_by == "config/lr"  # sorts by a hidden one


def test_the_html_marks_columns_sorts_and_trials_for_the_dashboard():
    page = table_html(table_info(state(), "config/lr", ascending=False, limit=2))
    assert 'data-sort-by="config/lr" data-sort="desc"' in page
    assert '<th data-column="config/lr" data-sort="desc" aria-sort="descending">' in page
    assert page.count('data-sort="none"') == 5 and page.count("<th ") == 6
    assert 'config/lr <span class="tunebook-arrow">▼</span>' in page
    assert page.count("<tr data-trial=") == 2
    assert '<tr data-trial="a" data-status="running"><td>a</td>' in page
    assert "2 of 3 trials shown" in page
    tiny = state()
    tiny.add(
        [
            {
                "event": "result",
                "time": 9,
                "trial_id": "a",
                "iteration": 4,
                "metrics": {"acc": 0.123456789},
            }
        ]
    )
    assert "<td>0.1235</td>" in table_html(table_info(tiny))  # four significant digits
    odd = state()
    odd.trials["a"].trial_id = 'a"<b>'
    assert 'data-trial="a&quot;&lt;b&gt;"' in table_html(table_info(odd))


def test_nodes_resources_checkpoints_and_a_retry_that_starts_over():
    s = state()
    s.add(
        [
            {
                "event": "result",
                "time": 7.0,
                "trial_id": "a",
                "iteration": 4,
                "node": "n1" * 10,
                "metrics": {"acc": 0.95},
            },
            {
                "event": "result",
                "time": 7.0,
                "trial_id": "b",
                "iteration": 3,
                "node": "n2" * 10,
                "metrics": {"acc": 0.7},
            },
            {"event": "checkpoint", "time": 7.1, "trial_id": "a", "iteration": 4, "path": "/p1"},
            {"event": "checkpoint", "time": 7.2, "trial_id": "a", "iteration": 5, "path": "/p2"},
            {
                "event": "trial_started",
                "time": 8.0,
                "trial_id": "a",
                "config": {"lr": 0.1},
                "resources": {"cpu": 2.0},
            },
            # a on another node, from iteration 1 again (retried without a checkpoint)
            {
                "event": "result",
                "time": 9.0,
                "trial_id": "a",
                "iteration": 1,
                "node": "n2" * 10,
                "metrics": {"acc": 0.4},
            },
            {
                "event": "trial_ended",
                "time": 9.5,
                "trial_id": "a",
                "status": "terminated",
                "checkpoints_kept": ["/p2"],
            },
        ]
    )
    info = table_info(s, "trial_id", ascending=True)
    assert info.columns[-3:] == ("node", "resources", "checkpoints")
    assert info.rows[0][-3:] == ("n2n2n2n2", "cpu=2", 1)
    assert info.rows[1][-3:] == ("n2n2n2n2", None, 0)
    assert info.rows[0][2:4] == (0.95, 0.4)  # best and last: the line breaks, values stay
    xs, ys = s.trials["a"].series("acc")
    assert xs == [1, 2, 3, 4, 1, 1] and ys[:4] == [0.5, 0.7, 0.9, 0.95] and ys[5] == 0.4
    assert ys[4] != ys[4]  # NaN: the curve is not drawn back from 4 to 1
    # one node, the same resources for all, no checkpoint: the table stays narrow
    same = state()
    same.add(
        [
            {"event": "trial_started", "time": 9.0, "trial_id": t, "config": {}, "resources": r}
            for t, r in [("a", {"cpu": 1.0}), ("b", {"cpu": 1}), ("c", {"cpu": 1.0})]
        ]
    )
    assert table_info(state()).columns[-1] == table_info(same).columns[-1] == "config/act"


def test_failed_trials_come_after_the_others_and_iterations_is_the_highest_reached():
    from tunebook.results import ExperimentState

    s = ExperimentState()
    s.add(
        [
            {"event": "experiment_started", "time": 0, "metric": "acc", "mode": "max"},
            *[{"event": "trial_started", "time": 1, "trial_id": t, "config": {}} for t in "ab"],
            {"event": "result", "time": 2, "trial_id": "a", "iteration": 1, "metrics": {"acc": 9}},
            {"event": "trial_ended", "time": 3, "trial_id": "a", "status": "error"},
            # b was retried from a checkpoint: 3 reports, up to iteration 5
            *[
                {
                    "event": "result",
                    "time": 4,
                    "trial_id": "b",
                    "iteration": i,
                    "metrics": {"acc": 1},
                }
                for i in (4, 5, 5)
            ],
        ]
    )
    info = table_info(s)
    assert info.columns == ("trial_id", "status", "best_acc", "iterations")
    assert info.rows == (("b", "running", 1, 5), ("a", "error", 9, 1))
