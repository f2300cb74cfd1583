"""The live learning curves: a pool of plotly traces, each curve cut into chunks, so that a
refresh sends each reporting trial's new points (with at most one chunk of its older ones) in
one ``plotly_update`` for the whole figure."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from tunebook.dashboard._plotly_internals import UNDEFINED
from tunebook.figures import curve_style
from tunebook.results import ExperimentState

#: Points per curve trace: a refresh sends at most this many old points per reporting trial,
#: so what a refresh sends grows with the new points, not with the length of the curves.
CHUNK = 100
#: Empty traces added at a time when the pool of traces runs out (one addTraces message).
POOL = 64


def traces_for(points: int) -> int:
    """Traces a curve of ``points`` points takes: CHUNK + 1 points each, overlapping by one."""
    return 0 if points == 0 else 1 + max(0, -(-(points - CHUNK - 1) // CHUNK))


class CurvePool:
    """The traces of a learning-curves ``FigureWidget``, handed out to trials as they report."""

    def __init__(self, figure: go.FigureWidget) -> None:
        self.figure = figure
        self.metric: str | None = None
        self._free: list[int] = []
        self._forget()

    def reset(self) -> None:
        """Clear what was drawn (the metric changed): every used trace goes back to the pool."""
        used = [i for traces in self._traces.values() for i in traces]
        with self.figure.batch_update():
            for index in used:
                self.figure.data[index].x, self.figure.data[index].y = [], []
        self._free = sorted(self._free + used)
        self._forget()

    def _forget(self) -> None:
        self._traces: dict[str, list[int]] = {}  # trial -> its trace indexes, oldest first
        self._starts: dict[str, list[int]] = {}  # trial -> where each trace starts in the series
        self._sent: dict[str, int] = {}  # trial -> points already sent
        self._styled: dict[str, tuple[str, bool]] = {}
        self._drawn_best: str | None = None  # the trial drawn thick now

    def _take(self, count: int) -> list[int]:
        while len(self._free) < count:
            start = len(self.figure.data)
            # dicts, not go.Scatter objects: plotly would build each trace twice
            self.figure.add_traces(
                [{"type": "scatter", "mode": "lines", "showlegend": False}] * POOL
            )
            self._free.extend(range(start, start + POOL))
        taken, self._free = self._free[:count], self._free[count:]
        return taken

    def update(self, state: ExperimentState, changed: set[str]) -> None:
        """Send what changed for ``changed`` trials (and the trials whose "best" mark moves)."""
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
            if len(x) > self._sent.get(trial_id, 0) or self._styled.get(trial_id) != (
                trial.status,
                trial_id == best,
            ):
                plan.append((trial_id, x, y))
        if not plan:
            return
        # new traces for curves that start or outgrow their last trace
        needed = sum(
            max(0, traces_for(len(x)) - len(self._traces.get(trial_id, [])))
            for trial_id, x, _ in plan
        )
        pool = self._take(needed) if needed else []
        edits: dict[int, dict[str, Any]] = {}
        for trial_id, x, y in plan:
            status = state.trials[trial_id].status
            self._plan(trial_id, status, x, y, trial_id == best, pool, edits)
        # One restyle for every trace touched, values per trace (UNDEFINED: leave as is).
        # plotly_update, unlike setting trace properties, skips plotly's per-value checks,
        # which cost most of a refresh at a thousand trials; the values here are ours.
        indexes = list(edits)
        keys = {key for edit in edits.values() for key in edit}
        self.figure.plotly_update(
            restyle_data={
                key: [edits[index].get(key, UNDEFINED) for index in indexes] for key in keys
            },
            relayout_data={"yaxis.title.text": metric, "title.text": f"{metric} by iteration"},
            trace_indexes=indexes,
        )

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
        style = (status, best)
        restyle = self._styled.get(trial_id) != style
        line = curve_style(*style)
        for index, start in zip(traces, starts, strict=True):
            edit: dict[str, Any] = {}
            end = start + CHUNK + 1
            if len(x) > sent and end > sent and start < len(x):  # this trace gained points
                if index in fresh:
                    edit["name"] = trial_id
                    edit["hovertemplate"] = (
                        f"{trial_id}<br>iteration %{{x}}<br>{self.metric} %{{y:.4g}}<extra></extra>"
                    )
                # numpy arrays go as binary buffers (int64 would go as a JSON list)
                edit["x"] = np.asarray(x[start:end], dtype=np.int32)
                edit["y"] = np.asarray(y[start:end], dtype=np.float64)
            if restyle or index in fresh:
                edit["line"] = line
            if edit:
                edits[index] = edit
        self._sent[trial_id] = len(x)
        self._styled[trial_id] = style
        if best:
            self._drawn_best = trial_id
        elif self._drawn_best == trial_id:
            self._drawn_best = None
