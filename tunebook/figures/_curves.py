"""Learning curves: a metric against the iteration, one line per trial."""

from __future__ import annotations

from typing import NamedTuple

import plotly.graph_objects as go

from tunebook.results import ExperimentState

#: Line colour by trial status.
STATUS_COLORS = {
    "running": "#1f77b4",
    "terminated": "#6c8ebf",
    "pruned": "#c7c7c7",
    "stopped": "#ff9f40",
    "error": "#d62728",
}
BEST_COLOR = "#111111"


class Curve(NamedTuple):
    trial_id: str
    x: tuple[int, ...]
    y: tuple[float, ...]
    status: str
    best: bool


class CurvesInfo(NamedTuple):
    """The data of a learning-curves figure (compared exactly in tests)."""

    metric: str | None
    curves: tuple[Curve, ...]


def curves_info(state: ExperimentState, metric: str | None = None) -> CurvesInfo:
    """One curve per trial that reported ``metric`` (default: the experiment's)."""
    metric = metric or state.metric or (state.metrics[0] if state.metrics else None)
    best_trial = state.best[0] if state.best and metric == state.metric else None
    curves = []
    for trial in state.trials.values():
        if metric is None:
            break
        x, y = trial.series(metric)
        if x:
            curves.append(
                Curve(
                    trial.trial_id, tuple(x), tuple(y), trial.status, trial.trial_id == best_trial
                )
            )
    return CurvesInfo(metric, tuple(curves))


def curve_style(status: str, best: bool) -> dict[str, object]:
    """Line style of a trial's curve (shared by the static figure and the live widget)."""
    if best:
        return {"color": BEST_COLOR, "width": 3}
    return {"color": STATUS_COLORS.get(status, "#888888"), "width": 1.2}


def curves_layout(metric: str | None) -> dict[str, object]:
    return {
        "xaxis": {"title": {"text": "iteration"}},
        "yaxis": {"title": {"text": metric or ""}},
        "showlegend": False,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "height": 380,
        "template": "plotly_white",
        "title": {"text": f"{metric} by iteration" if metric else "no metric reported yet"},
    }


def curves_figure(info: CurvesInfo) -> go.Figure:
    """The learning-curves figure; the best trial drawn thick and on top."""
    figure = go.Figure(layout=curves_layout(info.metric))
    for curve in sorted(info.curves, key=lambda c: c.best):
        figure.add_trace(
            go.Scatter(
                x=curve.x,
                y=curve.y,
                mode="lines",
                name=curve.trial_id,
                line=curve_style(curve.status, curve.best),
                hovertemplate=f"{curve.trial_id} ({curve.status})<br>iteration %{{x}}"
                f"<br>{info.metric} %{{y:.4g}}<extra></extra>",
            )
        )
    return figure
