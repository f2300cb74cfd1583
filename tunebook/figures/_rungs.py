"""The rung view: what ASHA decided at each rung, and why (the cut-off)."""

from __future__ import annotations

from typing import NamedTuple

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tunebook.figures._numbers import NUMBER_FORMAT, hover_number, number_text
from tunebook.figures._status import STATUS_STYLES
from tunebook.results import ExperimentState


class Rung(NamedTuple):
    """One rung of one bracket: its decisions in the order they were made."""

    bracket: int
    milestone: float
    trial_ids: tuple[str, ...]
    values: tuple[float, ...]
    pruned: tuple[bool, ...]  # the decision was "stop": the trial is pruned there
    cutoffs: tuple[float | None, ...]  # the cut-off each decision was made against (None: none
    # yet, the rung's first trials go on)


class RungsInfo(NamedTuple):
    """The data of the rung view (compared exactly in tests)."""

    metric: str | None
    mode: str  # the direction values are ranked by: a stop falls below ("max") its cut-off
    rungs: tuple[Rung, ...]  # by bracket, then milestone
    paths: tuple[tuple[str, tuple[tuple[float, float], ...]], ...]  # trial -> (rung, value)...


#: Half the width of a rung's column: its decisions spread over it, left to right in time.
HALF = 0.35
#: Kept trials go on (running, as the curves draw them); pruned ones as the curves draw them.
KEPT_COLOR, PRUNED_COLOR = STATUS_STYLES["running"].color, STATUS_STYLES["pruned"].color
CUTOFF_COLOR = "#000000"


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def rungs_info(state: ExperimentState) -> RungsInfo:
    """Each rung's decisions (trial, value, stop or not, the cut-off it was made against) and
    each trial's path across the rungs."""
    cells: dict[tuple[int, float], list[dict]] = {}
    paths: dict[str, list[tuple[float, float]]] = {}
    for decision in state.decisions:
        key = (int(decision["bracket"] or 0), float(decision["rung"]))
        cells.setdefault(key, []).append(decision)
        paths.setdefault(str(decision["trial_id"]), []).append(
            (float(decision["rung"]), float(decision["value"]))
        )
    rungs = [
        Rung(
            bracket,
            milestone,
            tuple(str(d["trial_id"]) for d in decisions),
            tuple(float(d["value"]) for d in decisions),
            tuple(d["decision"] == "stop" for d in decisions),
            tuple(_float(d.get("cutoff")) for d in decisions),
        )
        for (bracket, milestone), decisions in sorted(cells.items())
    ]
    return RungsInfo(
        state.metric,
        state.direction,
        tuple(rungs),
        tuple((t, tuple(p)) for t, p in paths.items()),
    )


def spread(position: int, count: int) -> list[float]:
    """The x of a rung's ``count`` decisions in its column at ``position``, in time order."""
    if count == 1:
        return [float(position)]
    return [position - HALF + 2 * HALF * i / (count - 1) for i in range(count)]


def _cutoff_line(xs: list[float], cutoffs: tuple[float | None, ...]) -> tuple[list, list]:
    """Each decision's cut-off as a level step around its x (from half-way to the decision
    before to half-way to the next), joined in time order; a gap where there was none."""
    lines_x: list[float | None] = []
    lines_y: list[float | None] = []
    half = (xs[1] - xs[0]) / 2 if len(xs) > 1 else HALF / 2
    for x, cutoff in zip(xs, cutoffs, strict=True):
        lines_x += [x - half, x + half]
        lines_y += [cutoff, cutoff]
    return lines_x, lines_y


def rungs_figure(info: RungsInfo) -> go.Figure:
    """Per bracket, the rungs as columns, the decisions spread left to right in the order they
    were made: each trial's value as a point (an x where it was pruned), the cut-off each
    decision was made against as a step line through the column (asynchronous ASHA's cut-off
    moves as trials arrive: every pruned trial lies on the wrong side of its own step), counts per
    rung in the axis labels, the trial's path across rungs on hover."""
    brackets = sorted({rung.bracket for rung in info.rungs}) or [0]
    figure = make_subplots(
        rows=1,
        cols=len(brackets),
        shared_yaxes=True,
        subplot_titles=[f"bracket {b}" for b in brackets] if len(brackets) > 1 else None,
    )
    paths = dict(info.paths)
    legend = {"kept": False, "pruned": False, "cut-off": False}

    def shown(name: str) -> bool:  # one legend entry each
        first, legend[name] = not legend[name], True
        return first

    for column, bracket in enumerate(brackets, start=1):
        rungs = [rung for rung in info.rungs if rung.bracket == bracket]
        for position, rung in enumerate(rungs):
            xs = spread(position, len(rung.values))
            iteration = number_text(_whole(rung.milestone))
            hover = [
                f"{trial}<br>"
                + " → ".join(
                    f"iter {number_text(_whole(m))}: {number_text(v)}"
                    for m, v in paths.get(trial, ())
                )
                + ("" if cutoff is None else f"<br>cut-off then: {number_text(cutoff)}")
                + ("<br><b>pruned here</b>" if stop else "")
                for trial, stop, cutoff in zip(
                    rung.trial_ids, rung.pruned, rung.cutoffs, strict=True
                )
            ]
            if any(c is not None for c in rung.cutoffs):
                line_x, line_y = _cutoff_line(xs, rung.cutoffs)
                figure.add_trace(
                    go.Scatter(
                        x=line_x,
                        y=line_y,
                        mode="lines",
                        line={"color": CUTOFF_COLOR, "width": 1.5},
                        name="cut-off",
                        legendgroup="cut-off",
                        showlegend=shown("cut-off"),
                        hovertemplate=f"cut-off at iter {iteration}: "
                        f"{hover_number('y')}<extra></extra>",
                    ),
                    row=1,
                    col=column,
                )
            for name, stop in (("kept", False), ("pruned", True)):
                picked = [i for i, s in enumerate(rung.pruned) if s == stop]
                if not picked:
                    continue
                figure.add_trace(
                    go.Scatter(
                        x=[xs[i] for i in picked],
                        y=[rung.values[i] for i in picked],
                        mode="markers",
                        marker={
                            "symbol": "x" if stop else "circle",
                            "color": PRUNED_COLOR if stop else KEPT_COLOR,
                            "size": 9 if stop else 8,
                        },
                        name=name,
                        legendgroup=name,
                        showlegend=shown(name),
                        hovertext=[hover[i] for i in picked],
                        hoverinfo="text",
                    ),
                    row=1,
                    col=column,
                )
        figure.update_xaxes(
            tickvals=list(range(len(rungs))),
            ticktext=[
                f"iter {number_text(_whole(r.milestone))}<br>"
                f"{len(r.values)} trials, {sum(r.pruned)} pruned"
                for r in rungs
            ],
            range=[-0.5, max(0, len(rungs) - 1) + 0.5],
            row=1,
            col=column,
        )
    figure.update_yaxes(title_text=info.metric or "", row=1, col=1)
    figure.update_yaxes(hoverformat=NUMBER_FORMAT)
    side = "below" if info.mode == "max" else "above"
    figure.update_layout(
        height=400,
        autosize=True,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        title={
            "text": f"early stopping: each decision and its cut-off (line); pruned (x): {side}"
            if info.rungs
            else "no rung decisions (the scheduler is not ASHA)"
        },
    )
    return figure


def _whole(value: float) -> float | int:
    """An iteration as a count: 4.0 is 4."""
    return int(value) if float(value).is_integer() else value
