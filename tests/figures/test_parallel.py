"""The parallel coordinates' data and figure, on hand-made events."""

from __future__ import annotations

import json

import pytest

from tests.logs import state
from tunebook.figures import Axis, ParallelInfo, parallel_figure, parallel_info
from tunebook.results import ExperimentState


def test_parallel_info():
    assert parallel_info(state()) == ParallelInfo(
        "acc",
        "max",
        ("a", "b", "c"),
        (
            Axis("lr", (0.1, 0.01, 0.001), None, None),
            Axis("act", (0.0, 1.0, 0.0), (0.0, 1.0), ("relu", "tanh")),
        ),
        (0.9, 0.65, 0.2),
    )


def test_the_metric_is_the_first_axis_and_the_colour_bar_says_what_is_better():
    figure = parallel_figure(parallel_info(state()))
    (trace,) = figure.data
    assert [d.label for d in trace.dimensions] == ["acc", "lr", "act"]
    assert trace.dimensions[0].values == (0.9, 0.65, 0.2)
    assert trace.line.color == (0.9, 0.65, 0.2) and trace.line.showscale
    assert trace.line.colorbar.title.text == "acc<br>(higher is better)"
    assert trace.line.colorscale[-1][1] == "#fde725"  # Viridis: yellow at the top...
    assert not trace.line.reversescale  # ...where the higher, better, values are


def test_in_min_mode_the_better_end_has_the_same_colour():
    s = _log_state(mode="min")
    trace = parallel_figure(parallel_info(s)).data[0]
    assert trace.line.reversescale  # the lowest value, the best, is yellow as in max mode
    assert trace.line.colorbar.title.text == "acc<br>(lower is better)"


@pytest.mark.parametrize("empty", [False, True])
def test_the_figure_is_whole_in_its_json(empty):
    """The live view sends whole figures (``Plotly.react``), the empty placeholder first: each
    JSON stands alone, with no attribute path ("dimensions[0].label") to apply on top, and its
    title in it."""
    from tunebook.results import ExperimentState

    figure = parallel_figure(parallel_info(ExperimentState() if empty else state()))
    whole = json.loads(figure.to_json())
    assert not [k for k in _keys(whole) if "." in k or "[" in k]
    assert [t["type"] for t in whole["data"]] == ["parcoords"]
    assert whole["layout"]["title"]["text"] == (
        "no metric reported yet" if empty else "each trial's best acc (left) and its parameters"
    )
    assert whole["layout"]["autosize"] is True and "width" not in whole["layout"]
    assert whole["layout"]["template"]["layout"]  # the template itself, not a name to look up
    for dimension in whole["data"][0].get("dimensions", []):
        assert {"label", "values"} <= set(dimension)
    assert len(whole["data"][0].get("dimensions", [])) == (0 if empty else 3)
    assert json.loads(type(figure)(whole).to_json()) == whole  # drawn again, the same


def _keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v)


def _log_state(mode: str = "max") -> ExperimentState:
    import tunebook as tb

    space = tb.Space({"lr": tb.loguniform(1e-4, 1e-1), "depth": tb.randint(1, 9)})
    s = ExperimentState()
    s.add(
        [
            {
                "event": "experiment_started",
                "time": 0,
                "metric": "acc",
                "mode": mode,
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
    return s


def test_log_scale_parameters_get_a_log_axis_labelled_with_real_values():
    axes = parallel_info(_log_state()).axes
    assert axes[0] == Axis("lr", (-3.0, -1.0), (-3.0, -2.0, -1.0), ("0.001", "0.01", "0.1"))
    assert axes[1] == Axis("depth", (2.0, 4.0), None, None)
    lr = parallel_figure(parallel_info(_log_state())).data[0].dimensions[1]
    assert (lr.label, lr.tickvals, lr.ticktext) == ("lr", axes[0].tickvals, axes[0].ticktext)


def test_log_ticks_within_a_decade_and_less():
    from tunebook.figures import log_ticks

    assert log_ticks(-6, -3)[1] == ("1e-06", "1e-05", "0.0001", "0.001")
    # no two powers of ten inside: 1, 2 and 5 times them; not even those: the two ends
    assert log_ticks(-2.75, -2.2)[1] == ("0.002", "0.005")
    low, high = log_ticks(-2.3, -2.25)
    assert low == pytest.approx((-2.3, -2.25)) and high == ("0.005012", "0.005623")
