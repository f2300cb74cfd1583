"""The importance view's data and figure, and the dashboard tab it shows in."""

from __future__ import annotations

import pytest

import tunebook as tb
from tests.logs import finished


def test_the_importance_figure_data_and_where_it_shows():
    from tunebook.dashboard import Dashboard
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
    assert len(figure.data) == 3 and figure.data[0].type == "bar"
    dashboard = Dashboard(results, start=False)  # a finished run: drawn when the tab opens
    assert dashboard.tabs.titles[5] == "Importance" and not dashboard.importance.data
    dashboard.tabs.selected_index = 5
    assert [t.type for t in dashboard.importance.data][1:] == ["scatter", "scatter"]
