"""The trial table's data, on hand-made events."""

from __future__ import annotations

from tests.logs import state
from tunebook.figures import TableInfo, table_info


def test_table_info_sorts_best_first_and_missing_last():
    info = table_info(state())
    assert info == TableInfo(
        ("trial_id", "status", "iterations", "last_acc", "best_acc", "config/lr", "config/act"),
        (
            ("a", "running", 3, 0.9, 0.9, 0.1, "relu"),
            ("b", "pruned", 2, 0.65, 0.65, 0.01, "tanh"),
            ("c", "error", 1, 0.2, 0.2, 0.001, "relu"),
        ),
        3,
    )
    by_lr = table_info(state(), "config/lr", ascending=True, limit=2)
    assert [row[0] for row in by_lr.rows] == ["c", "b"] and by_lr.total == 3


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
    assert info.rows[0][3:5] == (0.4, 0.95)  # last and best: the line breaks, values stay
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
    assert [row[:3] for row in info.rows] == [("b", "running", 5), ("a", "error", 1)]
