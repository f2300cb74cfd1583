"""The lineage of a PBT run, as data and as a picture, from a hand-made log."""

from __future__ import annotations

import math

import pytest

from tests.logs import pbt_log
from tunebook.figures import Edge, lineage_figure, lineage_info
from tunebook.results import ExperimentState


def test_curves_break_at_an_exploit_and_the_lineage_view_data():
    state = ExperimentState()
    state.add(pbt_log().events())
    x, y = state.trials["a"].series("acc")
    assert x == [1, 2, 3, 4, 5, 5, 6, 7, 8]
    assert math.isnan(y[4]) and [v for v in y if not math.isnan(v)] == pytest.approx(
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    )
    info = lineage_info(state)
    assert info.members == ("a", "b") and info.best == "b" and info.parameters == ("h",)
    assert [(s.member, s.level, s.x, s.config, s.on_path) for s in info.stretches] == [
        ("a", 0.0, (1, 2, 3, 4), (("h", 1),), False),
        ("a", 0.6, (5, 6, 7, 8), (("h", 2.4),), True),
        ("b", 1.0, (1, 2, 3, 4, 5, 6), (("h", 2),), True),
        ("b", 1.6, (7, 8), (("h", 2.88),), True),
    ]
    assert info.edges == (
        Edge("b", "a", 4, 4, 1.0, 0.6, "h 2 → 2.4 (* 1.2)"),
        Edge("a", "b", 6, 6, 0.6, 1.6, "h 2.4 → 2.88 (* 1.2)"),
    )
    figure = lineage_figure(info)
    assert len(figure.data) == 4 + 2 + 4  # segments, edges and their heads, h per segment
    assert "best final member: b" in figure.layout.title.text
