"""Learning curves: a metric against the iteration, one line per trial, coloured by status.

The live dashboard draws the same picture piece by piece from the same parts: a curve's trace
style (:func:`curve_style`) and hover (:func:`curve_hover`), the legend (:func:`curves_legend`:
one entry per status present, and the best trial), PBT's exploits (:func:`exploit_marks`, drawn
by :func:`exploits_trace`) and the layout (:func:`curves_layout`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

import plotly.graph_objects as go

from tunebook.figures._lineage import exploit_changes
from tunebook.figures._numbers import NUMBER_FORMAT, hover_number, number_text
from tunebook.figures._status import BEST_COLOR, STATUS_STYLES, legend_trace, present, status_style
from tunebook.results import ExperimentState

#: A curve of at most this many points is drawn with markers on its line: one point alone
#: draws no line at all, and two or three are hard to see as one. Longer curves: lines only.
MARKERS_UP_TO = 5
#: Line widths: the best trial, and the others.
BEST_WIDTH, WIDTH = 3.0, 1.2
#: Legend places (``legendrank``): the statuses in the fold's order, then these.
BEST_RANK, EXPLOIT_RANK = 100, 101
EXPLOIT_COLOR = "#000000"


class Curve(NamedTuple):
    trial_id: str
    x: tuple[int, ...]
    y: tuple[float, ...]  # NaN where the line breaks (a PBT exploit, a retry from the start)
    status: str
    best: bool


class ExploitMark(NamedTuple):
    """A PBT exploit that trained, on its recipient's curve: the recipient's first point under
    the config the exploit gave it (the first report after the break in its line)."""

    recipient: str
    donor: str
    x: int
    y: float
    text: str  # "a cloned b at iteration 4<br>h 2 → 2.4 (* 1.2)"


class CurvesInfo(NamedTuple):
    """The data of a learning-curves figure (compared exactly in tests)."""

    metric: str | None
    curves: tuple[Curve, ...]
    exploits: tuple[ExploitMark, ...] = ()


def points(y: Iterable[float]) -> int:
    """The points a curve draws (its NaN breaks are none)."""
    return sum(1 for v in y if not math.isnan(v))


def curves_info(state: ExperimentState, metric: str | None = None) -> CurvesInfo:
    """One curve per trial that reported ``metric`` (default: the experiment's), and a mark
    for each PBT exploit that trained."""
    metric = metric or state.metric or (state.metrics[0] if state.metrics else None)
    if metric is None:
        return CurvesInfo(None, ())
    best_trial = state.best[0] if state.best and metric == state.metric else None
    curves = []
    for trial in state.trials.values():
        x, y = trial.series(metric)
        if x:
            curves.append(
                Curve(
                    trial.trial_id, tuple(x), tuple(y), trial.status, trial.trial_id == best_trial
                )
            )
    return CurvesInfo(metric, tuple(curves), exploit_marks(state, metric))


def exploit_marks(state: ExperimentState, metric: str) -> tuple[ExploitMark, ...]:
    """Where each PBT exploit that trained shows on its recipient's curve of ``metric``, in the
    order of the exploits. An exploit that never trained (the run ended first) changed no
    curve: no mark. Cheap (a walk over the exploits): the live view can call it each refresh."""
    marks = []
    for exploit in state.exploits:
        trial = state.trials.get(str(exploit.get("recipient")))
        if not exploit.get("trained") or trial is None:
            continue
        firsts = [s.first for s in trial.segments]
        for k, segment in enumerate(trial.segments):
            if segment.exploit is not exploit:
                continue
            end = firsts[k + 1] if k + 1 < len(firsts) else len(trial.iterations)
            column = trial.values.get(metric, [])
            for index in range(segment.first, min(end, len(column))):
                value = column[index]
                if value is not None:
                    donor = str(exploit.get("donor"))
                    changes = exploit_changes(exploit)
                    text = (
                        f"{trial.trial_id} cloned {donor} at iteration "
                        f"{number_text(segment.start)}" + (f"<br>{changes}" if changes else "")
                    )
                    marks.append(
                        ExploitMark(
                            trial.trial_id, donor, trial.iterations[index], float(value), text
                        )
                    )
                    break
    return tuple(marks)


def curve_style(status: str, best: bool, points: int) -> dict[str, Any]:
    """The trace properties of a trial's curve: ``mode``, ``line``, ``marker``,
    ``legendgroup`` and ``showlegend`` (shared by the static figure and the live widget).

    Its status's colour (``STATUS_STYLES``), black and thick for the best trial; markers on
    the line while the curve has at most ``MARKERS_UP_TO`` points. The curve joins its
    status's legend group (the best trial: ``"best"``), so that clicking a legend entry shows
    or hides those curves.

    Example:
        >>> curve_style("pruned", False, 1)["mode"]
        'lines+markers'
    """
    style = status_style(status)
    color, dash = (BEST_COLOR, "solid") if best else (style.color, style.dash)
    return {
        "mode": "lines+markers" if points <= MARKERS_UP_TO else "lines",
        "line": {"color": color, "width": BEST_WIDTH if best else WIDTH, "dash": dash},
        "marker": {"color": color, "size": 7 if best else 5},
        "legendgroup": "best" if best else status,
        "showlegend": False,
    }


def curve_hover(trial_id: str, status: str, best: bool, metric: str | None) -> str:
    """The hover template of a trial's curve."""
    mark = ", best" if best else ""
    return (
        f"{trial_id} ({status}{mark})<br>iteration %{{x}}<br>{metric} {hover_number('y')}"
        "<extra></extra>"
    )


def curves_legend(statuses: Iterable[str], best: str | None) -> list[dict[str, Any]]:
    """The legend's traces (no points): one per status in ``statuses`` (in the fold's order),
    then the best trial's when ``best`` (its id)."""
    traces = []
    order = list(STATUS_STYLES)
    for status in present(statuses):
        style = status_style(status)
        trace = legend_trace(style.label, status, style.color, style.dash, WIDTH * 2)
        rank = order.index(status) + 1 if status in order else len(order) + 1
        traces.append({**trace, "legendrank": rank})
    if best is not None:
        trace = legend_trace(f"best: {best}", "best", BEST_COLOR, "solid", BEST_WIDTH)
        traces.append({**trace, "legendrank": BEST_RANK})
    return traces


def exploits_trace(marks: Iterable[ExploitMark]) -> dict[str, Any]:
    """One trace of every exploit mark: an open diamond on the recipient's curve, the exploit
    on hover, with a legend entry."""
    marks = list(marks)
    return {
        "type": "scatter",
        "x": [m.x for m in marks],
        "y": [m.y for m in marks],
        "mode": "markers",
        "name": "PBT exploit",
        "legendgroup": "exploit",
        "legendrank": EXPLOIT_RANK,
        "showlegend": True,
        "marker": {
            "symbol": "diamond-open",
            "size": 11,
            "color": EXPLOIT_COLOR,
            "line": {"width": 2},
        },
        "hovertext": [m.text for m in marks],
        "hoverinfo": "text",
    }


def curves_layout(metric: str | None) -> dict[str, Any]:
    """The layout: the axes, the title, the legend (on the right, titled "status")."""
    return {
        "xaxis": {"title": {"text": "iteration"}},
        "yaxis": {"title": {"text": metric or ""}, "hoverformat": NUMBER_FORMAT},
        "showlegend": True,
        "legend": {"title": {"text": "status"}, "itemsizing": "constant"},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "height": 380,
        "autosize": True,
        "template": "plotly_white",
        "title": {"text": f"{metric} by iteration" if metric else "no metric reported yet"},
    }


def curves_figure(info: CurvesInfo) -> go.Figure:
    """The learning-curves figure: the legend of the statuses drawn, the best trial thick,
    black and on top, the exploits' marks above all."""
    figure = go.Figure(layout=curves_layout(info.metric))
    best = next((c.trial_id for c in info.curves if c.best), None)
    figure.add_traces(curves_legend((c.status for c in info.curves if not c.best), best))
    for curve in sorted(info.curves, key=lambda c: c.best):
        figure.add_trace(
            go.Scatter(
                x=curve.x,
                y=curve.y,
                name=curve.trial_id,
                hovertemplate=curve_hover(curve.trial_id, curve.status, curve.best, info.metric),
                **curve_style(curve.status, curve.best, points(curve.y)),
            )
        )
    if info.exploits:
        figure.add_trace(exploits_trace(info.exploits))
    return figure
