"""Figure data steps compared exactly, on hand-made events."""

from __future__ import annotations

import re

from tunebook.figures import (
    Axis,
    Curve,
    CurvesInfo,
    ParallelInfo,
    RunState,
    TableInfo,
    curves_figure,
    curves_info,
    parallel_figure,
    parallel_info,
    report_html,
    table_info,
)


def events() -> list[dict]:
    out = [
        {
            "event": "experiment_started",
            "time": 0.0,
            "name": "e",
            "metric": "acc",
            "mode": "max",
            "total_trials": 4,
        }
    ]
    configs = {
        "a": {"lr": 0.1, "act": "relu"},
        "b": {"lr": 0.01, "act": "tanh"},
        "c": {"lr": 0.001, "act": "relu"},
    }
    for t, config in configs.items():
        out.append({"event": "trial_started", "time": 1.0, "trial_id": t, "config": config})
    curves = {"a": [0.5, 0.7, 0.9], "b": [0.6, 0.65], "c": [0.2]}
    for t, values in curves.items():
        for i, v in enumerate(values, start=1):
            out.append(
                {
                    "event": "result",
                    "time": 1.0 + i,
                    "trial_id": t,
                    "iteration": i,
                    "metrics": {"acc": v, "loss": 1 - v, "phase": "x"},
                }
            )
    out.append({"event": "trial_ended", "time": 5.0, "trial_id": "b", "status": "pruned"})
    out.append({"event": "trial_output", "time": 5.0, "trial_id": "c", "text": "hi\n"})
    out.append(
        {
            "event": "trial_ended",
            "time": 6.0,
            "trial_id": "c",
            "status": "error",
            "error": "ValueError: x",
        }
    )
    return out


def state() -> RunState:
    s = RunState()
    s.add(events())
    return s


def test_run_state_counts_and_best():
    s = state()
    assert s.counts() == {
        "running": 1,
        "terminated": 0,
        "pruned": 1,
        "stopped": 0,
        "error": 1,
        "pending": 1,
    }
    assert s.best == ("a", 0.9)
    assert s.metrics == ["acc", "loss"]  # numbers only: "phase" is text
    assert s.trials["c"].output == "hi\n" and s.trials["c"].error == "ValueError: x"


def test_incremental_adds_equal_one_big_add():
    whole, pieces = RunState(), RunState()
    whole.add(events())
    changed = [pieces.add(events()[i : i + 3]) for i in range(0, len(events()), 3)]
    assert curves_info(whole) == curves_info(pieces)
    assert table_info(whole) == table_info(pieces)
    assert set().union(*changed) == {"a", "b", "c"}


def test_curves_info():
    assert curves_info(state()) == CurvesInfo(
        "acc",
        (
            Curve("a", (1, 2, 3), (0.5, 0.7, 0.9), "running", True),
            Curve("b", (1, 2), (0.6, 0.65), "pruned", False),
            Curve("c", (1,), (0.2,), "error", False),
        ),
    )
    loss = curves_info(state(), "loss")
    assert loss.metric == "loss" and not any(c.best for c in loss.curves)


def test_curves_figure_draws_the_best_on_top():
    figure = curves_figure(curves_info(state()))
    assert [t.name for t in figure.data] == ["b", "c", "a"]
    assert figure.data[-1].line.width == 3


def test_parallel_info():
    assert parallel_info(state()) == ParallelInfo(
        "acc",
        ("a", "b", "c"),
        (Axis("lr", (0.1, 0.01, 0.001), None), Axis("act", (0.0, 1.0, 0.0), ("relu", "tanh"))),
        (0.9, 0.65, 0.2),
    )
    figure = parallel_figure(parallel_info(state()))
    assert [d.label for d in figure.data[0].dimensions] == ["lr", "act", "acc"]


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


def test_report_is_one_self_contained_page():
    page = report_html(events())
    assert page.startswith("<!DOCTYPE html>") and "<h1>e</h1>" in page
    assert "plotly.js" in page or "Plotly" in page  # the library is inlined: readable offline
    assert not re.search(r"<script[^>]*\bsrc=", page)  # no script fetched from anywhere
    assert "Best trial <code>a</code>" in page


def test_log_scale_parameters_get_a_log10_axis():
    import tunebook as tb

    space = tb.Space({"lr": tb.loguniform(1e-4, 1e-1), "depth": tb.randint(1, 9)})
    s = RunState()
    s.add(
        [
            {
                "event": "experiment_started",
                "time": 0,
                "metric": "acc",
                "mode": "max",
                "space": space.to_dict(),
            },
            {
                "event": "trial_started",
                "time": 1,
                "trial_id": "a",
                "config": {"lr": 0.001, "depth": 2},
            },
            {
                "event": "trial_started",
                "time": 1,
                "trial_id": "b",
                "config": {"lr": 0.1, "depth": 4},
            },
            {
                "event": "result",
                "time": 2,
                "trial_id": "a",
                "iteration": 1,
                "metrics": {"acc": 0.5},
            },
            {
                "event": "result",
                "time": 2,
                "trial_id": "b",
                "iteration": 1,
                "metrics": {"acc": 0.7},
            },
        ]
    )
    axes = parallel_info(s).axes
    assert axes[0].label == "log10(lr)" and axes[0].values == (-3.0, -1.0)
    assert axes[1] == Axis("depth", (2.0, 4.0), None)


def test_rungs_info_from_hand_made_decisions():
    from tunebook.figures import Rung, RungsInfo, rungs_figure, rungs_info

    s = RunState()
    s.add(
        [
            {"event": "experiment_started", "time": 0, "metric": "acc", "mode": "max"},
            *[{"event": "trial_started", "time": 1, "trial_id": t, "config": {}} for t in "abc"],
            {
                "event": "decision",
                "time": 2,
                "trial_id": "a",
                "bracket": 0,
                "rung": 1,
                "value": 0.5,
                "cutoff": None,
                "decision": "continue",
            },
            {
                "event": "decision",
                "time": 3,
                "trial_id": "b",
                "bracket": 0,
                "rung": 1,
                "value": 0.3,
                "cutoff": 0.5,
                "decision": "stop",
            },
            {
                "event": "decision",
                "time": 4,
                "trial_id": "a",
                "bracket": 0,
                "rung": 4,
                "value": 0.7,
                "cutoff": None,
                "decision": "continue",
            },
            {
                "event": "decision",
                "time": 5,
                "trial_id": "c",
                "bracket": 1,
                "rung": 4,
                "value": 0.6,
                "cutoff": None,
                "decision": "continue",
            },
        ]
    )
    info = rungs_info(s)
    assert info == RungsInfo(
        "acc",
        (
            Rung(0, 1.0, ("a", "b"), (0.5, 0.3), (False, True), 0.5),
            Rung(0, 4.0, ("a",), (0.7,), (False,), None),
            Rung(1, 4.0, ("c",), (0.6,), (False,), None),
        ),
        (("a", ((1.0, 0.5), (4.0, 0.7))), ("b", ((1.0, 0.3),)), ("c", ((4.0, 0.6),))),
    )
    figure = rungs_figure(info)
    texts = [
        t
        for trace in figure.data
        if trace.hovertext is not None
        for t in (trace.hovertext if isinstance(trace.hovertext, tuple) else [trace.hovertext])
    ]
    assert any("iter 1: 0.5 → iter 4: 0.7" in t for t in texts)  # a trial's path on hover
    assert any("stopped here" in t for t in texts)
    assert "2 trials, 1 stopped" in figure.layout.xaxis.ticktext[0]


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
