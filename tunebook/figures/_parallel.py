"""Parallel coordinates: each trial's parameters against its best value of the metric."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import plotly.graph_objects as go

from tunebook.events import flat_config, is_number
from tunebook.results import ExperimentState


class Axis(NamedTuple):
    label: str
    values: tuple[float, ...]
    ticktext: tuple[str, ...] | None  # categories, when the parameter is not numeric


class ParallelInfo(NamedTuple):
    """The data of a parallel-coordinates figure (compared exactly in tests)."""

    metric: str | None
    trial_ids: tuple[str, ...]
    axes: tuple[Axis, ...]
    scores: tuple[float, ...]


def parallel_info(state: ExperimentState, metric: str | None = None) -> ParallelInfo:
    """Trials that reported ``metric``: one axis per parameter that varies, then the metric."""
    metric = metric or state.metric
    rows: list[tuple[str, dict[str, Any], float]] = []
    for trial in state.trials.values():
        best = state.trial_best(trial, metric)
        if best is not None:
            rows.append((trial.trial_id, flat_config(trial.config), best["metrics"][metric]))
    names: list[str] = []
    for _, config, _ in rows:
        names.extend(n for n in config if n not in names)
    axes = []
    for name in names:
        column = [config.get(name) for _, config, _ in rows]
        if len({repr(v) for v in column}) < 2:
            continue  # a constant tells nothing
        numbers = [float(v) for v in column if v is not None and is_number(v)]
        if len(numbers) == len(column) and name in state.log_scale and min(numbers) > 0:
            axes.append(Axis(f"log10({name})", tuple(math.log10(v) for v in numbers), None))
        elif len(numbers) == len(column):
            axes.append(Axis(name, tuple(numbers), None))
        else:
            labels = sorted({repr(v) if not isinstance(v, str) else v for v in column})
            index = {label: i for i, label in enumerate(labels)}
            coded = [index[repr(v) if not isinstance(v, str) else v] for v in column]
            axes.append(Axis(name, tuple(float(c) for c in coded), tuple(labels)))
    return ParallelInfo(
        metric,
        tuple(trial_id for trial_id, _, _ in rows),
        tuple(axes),
        tuple(score for _, _, score in rows),
    )


def parallel_figure(info: ParallelInfo) -> go.Figure:
    dimensions = []
    for axis in info.axes:
        dimension: dict[str, Any] = {"label": axis.label, "values": axis.values}
        if axis.ticktext is not None:
            dimension["tickvals"] = list(range(len(axis.ticktext)))
            dimension["ticktext"] = list(axis.ticktext)
        dimensions.append(dimension)
    dimensions.append({"label": info.metric or "", "values": info.scores})
    figure = go.Figure(
        go.Parcoords(
            line={"color": info.scores, "colorscale": "Viridis", "showscale": True},
            dimensions=dimensions,
        )
    )
    figure.update_layout(
        height=380,
        margin={"l": 60, "r": 60, "t": 100, "b": 30},
        template="plotly_white",
        title={"text": f"parameters against best {info.metric}" if info.metric else "", "y": 0.97},
    )
    return figure
