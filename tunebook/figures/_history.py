"""The optimisation history: each finished trial's value in the order the trials finished,
and the best so far (as Optuna's ``plot_optimization_history``).

Which trials: those that ended (not running) and reported the metric; each at its best value
of it (``ExperimentState.trial_best``, by the experiment's mode). Failed trials are drawn, as
crosses, but the best so far leaves them out, as the experiment's best does (a config that
crashed is no answer); pruned and stopped trials count, as they do for the best.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import plotly.graph_objects as go

from tunebook.figures._numbers import NUMBER_FORMAT, hover_number
from tunebook.figures._status import BEST_COLOR, present, status_style
from tunebook.results import ExperimentState


class HistoryInfo(NamedTuple):
    """The data of the optimisation history (compared exactly in tests)."""

    metric: str | None
    mode: str  # "max" or "min": what the best so far is
    trial_ids: tuple[str, ...]  # in the order they finished (ties: in the order they started)
    statuses: tuple[str, ...]
    values: tuple[float, ...]  # each trial's best value of the metric
    best_so_far: tuple[float | None, ...]  # the best of the trials that did not fail, up to
    # and with this one (None before the first of them)


def history_info(state: ExperimentState, metric: str | None = None) -> HistoryInfo:
    """The trials that ended and reported ``metric`` (default: the experiment's), in the order
    they finished, with their best value and the best so far.

    Example:
        >>> from tunebook.results import ExperimentState
        >>> state = ExperimentState()
        >>> state.add([
        ...     {"event": "experiment_started", "time": 0, "metric": "acc", "mode": "max"},
        ...     {"event": "trial_started", "time": 1, "trial_id": "a", "config": {}},
        ...     {"event": "result", "time": 2, "trial_id": "a", "iteration": 1,
        ...      "metrics": {"acc": 0.5}},
        ...     {"event": "trial_ended", "time": 3, "trial_id": "a", "status": "terminated"},
        ... ])
        >>> history_info(state).best_so_far
        (0.5,)
    """
    metric = metric or state.metric
    mode = state.direction
    ended = [t for t in state.trials.values() if t.status != "running"]
    ended.sort(key=lambda t: (t.ended if t.ended is not None else state.now, t.order))
    rows = []
    for trial in ended:
        report = state.trial_best(trial, metric) if metric else None
        if report is not None:
            rows.append((trial.trial_id, trial.status, float(report["metrics"][metric])))
    best: float | None = None
    so_far: list[float | None] = []
    for _, status, value in rows:
        if status != "error" and (
            best is None or (value > best if mode == "max" else value < best)
        ):
            best = value
        so_far.append(best)
    return HistoryInfo(
        metric,
        mode,
        tuple(r[0] for r in rows),
        tuple(r[1] for r in rows),
        tuple(r[2] for r in rows),
        tuple(so_far),
    )


def history_figure(info: HistoryInfo) -> go.Figure:
    """Each trial's value against its place in the finishing order, one colour per status (a
    failed trial a cross), and the best so far as a step line."""
    order = list(range(1, len(info.trial_ids) + 1))
    traces: list[dict[str, Any]] = []
    for status in present(info.statuses):
        style = status_style(status)
        picked = [i for i, s in enumerate(info.statuses) if s == status]
        traces.append(
            {
                "type": "scatter",
                "x": [order[i] for i in picked],
                "y": [info.values[i] for i in picked],
                "mode": "markers",
                "name": style.label,
                "marker": {
                    "color": style.color,
                    "size": 8,
                    "symbol": "x" if status == "error" else "circle",
                },
                "text": [info.trial_ids[i] for i in picked],
                "hovertemplate": f"%{{text}} ({status})<br>finished %{{x}}<br>"
                f"{info.metric} {hover_number('y')}<extra></extra>",
            }
        )
    if any(v is not None for v in info.best_so_far):
        traces.append(
            {
                "type": "scatter",
                "x": order,
                "y": list(info.best_so_far),
                "mode": "lines",
                "name": "best so far",
                "line": {"color": BEST_COLOR, "width": 2, "shape": "hv"},
                "hovertemplate": f"best so far after %{{x}}: {hover_number('y')}<extra></extra>",
            }
        )
    best = "highest" if info.mode == "max" else "lowest"
    if info.trial_ids:
        title = f"{info.metric} of each trial in the order they finished; the {best} so far"
    elif info.metric:
        title = f"no trial has finished with {info.metric} yet"
    else:
        title = "no metric reported yet"
    return go.Figure(
        data=traces,
        layout={
            "xaxis": {
                "title": {"text": "trials in the order they finished"},
                "tickformat": "d",  # whole places; one tick each while they are few
                **({"dtick": 1} if len(order) <= 20 else {}),
            },
            "yaxis": {"title": {"text": info.metric or ""}, "hoverformat": NUMBER_FORMAT},
            "legend": {"title": {"text": "status"}, "itemsizing": "constant"},
            "showlegend": True,
            "height": 380,
            "autosize": True,
            "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
            "template": "plotly_white",
            "title": {"text": title},
        },
    )
