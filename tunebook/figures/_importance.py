"""What mattered: parameter importance (bars) and the metric against each parameter (slices)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tunebook.events import flat_config
from tunebook.results import ExperimentState

#: Slice plots per row.
COLUMNS = 3


class Slice(NamedTuple):
    """One parameter's values against each finished trial's best value of the metric."""

    parameter: str
    x: tuple[Any, ...]
    y: tuple[float, ...]
    trial_ids: tuple[str, ...]
    log: bool


class ImportanceInfo(NamedTuple):
    """The data of the importance figure (compared exactly in tests)."""

    metric: str | None
    parameters: tuple[str, ...]  # most important first
    importances: tuple[float, ...]
    slices: tuple[Slice, ...]  # in the order of ``parameters``, then the others


def importance_info(
    state: ExperimentState, importances: dict[str, float] | None = None
) -> ImportanceInfo:
    """Slices of the finished trials (not failed) with their best value of the metric, and
    the importances (``Results.importance()`` as ``{parameter: importance}``) if given."""
    metric = state.metric
    importances = importances or {}
    best: list[tuple[str, dict[str, Any], float]] = []
    for trial in state.finished():
        report = state.trial_best(trial)
        if report is not None and metric is not None:
            best.append((trial.trial_id, flat_config(trial.config), report["metrics"][metric]))
    names: list[str] = []
    for _, config, _ in best:
        names += [k for k in config if k not in names]
    varied = [n for n in names if len({repr(c.get(n)) for _, c, _ in best}) > 1]
    order = [p for p in importances if p in varied] + [n for n in varied if n not in importances]
    slices = tuple(
        Slice(
            name,
            tuple(c.get(name) for _, c, _ in best),
            tuple(v for _, _, v in best),
            tuple(t for t, _, _ in best),
            name in state.log_scale,
        )
        for name in order
    )
    return ImportanceInfo(
        metric, tuple(importances), tuple(float(v) for v in importances.values()), slices
    )


def importance_figure(info: ImportanceInfo) -> go.Figure:
    """Bars of the importances (when known), then one slice plot per parameter."""
    slice_rows = max(1, math.ceil(len(info.slices) / COLUMNS))
    rows = slice_rows + (1 if info.parameters else 0)
    titles = ["importance (fANOVA: share of the metric's variance)"] if info.parameters else []
    titles += [""] * (COLUMNS - 1) if info.parameters else []
    titles += [f"{info.metric} against {s.parameter}" for s in info.slices]
    specs: list[list[Any]] = []
    if info.parameters:
        specs.append([{"colspan": COLUMNS}] + [None] * (COLUMNS - 1))
    specs += [[{}] * COLUMNS for _ in range(slice_rows)]
    figure = make_subplots(
        rows=rows, cols=COLUMNS, specs=specs, subplot_titles=titles, vertical_spacing=0.12
    )
    first = 1
    if info.parameters:
        figure.add_trace(
            go.Bar(
                x=list(info.importances)[::-1],
                y=list(info.parameters)[::-1],
                orientation="h",
                marker={"color": "#1f77b4"},
                hovertemplate="%{y}: %{x:.3f}<extra></extra>",
                showlegend=False,
            ),
            row=1,
            col=1,
        )
        first = 2
    for index, piece in enumerate(info.slices):
        row, col = first + index // COLUMNS, 1 + index % COLUMNS
        figure.add_trace(
            go.Scatter(
                x=list(piece.x),
                y=list(piece.y),
                mode="markers",
                marker={"size": 6, "color": "#1f77b4", "opacity": 0.7},
                text=list(piece.trial_ids),
                hovertemplate=(
                    f"%{{text}}<br>{piece.parameter} %{{x}}<br>{info.metric} %{{y:.4g}}"
                    "<extra></extra>"
                ),
                showlegend=False,
            ),
            row=row,
            col=col,
        )
        if piece.log:
            figure.update_xaxes(type="log", row=row, col=col)
    figure.update_layout(
        height=260 * rows,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        title={"text": "what mattered" if info.slices else "what mattered: no finished trials yet"},
    )
    return figure
