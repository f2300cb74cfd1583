"""The lineage view of Population Based Training: who cloned whom, when, with what config.

Iteration on x, one row per member. Each member's reports are points coloured by the metric,
joined per segment (a segment: the reports under one config, between two exploits); an edge
goes from the donor's checkpoint to the recipient at every exploit, with the explored
hyperparameters on hover; the ancestry of the best member's final model is drawn thick. A
second panel shows each hyperparameter's value over the iterations, per member.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tunebook.events import flat_config, is_number
from tunebook.figures._numbers import hover_number, number_text
from tunebook.results import ExperimentState, ancestry, current_segment


class Stretch(NamedTuple):
    """One segment of one member: its iterations and metric values, and its config."""

    member: str
    level: float  # y: the member's row, plus a step up for each later segment
    x: tuple[int, ...]
    y: tuple[float, ...]
    config: tuple[tuple[str, Any], ...]  # flat, sorted
    on_path: bool  # part of the best final member's ancestry


class Edge(NamedTuple):
    """An exploit that trained: ``recipient`` went on from ``donor``'s checkpoint at
    ``donor_step`` (it was at ``step``); the levels are the two segments' rows."""

    donor: str
    recipient: str
    donor_step: int
    step: int
    donor_level: float
    recipient_level: float
    changes: str  # "lr 0.01 → 0.012 (* 1.2)", one per line


class LineageInfo(NamedTuple):
    """The data of the lineage view (compared exactly in tests)."""

    metric: str | None
    members: tuple[str, ...]  # rows, bottom to top: in the order they started
    stretches: tuple[Stretch, ...]
    edges: tuple[Edge, ...]
    best: str | None  # the member with the best final value
    parameters: tuple[str, ...]  # the explored hyperparameters (flat names)


#: The rows of one member's segments span at most this much of the gap between members.
SPREAD = 0.6


def exploit_changes(exploit: dict[str, Any]) -> str:
    """What an exploit changed: ``"lr 0.01 → 0.012 (* 1.2)"``, one line (``<br>``) each."""
    old = flat_config(exploit.get("donor_config") or {})
    new = flat_config(exploit.get("new_config") or {})
    operations = flat_config(exploit.get("operations") or {})
    lines = []
    for name in sorted(new):
        if name in operations or old.get(name) != new[name]:
            how = f" ({operations[name]})" if name in operations else ""
            lines.append(f"{name} {number_text(old.get(name))} → {number_text(new[name])}{how}")
    return "<br>".join(lines)


def lineage_info(state: ExperimentState, metric: str | None = None) -> LineageInfo:
    """Each member's segments, an edge for each exploit that trained, and the segments
    that made the best final member's model."""
    metric = metric or state.metric
    trials = state.trials
    most = max((len(t.segments) for t in trials.values()), default=1)
    step = SPREAD / max(1, most - 1)
    level = {
        (trial_id, k): row + k * step
        for row, (trial_id, trial) in enumerate(trials.items())
        for k in range(len(trial.segments))
    }
    final = state.best_trial(metric, state.direction, scope="last") if metric else None
    best = None if final is None else final[0].trial_id
    path = set(ancestry(state, best)) if best is not None else set()
    stretches = []
    edges = []
    for trial in trials.values():
        column = trial.values.get(metric or "", [])
        ends = [s.first for s in trial.segments[1:]] + [len(trial.iterations)]
        ends = ends if trial.segments else []  # a member that has not reported yet
        for k, (segment, end) in enumerate(zip(trial.segments, ends, strict=True)):
            stretches.append(
                Stretch(
                    trial.trial_id,
                    level[(trial.trial_id, k)],
                    tuple(trial.iterations[segment.first : end]),
                    tuple(math.nan if v is None else float(v) for v in column[segment.first : end]),
                    tuple(sorted(flat_config(segment.config).items())),
                    (trial.trial_id, k) in path,
                )
            )
            if segment.exploit is not None and segment.donor in trials:
                donor = trials[segment.donor]
                edges.append(
                    Edge(
                        donor.trial_id,
                        trial.trial_id,
                        segment.start,
                        int(segment.exploit.get("step") or 0),
                        level[(donor.trial_id, current_segment(donor, segment.exploit["at"]))],
                        level[(trial.trial_id, k)],
                        exploit_changes(segment.exploit),
                    )
                )
    explored: set[str] = set()
    for e in state.exploits:
        explored |= set(flat_config(e.get("operations") or {})) or set(
            flat_config(e.get("new_config") or {})
        )
    return LineageInfo(
        metric, tuple(trials), tuple(stretches), tuple(edges), best, tuple(sorted(explored))
    )


