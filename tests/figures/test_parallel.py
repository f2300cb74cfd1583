"""The parallel coordinates' data and figure, on hand-made events."""

from __future__ import annotations

from tests.logs import state
from tunebook.figures import Axis, ParallelInfo, parallel_figure, parallel_info
from tunebook.results import ExperimentState


def test_parallel_info():
    assert parallel_info(state()) == ParallelInfo(
        "acc",
        ("a", "b", "c"),
        (Axis("lr", (0.1, 0.01, 0.001), None), Axis("act", (0.0, 1.0, 0.0), ("relu", "tanh"))),
        (0.9, 0.65, 0.2),
    )
    figure = parallel_figure(parallel_info(state()))
    assert [d.label for d in figure.data[0].dimensions] == ["lr", "act", "acc"]


def test_log_scale_parameters_get_a_log10_axis():
    import tunebook as tb

    space = tb.Space({"lr": tb.loguniform(1e-4, 1e-1), "depth": tb.randint(1, 9)})
    s = ExperimentState()
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
