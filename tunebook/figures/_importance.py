"""What mattered: parameter importance (bars) and the metric against each parameter (slices)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tunebook.events import flat_config, is_number
from tunebook.figures._numbers import NUMBER_FORMAT, hover_number
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
    """Bars of the importances (when known), then one slice plot per parameter: titled
    "<metric> against <parameter>", its x axis named after the parameter (log where the
    parameter is sampled on a log scale)."""
    slice_rows = math.ceil(len(info.slices) / COLUMNS)
    rows = slice_rows + (1 if info.parameters else 0)
    layout = {
        "height": 260 * max(1, rows),
        "autosize": True,
        "template": "plotly_white",
        "margin": {"l": 60, "r": 20, "t": 60, "b": 40},
        "title": {
            "text": "what mattered" if info.slices else "what mattered: no finished trials yet"
        },
    }
    if not rows:
        return go.Figure(
            layout={**layout, "xaxis": {"visible": False}, "yaxis": {"visible": False}}
        )
    # one title per subplot, in the order make_subplots fills them: the bars (which span the
    # first row), then the slices; cells past the last slice hold no subplot
    titles = ["importance (fANOVA: share of the metric's variance)"] if info.parameters else []
    titles += [f"{info.metric} against {s.parameter}" for s in info.slices]
    specs: list[list[Any]] = []
    if info.parameters:
        specs.append([{"colspan": COLUMNS}] + [None] * (COLUMNS - 1))
    specs += [
        [{} if row * COLUMNS + col < len(info.slices) else None for col in range(COLUMNS)]
        for row in range(slice_rows)
    ]
    figure = make_subplots(
        rows=rows,
        cols=COLUMNS,
        specs=specs,
        subplot_titles=titles,
        vertical_spacing=min(0.12, 0.9 / max(1, rows - 1)),
        horizontal_spacing=0.08,
    )
    first = 1
    if info.parameters:
        figure.add_trace(
            go.Bar(
                x=list(info.importances)[::-1],
                y=list(info.parameters)[::-1],
                orientation="h",
                marker={"color": "#0072B2"},
                hovertemplate=f"%{{y}}: {hover_number('x')}<extra></extra>",
                showlegend=False,
            ),
            row=1,
            col=1,
        )
        # no axis title: the subplot's title says what the bars are, and the slices' titles
        # sit right under the axis
        figure.update_xaxes(tickformat=NUMBER_FORMAT, row=1, col=1)
        first = 2
    for index, piece in enumerate(info.slices):
        row, col = first + index // COLUMNS, 1 + index % COLUMNS
        numeric = all(is_number(v) for v in piece.x)
        figure.add_trace(
            go.Scatter(
                x=list(piece.x),
                y=list(piece.y),
                mode="markers",
                marker={"size": 6, "color": "#0072B2", "opacity": 0.7},
                text=list(piece.trial_ids),
                hovertemplate=(
                    f"%{{text}}<br>{piece.parameter} "
                    + (hover_number("x") if numeric else "%{x}")
                    + f"<br>{info.metric} {hover_number('y')}<extra></extra>"
                ),
                showlegend=False,
            ),
            row=row,
            col=col,
        )
        figure.update_xaxes(
            title_text=piece.parameter,
            type="log" if piece.log else ("linear" if numeric else "category"),
            exponentformat="e",  # 1e-06, not plotly's SI "1μ"
            row=row,
            col=col,
        )
        figure.update_yaxes(
            title_text=info.metric if col == 1 else None,
            hoverformat=NUMBER_FORMAT,
            row=row,
            col=col,
        )
    figure.update_layout(layout)
    return figure