def lineage_figure(info: LineageInfo) -> go.Figure:
    """The lineage (top) and, when ``info.parameters``, each hyperparameter over the
    iterations per member (below)."""
    rows = 1 + len(info.parameters)
    figure = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[0.5] + [0.5 / max(1, len(info.parameters))] * len(info.parameters),
        subplot_titles=["lineage: members cloning better ones (edges), coloured by metric"]
        + [f"{name} over iterations" for name in info.parameters],
    )
    values = [v for s in info.stretches for v in s.y if not math.isnan(v)]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    for stretch in info.stretches:
        config = "<br>".join(f"{k} = {number_text(v)}" for k, v in stretch.config)
        figure.add_trace(
            go.Scatter(
                x=stretch.x,
                y=[stretch.level] * len(stretch.x),
                mode="lines+markers",
                line={
                    "color": "#111111" if stretch.on_path else "#bbbbbb",
                    "width": 4 if stretch.on_path else 1.5,
                },
                marker={
                    "color": [None if math.isnan(v) else v for v in stretch.y],
                    "colorscale": "Viridis",
                    "cmin": low,
                    "cmax": high,
                    "size": 7,
                    "showscale": stretch is info.stretches[0],
                    "colorbar": {"title": {"text": info.metric or ""}, "len": 0.5, "y": 0.78},
                },
                customdata=stretch.y,
                hovertemplate=(
                    f"{stretch.member}<br>iteration %{{x}}<br>{info.metric} "
                    f"{hover_number('customdata')}<br>{config}<extra></extra>"
                ),
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    if info.edges:
        xs: list[Any] = []
        ys: list[Any] = []
        for edge in info.edges:
            xs += [edge.donor_step, edge.donor_step + 0.5, None]
            ys += [edge.donor_level, edge.recipient_level, None]
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": "#d62728", "width": 1},
                hoverinfo="skip",
                showlegend=False,
            ),
            row=1,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=[e.donor_step + 0.5 for e in info.edges],
                y=[e.recipient_level for e in info.edges],
                mode="markers",
                marker={"symbol": "triangle-right", "color": "#d62728", "size": 9},
                hovertext=[
                    f"{e.recipient} cloned {e.donor} at iteration {e.donor_step} "
                    f"(was at {e.step})<br>{e.changes}"
                    for e in info.edges
                ],
                hoverinfo="text",
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    for row, name in enumerate(info.parameters, start=2):
        for stretch in info.stretches:
            value = dict(stretch.config).get(name)
            if value is None or not stretch.x:
                continue
            figure.add_trace(
                go.Scatter(
                    x=stretch.x,
                    y=[value] * len(stretch.x),
                    mode="lines",
                    line={
                        "color": "#111111" if stretch.on_path else "#9ecae1",
                        "width": 3 if stretch.on_path else 1,
                    },
                    hovertemplate=(
                        f"{stretch.member}<br>{name} = {number_text(value)}<extra></extra>"
                    ),
                    showlegend=False,
                ),
                row=row,
                col=1,
            )
        if all(
            is_number(dict(s.config).get(name)) for s in info.stretches if name in dict(s.config)
        ):
            figure.update_yaxes(title_text=name, row=row, col=1)
    figure.update_yaxes(
        tickvals=list(range(len(info.members))),
        ticktext=list(info.members),
        zeroline=False,
        row=1,
        col=1,
    )
    figure.update_xaxes(title_text="iteration", row=rows, col=1)
    figure.update_layout(
        height=360 + 160 * len(info.parameters),
        autosize=True,
        template="plotly_white",
        margin={"l": 110, "r": 20, "t": 60, "b": 50},
        title={
            "text": f"best final member: {info.best} (its ancestry thick)"
            if info.edges
            else "no exploits yet (the scheduler is not PBT, or none has happened)"
        },
    )
    return figure
