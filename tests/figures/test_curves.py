"""The learning curves' data and figure, compared exactly on hand-made events."""

from __future__ import annotations

from tests.logs import state
from tunebook.figures import Curve, CurvesInfo, curves_figure, curves_info


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
