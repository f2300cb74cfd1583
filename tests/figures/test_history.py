"""The optimisation history's data and figure, on hand-made events."""

from __future__ import annotations

import pytest

from tunebook.results import ExperimentState


def _state(mode: str) -> ExperimentState:
    """a, b, c, d and e start together; they finish b (pruned), c (failed, with the highest
    value), d, a; e still runs."""
    events: list[dict] = [{"event": "experiment_started", "time": 0, "metric": "acc", "mode": mode}]
    events += [
        {"event": "trial_started", "time": 1, "trial_id": t, "config": {"x": i}}
        for i, t in enumerate("abcde")
    ]
    reports = {"a": [0.5, 0.7], "b": [0.6], "c": [0.95], "d": [0.3], "e": [0.99]}
    for t, values in reports.items():
        events += [
            {"event": "result", "time": 2, "trial_id": t, "iteration": i, "metrics": {"acc": v}}
            for i, v in enumerate(values, start=1)
        ]
    ends = [("b", 4, "pruned"), ("c", 5, "error"), ("d", 6, "terminated"), ("a", 9, "terminated")]
    events += [
        {"event": "trial_ended", "time": at, "trial_id": t, "status": status}
        for t, at, status in ends
    ]
    s = ExperimentState()
    s.add(events)
    return s


@pytest.mark.parametrize(
    ("mode", "values", "best"),
    [
        ("max", (0.6, 0.95, 0.3, 0.7), (0.6, 0.6, 0.6, 0.7)),
        ("min", (0.6, 0.95, 0.3, 0.5), (0.6, 0.6, 0.3, 0.3)),
    ],
)
def test_history_info_in_the_order_trials_finished(mode, values, best):
    from tunebook.figures import HistoryInfo, history_info

    # e runs: not in it; c failed: drawn, but no best so far (a crashed config is no answer)
    assert history_info(_state(mode)) == HistoryInfo(
        "acc",
        mode,
        ("b", "c", "d", "a"),
        ("pruned", "error", "terminated", "terminated"),
        values,
        best,
    )


def test_history_figure_one_trace_per_status_and_the_best_so_far():
    from tunebook.figures import STATUS_STYLES, history_figure, history_info

    figure = history_figure(history_info(_state("max")))
    assert [(t.name, t.mode) for t in figure.data] == [
        ("terminated", "markers"),
        ("pruned", "markers"),
        ("error", "markers"),
        ("best so far", "lines"),
    ]
    terminated, pruned, error, best = figure.data
    assert (terminated.x, terminated.y) == ((3, 4), (0.3, 0.7))
    assert error.marker.symbol == "x" and error.marker.color == STATUS_STYLES["error"].color
    assert best.y == (0.6, 0.6, 0.6, 0.7) and best.line.shape == "hv"
    assert "%{y:.4~g}" in terminated.hovertemplate
    assert figure.layout.autosize is True and figure.layout.width is None
    empty = history_figure(history_info(ExperimentState()))
    assert not empty.data and empty.layout.title.text == "no metric reported yet"
