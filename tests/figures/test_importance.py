"""The importance view's data and figure (the dashboard tab it shows in is the dashboard's
tests' business: tests/dashboard)."""

from __future__ import annotations

import pytest

import tunebook as tb
from tests.logs import finished


def test_the_importance_figure_data():
    from tunebook.figures import importance_figure, importance_info
    from tunebook.results import ExperimentState

    trials = [
        ({"x": 0.1 * i, "lr": 10.0**-i, "k": "a"}, 1 - (0.1 * i - 0.3) ** 2) for i in range(6)
    ]
    space = {"x": tb.uniform(0, 1), "lr": tb.loguniform(1e-6, 1), "k": tb.choice(["a", "b"])}
    results = finished(space, trials, t5="error")
    state = ExperimentState()
    state.add(results.events)
    info = importance_info(state, {"x": 0.75, "lr": 0.25})
    assert info.parameters == ("x", "lr") and info.importances == (0.75, 0.25)
    assert [s.parameter for s in info.slices] == ["x", "lr"]  # k never varied: no slice
    assert info.slices[0].x == pytest.approx((0.0, 0.1, 0.2, 0.3, 0.4))  # t5 failed: left out
    assert info.slices[1].log and not info.slices[0].log
    figure = importance_figure(info)
    assert [t.type for t in figure.data] == ["bar", "scatter", "scatter"]


def _slice_plots(figure):
    """(subplot title, x-axis title, axis type) of each slice plot, in the order drawn: the
    title is the annotation centred over the plot's x domain, just above its y domain."""
    out = []
    for trace in figure.data:
        if trace.type != "scatter":
            continue
        xaxis = figure.layout["xaxis" + trace.xaxis[1:]]
        yaxis = figure.layout["yaxis" + trace.yaxis[1:]]
        centre, top = sum(xaxis.domain) / 2, yaxis.domain[1]
        (title,) = [
            a.text
            for a in figure.layout.annotations
            if abs(a.x - centre) < 1e-9 and abs(a.y - top) < 1e-9
        ]
        out.append((title, xaxis.title.text, xaxis.type))
    return out


@pytest.mark.parametrize("scores", [{"alpha": 0.5, "penalty": 0.3, "x": 0.1, "y": 0.1}, None])
def test_each_slice_is_titled_and_its_x_axis_named_after_its_own_parameter(scores):
    from tunebook.figures import importance_figure, importance_info
    from tunebook.results import ExperimentState

    trials = [
        (
            {"alpha": 10.0**-i, "penalty": "l1" if i % 2 else "l2", "x": 0.1 * i, "y": i % 3},
            0.1 * i,
        )
        for i in range(6)
    ]
    space = {
        "alpha": tb.loguniform(1e-6, 1),
        "penalty": tb.choice(["l1", "l2"]),
        "x": tb.uniform(0, 1),
        "y": tb.randint(0, 3),
    }
    state = ExperimentState()
    state.add(finished(space, trials).events)
    figure = importance_figure(importance_info(state, scores))
    assert _slice_plots(figure) == [
        ("acc against alpha", "alpha", "log"),
        ("acc against penalty", "penalty", "category"),
        ("acc against x", "x", "linear"),
        ("acc against y", "y", "linear"),  # the second row's first plot
    ]
    # the last row holds one plot: no empty axes beside it
    assert len([k for k in figure.layout if k.startswith("xaxis")]) == 4 + bool(scores)
    assert figure.layout.autosize is True and figure.layout.width is None
