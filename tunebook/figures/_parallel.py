"""Parallel coordinates: each trial's parameters against its best value of the metric."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import plotly.graph_objects as go

from tunebook.events import flat_config, is_number
from tunebook.figures._numbers import NUMBER_FORMAT, number_text
from tunebook.results import ExperimentState


class Axis(NamedTuple):
    """One parameter's axis: a value per trial, and the ticks when plotly's own would not do
    (a category's names; a log-scale parameter's real values at powers of ten)."""

    label: str
    values: tuple[float, ...]  # log10 of the parameter's values on a log axis
    tickvals: tuple[float, ...] | None
    ticktext: tuple[str, ...] | None


class ParallelInfo(NamedTuple):
    """The data of a parallel-coordinates figure (compared exactly in tests)."""

    metric: str | None
    mode: str  # what is better: "max" or "min"
    trial_ids: tuple[str, ...]
    axes: tuple[Axis, ...]  # the parameters that vary; the metric's axis comes first, drawn
    scores: tuple[float, ...]  # each trial's best value of the metric


def log_ticks(low: float, high: float) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Ticks of a log axis from 10**low to 10**high, placed at log10 of the real values and
    labelled with them: the powers of ten inside, or 1, 2 and 5 times them where fewer than two
    powers fall inside, or the two ends where even those do not.

    Example:
        >>> log_ticks(-4, -1)
        ((-4.0, -3.0, -2.0, -1.0), ('0.0001', '0.001', '0.01', '0.1'))
    """
    eps = 1e-9
    decades = range(math.floor(low) - 1, math.ceil(high) + 1)
    reals = [10.0**k for k in decades if low - eps <= k <= high + eps]
    if len(reals) < 2:
        reals = [
            m * 10.0**k
            for k in decades
            for m in (1, 2, 5)
            if low - eps <= k + math.log10(m) <= high + eps
        ]
    if len(reals) < 2:
        reals = sorted({10.0**low, 10.0**high})
    return tuple(math.log10(v) for v in reals), tuple(number_text(v) for v in reals)


def parallel_info(state: ExperimentState, metric: str | None = None) -> ParallelInfo:
    """Trials that reported ``metric``: their best value of it, and one axis per parameter
    that varies (a log axis for a parameter sampled on a log scale)."""
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
            logs = tuple(math.log10(v) for v in numbers)
            axes.append(Axis(name, logs, *log_ticks(min(logs), max(logs))))
        elif len(numbers) == len(column):
            axes.append(Axis(name, tuple(numbers), None, None))
        else:
            labels = sorted({repr(v) if not isinstance(v, str) else v for v in column})
            index = {label: i for i, label in enumerate(labels)}
            coded = [index[repr(v) if not isinstance(v, str) else v] for v in column]
            axes.append(
                Axis(
                    name,
                    tuple(float(c) for c in coded),
                    tuple(float(i) for i in range(len(labels))),
                    tuple(labels),
                )
            )
    return ParallelInfo(
        metric,
        state.direction,
        tuple(trial_id for trial_id, _, _ in rows),
        tuple(axes),
        tuple(score for _, _, score in rows),
    )


def parallel_figure(info: ParallelInfo) -> go.Figure:
    """The metric's axis first (leftmost), then the parameters'; lines coloured by the metric,
    the better end yellow whatever the mode (Viridis, reversed for "min"), with a titled
    colour bar. The figure is whole in its JSON (``fig.to_plotly_json()``): the live view
    draws it with ``Plotly.react`` as it stands, the empty one as well."""
    better = "higher" if info.mode == "max" else "lower"
    dimensions: list[dict[str, Any]] = []
    if info.trial_ids:
        dimensions.append(
            {"label": info.metric or "", "values": info.scores, "tickformat": NUMBER_FORMAT}
        )
    for axis in info.axes:
        dimension: dict[str, Any] = {"label": axis.label, "values": axis.values}
        if axis.tickvals is not None:
            dimension["tickvals"] = axis.tickvals
            dimension["ticktext"] = axis.ticktext
        else:
            dimension["tickformat"] = NUMBER_FORMAT
        dimensions.append(dimension)
    line: dict[str, Any] = {}
    if info.trial_ids:
        line = {
            "color": info.scores,
            "colorscale": "Viridis",
            "reversescale": info.mode == "min",
            "showscale": True,
            "colorbar": {
                "title": {"text": f"{info.metric}<br>({better} is better)"},
                "tickformat": NUMBER_FORMAT,
            },
        }
    if info.trial_ids:
        title = f"each trial's best {info.metric} (left) and its parameters"
    elif info.metric:
        title = f"no trial has reported {info.metric} yet"
    else:
        title = "no metric reported yet"
    return go.Figure(
        data=[go.Parcoords(line=line, dimensions=dimensions)],
        layout={
            "height": 380,
            "autosize": True,
            "margin": {"l": 60, "r": 60, "t": 100, "b": 30},
            "template": "plotly_white",
            "title": {"text": title, "y": 0.97},
        },
    )
