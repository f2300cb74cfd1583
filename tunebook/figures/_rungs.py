"""The rung view: what ASHA decided at each rung, and why (the cut-off)."""

from __future__ import annotations

from typing import NamedTuple

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tunebook.results import ExperimentState


class Rung(NamedTuple):
    bracket: int
    milestone: float
    trial_ids: tuple[str, ...]
    values: tuple[float, ...]
    stopped: tuple[bool, ...]
    cutoff: float | None  # the cut-off at the rung's latest decision


class RungsInfo(NamedTuple):
    """The data of the rung view (compared exactly in tests)."""

    metric: str | None
    rungs: tuple[Rung, ...]  # by bracket, then milestone
    paths: tuple[tuple[str, tuple[tuple[float, float], ...]], ...]  # trial -> (rung, value)...


def rungs_info(state: ExperimentState) -> RungsInfo:
    """Each rung's trials with their values and decisions, and each trial's path."""
    cells: dict[tuple[int, float], list[dict]] = {}
    paths: dict[str, list[tuple[float, float]]] = {}
    for decision in state.decisions:
        key = (int(decision["bracket"] or 0), float(decision["rung"]))
        cells.setdefault(key, []).append(decision)
        paths.setdefault(str(decision["trial_id"]), []).append(
            (float(decision["rung"]), float(decision["value"]))
        )
    rungs = []
    for (bracket, milestone), decisions in sorted(cells.items()):
        cutoff = decisions[-1]["cutoff"]
        rungs.append(
            Rung(
                bracket,
                milestone,
                tuple(str(d["trial_id"]) for d in decisions),
                tuple(float(d["value"]) for d in decisions),
                tuple(d["decision"] == "stop" for d in decisions),
                None if cutoff is None else float(cutoff),
            )
        )
    return RungsInfo(state.metric, tuple(rungs), tuple((t, tuple(p)) for t, p in paths.items()))


def rungs_figure(info: RungsInfo) -> go.Figure:
    """Per bracket, the rungs as columns: each trial's value as a point (a red x where it was
    stopped), the cut-off as a line, counts per rung in the axis labels, the trial's path
    across rungs on hover."""
    brackets = sorted({rung.bracket for rung in info.rungs}) or [0]
    figure = make_subplots(
        rows=1,
        cols=len(brackets),
        shared_yaxes=True,
        subplot_titles=[f"bracket {b}" for b in brackets] if len(brackets) > 1 else None,
    )
    paths = dict(info.paths)
    for column, bracket in enumerate(brackets, start=1):
        rungs = [rung for rung in info.rungs if rung.bracket == bracket]
        for position, rung in enumerate(rungs):
            count = len(rung.values)
            spread = [
                position + 0.5 * (i / max(1, count - 1) - 0.5) * (count > 1) for i in range(count)
            ]
            hover = [
                f"{trial}<br>"
                + " → ".join(f"iter {m:g}: {v:.4g}" for m, v in paths.get(trial, ()))
                + ("<br><b>stopped here</b>" if stop else "")
                for trial, stop in zip(rung.trial_ids, rung.stopped, strict=True)
            ]
            figure.add_trace(
                go.Scatter(
                    x=spread,
                    y=rung.values,
                    mode="markers",
                    marker={
                        "symbol": ["x" if s else "circle" for s in rung.stopped],
                        "color": ["#d62728" if s else "#1f77b4" for s in rung.stopped],
                        "size": 8,
                    },
                    hovertext=hover,
                    hoverinfo="text",
                    showlegend=False,
                ),
                row=1,
                col=column,
            )
            if rung.cutoff is not None:
                figure.add_trace(
                    go.Scatter(
                        x=[position - 0.35, position + 0.35],
                        y=[rung.cutoff, rung.cutoff],
                        mode="lines",
                        line={"color": "#111111", "dash": "dash"},
                        hovertext=f"cut-off at iter {rung.milestone:g}: {rung.cutoff:.4g}",
                        hoverinfo="text",
                        showlegend=False,
                    ),
                    row=1,
                    col=column,
                )
        figure.update_xaxes(
            tickvals=list(range(len(rungs))),
            ticktext=[
                f"iter {r.milestone:g}<br>{len(r.values)} trials, {sum(r.stopped)} stopped"
                for r in rungs
            ],
            row=1,
            col=column,
        )
    figure.update_yaxes(title_text=info.metric or "", row=1, col=1)
    figure.update_layout(
        height=400,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        title={
            "text": "early stopping: each rung's values, cut-off (dashed) and stops (x)"
            if info.rungs
            else "no rung decisions (the scheduler is not ASHA)"
        },
    )
    return figure
