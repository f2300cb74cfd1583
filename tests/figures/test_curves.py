"""The learning curves' data and figure, compared exactly on hand-made events and a recorded
PBT run."""

from __future__ import annotations

import json
import math
from pathlib import Path

from tests.logs import pbt_log, state
from tunebook.figures import Curve, CurvesInfo, curves_figure, curves_info
from tunebook.results import ExperimentState

DATA = Path(__file__).resolve().parents[1] / "data"


def replay(name: str) -> ExperimentState:
    s = ExperimentState()
    s.add(json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip())
    return s


def curve_traces(figure):
    """The traces that draw a trial's curve (not the legend's, not the exploits')."""
    return [t for t in figure.data if t.legendgroup not in (None, "exploit") and not t.showlegend]


def test_curves_info():
    assert curves_info(state()) == CurvesInfo(
        "acc",
        (
            Curve("a", (1, 2, 3), (0.5, 0.7, 0.9), "running", True),
            Curve("b", (1, 2), (0.6, 0.65), "pruned", False),
            Curve("c", (1,), (0.2,), "error", False),
        ),
        (),
    )
    loss = curves_info(state(), "loss")
    assert loss.metric == "loss" and not any(c.best for c in loss.curves)


def test_curves_figure_draws_the_best_on_top():
    figure = curves_figure(curves_info(state()))
    assert [t.name for t in curve_traces(figure)] == ["b", "c", "a"]
    assert curve_traces(figure)[-1].line.width == 3


def test_a_curve_of_few_points_has_markers_and_the_style_is_one_call():
    from tunebook.figures import MARKERS_UP_TO, STATUS_STYLES, curve_style

    assert curve_style("pruned", False, 1) == {
        "mode": "lines+markers",
        "line": {"color": STATUS_STYLES["pruned"].color, "width": 1.2, "dash": "solid"},
        "marker": {"color": STATUS_STYLES["pruned"].color, "size": 5},
        "legendgroup": "pruned",
        "showlegend": False,
    }
    assert curve_style("running", False, MARKERS_UP_TO)["mode"] == "lines+markers"
    assert curve_style("running", False, MARKERS_UP_TO + 1)["mode"] == "lines"
    best = curve_style("terminated", True, 40)
    assert best["legendgroup"] == "best" and best["line"]["width"] == 3
    # c reported once: its one point is drawn (a line of one point draws nothing)
    drawn = {t.name: t.mode for t in curve_traces(curves_figure(curves_info(state())))}
    assert drawn == {"a": "lines+markers", "b": "lines+markers", "c": "lines+markers"}
    long = curves_figure(curves_info(replay("pbt.jsonl")))
    assert {t.mode for t in curve_traces(long)} == {"lines"}  # 16 points and more each


def test_every_status_has_its_own_colour_and_the_legend_names_those_drawn():
    from tunebook.figures import STATUS_STYLES
    from tunebook.results import TRIAL_STATUSES

    assert tuple(STATUS_STYLES) == TRIAL_STATUSES
    assert [s.label for s in STATUS_STYLES.values()] == list(TRIAL_STATUSES)  # the fold's words
    colours = [s.color.lower() for s in STATUS_STYLES.values()]
    assert len(set(colours)) == len(colours)
    assert "#000000" not in colours  # black is the best trial's
    figure = curves_figure(curves_info(state()))
    legend = [(t.name, t.legendgroup, t.line.color) for t in figure.data if t.showlegend]
    assert legend == [
        ("pruned", "pruned", STATUS_STYLES["pruned"].color),
        ("error", "error", STATUS_STYLES["error"].color),
        ("best: a", "best", "#000000"),  # a is running: the best is drawn black instead
    ]
    assert figure.layout.showlegend is True
    colour = {t.name: t.line.color for t in curve_traces(figure)}
    assert colour == {
        "b": STATUS_STYLES["pruned"].color,
        "c": STATUS_STYLES["error"].color,
        "a": "#000000",
    }


def test_each_exploit_that_trained_is_marked_on_its_recipients_curve():
    from tunebook.figures import ExploitMark

    s = ExperimentState()
    s.add(pbt_log().events())
    info = curves_info(s)
    # a's exploit at its last step never trained: it changed no curve, no mark
    assert info.exploits == (
        ExploitMark("a", "b", 5, 0.5, "a cloned b at iteration 4<br>h 2 → 2.4 (* 1.2)"),
        ExploitMark("b", "a", 7, 0.71, "b cloned a at iteration 6<br>h 2.4 → 2.88 (* 1.2)"),
    )
    recorded = replay("pbt.jsonl")
    marks = curves_info(recorded).exploits
    assert len(marks) == sum(e["trained"] for e in recorded.exploits) == 3
    curves = {c.trial_id: c for c in curves_info(recorded).curves}
    for mark in marks:  # each on the recipient's curve, at its first point after the break
        curve = curves[mark.recipient]
        at = next(
            i
            for i, (x, y) in enumerate(zip(curve.x, curve.y, strict=True))
            if (x, y) == (mark.x, mark.y)
        )
        assert math.isnan(curve.y[at - 1])
    figure = curves_figure(curves_info(recorded))
    drawn = [t for t in figure.data if t.legendgroup == "exploit"]
    assert len(drawn) == 1 and drawn[0].showlegend and drawn[0].name == "PBT exploit"
    assert list(zip(drawn[0].x, drawn[0].y, strict=True)) == [(m.x, m.y) for m in marks]
    assert list(drawn[0].hovertext) == [m.text for m in marks]
