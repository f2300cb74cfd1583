"""The live learning curves: a pool of plotly traces, each curve cut into chunks, so that a
refresh sends each reporting trial's new points (with at most one chunk of its older ones) in
one message for the whole figure.

The picture is the static one's (``tunebook.figures.curves_figure``), drawn from the same parts:
each curve's style and hover, the legend of the statuses present (and the best trial), PBT's
exploit marks. The first traces are kept for the legend and the marks; the curves' come after.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tunebook.dashboard._plot_view import PlotView
from tunebook.figures import (
    MARKERS_UP_TO,
    STATUS_STYLES,
    curve_hover,
    curve_style,
    curves_legend,
    exploit_marks,
    exploits_trace,
    points,
)
from tunebook.results import ExperimentState

#: Points per curve trace: a refresh sends at most this many old points per reporting trial,
#: so what a refresh sends grows with the new points, not with the length of the curves.
CHUNK = 100
#: Empty traces added at a time when the pool of traces runs out (in the refresh's message).
POOL = 64
#: The first traces: one legend entry per status and the best trial's, then the exploit marks.
LEGEND = len(STATUS_STYLES) + 1
EXPLOITS = LEGEND
RESERVED = LEGEND + 1

_EMPTY = {"type": "scatter", "x": [], "y": [], "mode": "lines", "showlegend": False}
_NO_ENTRY = {"showlegend": False, "name": "", "x": [None], "y": [None], "hoverinfo": "skip"}


def traces_for(points: int) -> int:
    """Traces a curve of ``points`` points takes: CHUNK + 1 points each, overlapping by one."""
    return 0 if points == 0 else 1 + max(0, -(-(points - CHUNK - 1) // CHUNK))


class CurvePool:
    """The traces of a learning-curves ``PlotView``, handed out to trials as they report."""

    def __init__(self, view: PlotView) -> None:
        self.view = view
        self.metric: str | None = None
        self.best_k = 0  # show only the best k trials (0: all)
        view.update(add=[dict(_EMPTY) for _ in range(RESERVED)])
        self._free: list[int] = []
        self._forget()

    def reset(self) -> None:
        """Clear what was drawn (the metric changed): every used trace goes back to the pool."""
        used = [i for traces in self._traces.values() for i in traces]
        empty = {"x": [], "y": [], "visible": True}
        self.view.update(traces={i: empty for i in used} | {EXPLOITS: {"x": [], "y": []}})
        self._free = sorted(self._free + used)
        self._forget()

    def _forget(self) -> None:
        self._traces: dict[str, list[int]] = {}  # trial -> its trace indexes, oldest first
        self._starts: dict[str, list[int]] = {}  # trial -> where each trace starts in the series
        self._sent: dict[str, int] = {}  # trial -> points already sent
        self._styled: dict[str, tuple[str, bool, int]] = {}
        self._drawn_best: str | None = None  # the trial drawn thick now
        self._legend: tuple[tuple[str, ...], str | None] = ((), None)
        self._marks: tuple[Any, ...] | None = None  # the exploit marks drawn
        self._hidden: set[str] = set()  # trials hidden by "best k"

    def _take(self, count: int, add: list[dict[str, Any]]) -> list[int]:
        """``count`` free traces; new ones (appended to ``add``) when the pool runs out."""
        while len(self._free) < count:
            start = len(self.view.data) + len(add)
            add.extend(dict(_EMPTY) for _ in range(POOL))
            self._free.extend(range(start, start + POOL))
        taken, self._free = self._free[:count], self._free[count:]
        return taken

    def update(self, state: ExperimentState, changed: set[str]) -> None:
        """Send what changed for ``changed`` trials (and the trials whose "best" mark moves),
        the legend and the exploit marks, in one message."""
        metric = self.metric
        if metric is None:
            return
        best = state.best[0] if state.best and metric == state.metric else None
        plan: list[tuple[str, list[int], list[float]]] = []
        moved = {t for t in (self._drawn_best, best) if t is not None}
        for trial_id in changed | moved:
            trial = state.trials.get(trial_id)
            if trial is None:
                continue
            x, y = trial.series(metric)
            if len(x) > self._sent.get(trial_id, 0) or self._styled.get(trial_id) != self._key(
                trial.status, trial_id == best, y
            ):
                plan.append((trial_id, x, y))
        edits: dict[int, dict[str, Any]] = {}
        add: list[dict[str, Any]] = []
        if plan:
            # new traces for curves that start or outgrow their last trace
            needed = sum(
                max(0, traces_for(len(x)) - len(self._traces.get(trial_id, [])))
                for trial_id, x, _ in plan
            )
            pool = self._take(needed, add) if needed else []
            for trial_id, x, y in plan:
                status = state.trials[trial_id].status
                self._plan(trial_id, status, x, y, trial_id == best, pool, edits)
        self._plan_legend(state, best, edits)
        self._plan_exploits(state, metric, edits)
        if self.best_k:
            self._plan_visible(state, edits)
        if add or edits:
            self.view.update(
                add=add,
                traces=edits,
                layout={"yaxis.title.text": metric, "title.text": f"{metric} by iteration"},
            )

    @staticmethod
    def _key(status: str, best: bool, y: list[float]) -> tuple[str, bool, int]:
        """What a curve's style depends on (its point count only while markers are drawn)."""
        return (status, best, min(points(y), MARKERS_UP_TO + 1))

    def _plan(
        self,
        trial_id: str,
        status: str,
        x: list[int],
        y: list[float],
        best: bool,
        pool: list[int],
        edits: dict[int, dict[str, Any]],
    ) -> None:
        """Add to ``edits`` (trace index -> new values) what drawing ``trial_id`` changes."""
        if not x:
            return  # no curve yet
        traces = self._traces.setdefault(trial_id, [])
        starts = self._starts.setdefault(trial_id, [])
        sent = self._sent.get(trial_id, 0)
        fresh = set()
        if x and not traces:
            traces.append(pool.pop(0))
            starts.append(0)
            fresh.add(traces[-1])
        while traces and len(x) - starts[-1] > CHUNK + 1:
            starts.append(starts[-1] + CHUNK)  # the next trace repeats the last point: no gap
            traces.append(pool.pop(0))
            fresh.add(traces[-1])
        key = self._key(status, best, y)
        restyle = self._styled.get(trial_id) != key
        style = curve_style(status, best, points(y))
        for index, start in zip(traces, starts, strict=True):
            edit: dict[str, Any] = {}
            end = start + CHUNK + 1
            if len(x) > sent and end > sent and start < len(x):  # this trace gained points
                # numpy arrays go as binary buffers
                edit["x"] = np.asarray(x[start:end], dtype=np.int32)
                edit["y"] = np.asarray(y[start:end], dtype=np.float64)
            if restyle or index in fresh:
                edit["name"] = trial_id
                edit["hovertemplate"] = curve_hover(trial_id, status, best, self.metric)
                edit.update(style)
            if edit:
                edits[index] = edit
        self._sent[trial_id] = len(x)
        self._styled[trial_id] = key
        if best:
            self._drawn_best = trial_id
        elif self._drawn_best == trial_id:
            self._drawn_best = None

    def _plan_legend(
        self, state: ExperimentState, best: str | None, edits: dict[int, dict[str, Any]]
    ) -> None:
        """The legend: the statuses of the curves drawn (the best's aside), and the best."""
        others = sorted({state.trials[t].status for t in self._traces if t != best})
        if (tuple(others), best) == self._legend:
            return
        entries = curves_legend(others, best)[:LEGEND]
        for slot in range(LEGEND):
            entry = entries[slot] if slot < len(entries) else _NO_ENTRY
            edits[slot] = {k: v for k, v in entry.items() if k != "type"}
        self._legend = (tuple(others), best)

    def _plan_exploits(
        self, state: ExperimentState, metric: str, edits: dict[int, dict[str, Any]]
    ) -> None:
        """PBT's exploit marks, redrawn whole when they change (a mark per exploit)."""
        if not state.exploits and self._marks is not None:
            return
        marks = exploit_marks(state, metric)
        if marks == self._marks:
            return
        trace = {k: v for k, v in exploits_trace(marks).items() if k != "type"}
        edits[EXPLOITS] = trace | {"showlegend": bool(marks)}
        self._marks = marks

    def _plan_visible(self, state: ExperimentState, edits: dict[int, dict[str, Any]]) -> None:
        """With "best k": the curves of the other trials hidden (the legend stays)."""
        shown = {t.trial_id for t in state.best_first()[: self.best_k]}
        hidden = set(self._traces) - shown
        for trial_id in hidden ^ self._hidden:
            for index in self._traces[trial_id]:
                edits.setdefault(index, {})["visible"] = trial_id not in hidden
        self._hidden = hidden

    def drawn(self) -> dict[str, tuple[list[int], list[float | None]]]:
        """What is drawn of each trial's curve, its chunks joined: ``{trial: (x, y)}``."""
        curves = {}
        for trial_id, indexes in self._traces.items():
            x: list[int] = []
            y: list[float | None] = []
            for k, index in enumerate(indexes):
                trace = self.view.data[index]
                skip = 1 if k else 0  # a chunk repeats its predecessor's last point
                x += list(trace["x"])[skip:]
                y += list(trace["y"])[skip:]
            curves[trial_id] = (x, y)
        return curves

    def style(self, trial_id: str) -> dict[str, Any]:
        """The drawn style of a trial's curve (its first trace's)."""
        trace = self.view.data[self._traces[trial_id][0]]
        return {k: trace[k] for k in ("mode", "line", "marker", "legendgroup") if k in trace}

    def show_best(self, state: ExperimentState, k: int) -> None:
        """Show only the ``k`` best trials' curves (0: every trial's)."""
        self.best_k = k
        edits: dict[int, dict[str, Any]] = {}
        if k:
            self._plan_visible(state, edits)
        else:
            for trial_id in self._hidden:
                for index in self._traces[trial_id]:
                    edits[index] = {"visible": True}
            self._hidden = set()
        self.view.update(traces=edits, layout={"yaxis.autorange": True})
