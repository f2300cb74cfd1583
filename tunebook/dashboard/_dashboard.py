"""The live dashboard: ipywidgets and plotly ``FigureWidget`` views over the event log.

Pull-based: a refresh reads only the events that are new since the last one (a cursor into
the log), folds them into a :class:`~tunebook.figures.RunState`, and sends only what changed:
the new points of the trials that reported, in one plotly message, and the header in one
widget message. Refreshes pass a :class:`Throttle` (a few per second at most), and a final one
runs when the experiment ends. The widgets never talk to Ray: Stop goes through the
experiment's stop flags.
"""

from __future__ import annotations

import html
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
from plotly.basedatatypes import Undefined

from tunebook.dashboard._throttle import Throttle
from tunebook.events import EventLog, resources_text
from tunebook.figures import (
    RunState,
    curve_style,
    curves_layout,
    importance_figure,
    importance_info,
    lineage_figure,
    lineage_info,
    parallel_figure,
    parallel_info,
    rungs_figure,
    rungs_info,
    table_html,
    table_info,
)

if TYPE_CHECKING:
    from tunebook.engine import Experiment
    from tunebook.results import Results

#: Points per curve trace: a refresh sends at most this many old points per reporting trial,
#: so what a refresh sends grows with the new points, not with the length of the curves.
CHUNK = 100
#: Empty traces added at a time when the pool of traces runs out (one addTraces message).
POOL = 64
STATUS_ICONS = {"running": "▶", "terminated": "✓", "pruned": "✂", "stopped": "■", "error": "✗"}


def _redraw(widget: go.FigureWidget, figure: go.Figure) -> None:
    """Replace a small view whole (rungs, lineage, importance): its layout, then its traces."""
    with widget.batch_update():
        widget.layout = figure.layout
    widget.data = ()
    widget.add_traces(list(figure.data))


def _traces_for(points: int) -> int:
    """Traces a curve of ``points`` points takes: CHUNK + 1 points each, overlapping by one."""
    return 0 if points == 0 else 1 + max(0, -(-(points - CHUNK - 1) // CHUNK))


class Dashboard:
    """The dashboard of an experiment (live) or of finished results (static).

    Args:
        source: an ``Experiment`` (live: refreshes until it ends, Stop buttons work) or a
            ``Results`` (drawn once).
        interval: at most one refresh per ``interval`` seconds (default
            ``Dashboard.default_interval``, 0.5).
        clock: seconds, for the throttle (injectable for tests).
        start: start the background refresh thread (tests refresh by hand instead).
    """

    #: Seconds between refreshes at the least, for dashboards made without ``interval``
    #: (``tb.Dashboard.default_interval = 1.0`` slows every later dashboard down).
    default_interval = 0.5

    def __init__(
        self,
        source: Experiment | Results,
        *,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        start: bool = True,
    ) -> None:
        live = hasattr(source, "stop_trial")
        self._experiment: Experiment | None = cast("Experiment", source) if live else None
        self._log: EventLog = getattr(source, "_log")  # noqa: B009 (both hold their log)
        self._state = RunState()
        self._cursor = 0
        interval = self.default_interval if interval is None else interval
        self._throttle = Throttle(interval, clock=clock)
        self._slow = Throttle(max(2.0, interval * 4), clock=clock)  # table, parallel coords
        self._lock = threading.Lock()
        self._metric: str | None = None
        self._traces: dict[str, list[int]] = {}  # trial -> its trace indexes, oldest first
        self._starts: dict[str, list[int]] = {}  # trial -> where each trace starts in the series
        self._sent: dict[str, int] = {}  # trial -> points already sent
        self._styled: dict[str, tuple[str, bool]] = {}
        self._drawn_best: str | None = None  # the trial drawn thick now
        self._free: list[int] = []
        self._thread: threading.Thread | None = None
        self.refreshes = 0
        self._build()
        self.refresh(flush=True)
        if start and self._experiment is not None and not self._experiment.done:
            self._thread = threading.Thread(target=self._follow, daemon=True, name="tunebook-ui")
            self._thread.start()

    # -- widgets ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.header = widgets.HTML()
        self.stop_button = widgets.Button(
            description="Stop",
            icon="stop",
            button_style="danger",
            tooltip="Stop the experiment: running trials end now, every report is kept",
            disabled=self._experiment is None or self._experiment.done,
        )
        self.stop_button.add_class("tunebook-stop")
        self.errors = widgets.Output()  # callbacks' errors show here, not nowhere
        self.stop_button.on_click(self._guard(self._on_stop))
        self.metric_choice = widgets.Dropdown(
            description="metric", options=[], layout={"width": "260px"}
        )
        self.metric_choice.observe(self._guard(self._on_metric), names=["value"])
        self.curves = go.FigureWidget(layout=curves_layout(None))
        self.parallel = go.FigureWidget(parallel_figure(parallel_info(RunState())))
        self.sort_choice = widgets.Dropdown(
            description="sort by", options=[], layout={"width": "260px"}
        )
        self.sort_choice.observe(self._guard(self._on_sort), names=["value"])
        self.table = widgets.HTML()
        self.trial_choice = widgets.Select(options=[], rows=12, layout={"width": "200px"})
        self.trial_choice.observe(self._guard(self._on_trial), names=["value"])
        self.trial_detail = widgets.HTML("<i>Select a trial.</i>")
        self.trial_curve = go.FigureWidget(layout={**curves_layout(None), "height": 240})
        self.stop_trial_button = widgets.Button(
            description="Stop this trial",
            icon="stop",
            disabled=True,
            tooltip="The trial stops at its next report; the others go on",
        )
        self.stop_trial_button.add_class("tunebook-stop-trial")
        self.stop_trial_button.on_click(self._guard(self._on_stop_trial))
        trials_tab = widgets.VBox(
            [
                self.sort_choice,
                self.table,
                widgets.HBox(
                    [
                        self.trial_choice,
                        widgets.VBox([self.trial_detail, self.stop_trial_button, self.trial_curve]),
                    ]
                ),
            ]
        )
        self.rungs = go.FigureWidget(rungs_figure(rungs_info(RunState())))
        self._rungs_drawn = 0
        self.lineage = go.FigureWidget(lineage_figure(lineage_info(RunState())))
        self._lineage_drawn = (0, 0)  # (exploits, events) drawn
        self.importance = go.FigureWidget(importance_figure(importance_info(RunState())))
        self._importance_drawn = False
        self.tabs = widgets.Tab(
            children=[
                widgets.VBox([self.metric_choice, self.curves]),
                self.parallel,
                trials_tab,
                self.rungs,
                self.lineage,
                self.importance,
            ],
            titles=(
                "Learning curves",
                "Parallel coordinates",
                "Trials",
                "Rungs",
                "Lineage",
                "Importance",
            ),
        )
        self.tabs.observe(self._guard(self._on_tab), names=["selected_index"])
        self.widget = widgets.VBox(
            [widgets.HBox([self.header, self.stop_button]), self.tabs, self.errors],
            layout={"width": "100%"},
        )
        self.widget.add_class("tunebook-dashboard")

    def _guard(self, callback: Callable[..., None]) -> Callable[..., None]:
        # Not ``with self.errors:``: that routes output by the request's message id, and the
        # UI thread and the kernel's thread racing over it leave front ends (nbclient) with an
        # unbalanced hook. Appending the traceback needs no routing.
        def guarded(*args: Any) -> None:
            try:
                callback(*args)
            except Exception:
                self.errors.append_stderr(traceback.format_exc())

        return guarded

    # -- refreshing ------------------------------------------------------------------------

    def _follow(self) -> None:
        experiment = self._experiment
        assert experiment is not None
        while not experiment.done:
            time.sleep(self._throttle.interval / 2)
            try:
                self.refresh()
            except Exception:  # the display stays up; the final refresh says how it ended
                pass
        self.refresh(flush=True)

    def refresh(self, flush: bool = False) -> bool:
        """Read what is new in the log and send it; returns whether anything was sent.

        ``flush`` bypasses the throttle (the final refresh).
        """
        with self._lock:
            pending = len(self._log) - self._cursor
            if not self._throttle.due(pending, flush=flush):
                return False
            events = self._log.events(self._cursor)
            self._cursor += len(events)
            changed = self._state.add(events)
            self.refreshes += 1
            self._update_metric_options()
            self._update_curves(changed)
            self._update_header()
            if self._slow.due(len(events) + int(flush), flush=flush):
                self._update_slow(everything=flush)
            return True

    def _update_metric_options(self) -> None:
        metrics = tuple(self._state.metrics)
        if metrics != tuple(self.metric_choice.options):
            with self.metric_choice.hold_sync():
                self.metric_choice.options = metrics
                if self._metric is None:
                    wanted = self._state.metric if self._state.metric in metrics else None
                    self._metric = wanted or (metrics[0] if metrics else None)
                self.metric_choice.value = self._metric

    def _take_traces(self, count: int) -> list[int]:
        while len(self._free) < count:
            start = len(self.curves.data)
            # dicts, not go.Scatter objects: plotly would build each trace twice
            self.curves.add_traces(
                [{"type": "scatter", "mode": "lines", "showlegend": False}] * POOL
            )
            self._free.extend(range(start, start + POOL))
        taken, self._free = self._free[:count], self._free[count:]
        return taken

    def _update_curves(self, changed: set[str]) -> None:
        metric = self._metric
        if metric is None:
            return
        best = self._state.best[0] if self._state.best and metric == self._state.metric else None
        plan: list[tuple[str, list[int], list[float]]] = []
        # what changed, and the trials whose "best" mark moves (their style changes)
        moved = {t for t in (self._drawn_best, best) if t is not None}
        for trial_id in changed | moved:
            trial = self._state.trials.get(trial_id)
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
            max(0, _traces_for(len(x)) - len(self._traces.get(trial_id, [])))
            for trial_id, x, _ in plan
        )
        pool = self._take_traces(needed) if needed else []
        edits: dict[int, dict[str, Any]] = {}
        for trial_id, x, y in plan:
            self._plan_trial(trial_id, x, y, best, pool, edits)
        # One restyle for every trace touched, values per trace (Undefined: leave as is).
        # plotly_update, unlike setting trace properties, skips plotly's per-value checks,
        # which cost most of a refresh at a thousand trials; the values here are ours.
        indexes = list(edits)
        keys = {key for edit in edits.values() for key in edit}
        self.curves.plotly_update(
            restyle_data={
                key: [edits[index].get(key, Undefined) for index in indexes] for key in keys
            },
            relayout_data={"yaxis.title.text": metric, "title.text": f"{metric} by iteration"},
            trace_indexes=indexes,
        )

    def _plan_trial(
        self,
        trial_id: str,
        x: list[int],
        y: list[float],
        best: str | None,
        pool: list[int],
        edits: dict[int, dict[str, Any]],
    ) -> None:
        """Add to ``edits`` (trace index -> new values) what drawing ``trial_id`` changes."""
        trial = self._state.trials[trial_id]
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
        style = (trial.status, trial_id == best)
        restyle = self._styled.get(trial_id) != style
        line = curve_style(*style)
        for index, start in zip(traces, starts, strict=True):
            edit: dict[str, Any] = {}
            end = start + CHUNK + 1
            if len(x) > sent and end > sent and start < len(x):  # this trace gained points
                if index in fresh:
                    edit["name"] = trial_id
                    edit["hovertemplate"] = (
                        f"{trial_id}<br>iteration %{{x}}<br>{self._metric} %{{y:.4g}}"
                        "<extra></extra>"
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
        if style[1]:
            self._drawn_best = trial_id
        elif self._drawn_best == trial_id:
            self._drawn_best = None

    def _update_header(self) -> None:
        state = self._state
        counts = state.counts()
        running = self._experiment is not None and not self._experiment.done
        elapsed = state.elapsed
        if running and state.started is not None:
            elapsed = max(elapsed, time.time() - state.started)
        done = sum(counts[k] for k in ("terminated", "pruned", "stopped", "error"))
        eta = ""
        if running and state.total and done:
            remaining = state.total - done
            eta = f" · ETA {elapsed / done * remaining:.0f} s" if remaining > 0 else ""
        status = state.ended or ("running" if running else "done")
        parts = [
            f"<b>{html.escape(state.name or 'experiment')}</b> <span class='tb-status'>"
            f"[{status}]</span>",
            f"{counts['running']} running",
            f"{counts['terminated']} done",
            f"{counts['pruned']} stopped early",
            f"{counts['stopped']} stopped",
            f"{counts['error']} errored",
        ]
        if "pending" in counts:
            parts.append(f"{counts['pending']} pending")
        parts.append(f"{elapsed:.1f} s{eta}")
        best = ""
        if state.best is not None:
            trial = state.trials[state.best[0]]
            best = (
                f"<br>best {html.escape(str(state.metric))} <b>{state.best[1]:.4g}</b> "
                f"(trial {html.escape(trial.trial_id)}: {html.escape(str(trial.config))})"
            )
        with self.header.hold_sync(), self.stop_button.hold_sync():
            self.header.value = f"<div class='tunebook-header'>{' · '.join(parts)}{best}</div>"
            if not running:
                self.stop_button.disabled = True
                self.stop_button.description = {"stopped": "Stopped", "failed": "Failed"}.get(
                    status, "Done"
                )

    def _update_slow(self, everything: bool = False) -> None:
        """The views that cost the more the more trials there are: the parallel coordinates
        and the trial table, drawn when their tab is shown (and at the end)."""
        state = self._state
        shown = self.tabs.selected_index
        if everything or shown == 1:
            self._update_parallel()
        if (everything or shown == 3) and len(state.decisions) != self._rungs_drawn:
            self._update_rungs()
        if (everything or shown == 4) and state.exploits:
            self._update_lineage()
        if shown == 5 and state.ended and not self._importance_drawn:
            self._update_importance()  # fANOVA takes a second at a thousand trials: on demand
        if not (everything or shown == 2):
            return
        info = table_info(state, self.sort_choice.value, limit=200)
        with self.sort_choice.hold_sync(), self.table.hold_sync():
            if tuple(self.sort_choice.options) != info.columns:
                current = self.sort_choice.value
                self.sort_choice.options = info.columns
                default = f"best_{state.metric}"
                if current not in info.columns:
                    current = default if default in info.columns else info.columns[0]
                self.sort_choice.value = current
            self.table.value = table_html(info)
        ids = tuple(state.trials)
        if ids != tuple(self.trial_choice.options):
            with self.trial_choice.hold_sync():
                current = self.trial_choice.value
                self.trial_choice.options = ids
                self.trial_choice.value = current if current in ids else None
        if self.trial_choice.value:
            self._show_trial(self.trial_choice.value)

    def _update_parallel(self) -> None:
        figure = parallel_figure(parallel_info(self._state, self._metric))
        with self.parallel.batch_update():
            self.parallel.data[0].update(figure.data[0].to_plotly_json())
            self.parallel.layout.title.text = figure.layout.title.text

    def _update_rungs(self) -> None:
        """Redrawn whole (the rung view is small: one point per decision), when shown."""
        figure = rungs_figure(rungs_info(self._state))
        _redraw(self.rungs, figure)
        self._rungs_drawn = len(self._state.decisions)

    def _update_lineage(self) -> None:
        """Redrawn whole when shown (one trace per member's segment: a population is small),
        at most once per batch of new events."""
        drawn = (len(self._state.exploits), self._state.events)
        if drawn == self._lineage_drawn:
            return
        figure = lineage_figure(lineage_info(self._state, self._metric))
        _redraw(self.lineage, figure)
        self._lineage_drawn = drawn

    def _update_importance(self) -> None:
        """When the run has ended and the tab is opened: what mattered (fANOVA over the
        finished trials)."""
        from tunebook.figures._report import importances
        from tunebook.results import Results

        scores = importances(Results(self._log.snapshot()))
        figure = importance_figure(importance_info(self._state, scores))
        _redraw(self.importance, figure)
        self._importance_drawn = True

    def _on_tab(self, change: dict[str, Any]) -> None:
        with self._lock:
            self._update_slow()

    # -- controls --------------------------------------------------------------------------

    def _on_stop(self, _button: Any) -> None:
        if self._experiment is not None:
            self._experiment.stop()
            self.stop_button.description = "Stopping..."
            self.stop_button.disabled = True

    def _on_metric(self, change: dict[str, Any]) -> None:
        if change["new"] == self._metric or change["new"] is None:
            return
        with self._lock:
            self._metric = change["new"]
            used = [i for traces in self._traces.values() for i in traces]
            with self.curves.batch_update():
                for index in used:
                    self.curves.data[index].x, self.curves.data[index].y = [], []
            self._free = sorted(self._free + used)
            self._traces, self._starts, self._sent, self._styled = {}, {}, {}, {}
            self._drawn_best = None
            self._update_curves(set(self._state.trials))

    def _on_sort(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.table.value = table_html(table_info(self._state, change["new"], limit=200))

    def _on_trial(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._show_trial(change["new"])

    def _show_trial(self, trial_id: str) -> None:
        trial = self._state.trials.get(trial_id)
        if trial is None:
            return
        rows = [
            ("status", f"{STATUS_ICONS.get(trial.status, '')} {trial.status}"),
            ("iterations", str(len(trial.iterations))),
            ("config", str(trial.config)),
            ("last report", str(trial.last)),
        ]
        if trial.resources:
            rows.append(("resources", str(resources_text(trial.resources))))
        if trial.node:
            rows.append(("node", trial.node))
        if trial.checkpoints:
            rows.append(("checkpoints", str(trial.checkpoints)))
        detail = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        extra = ""
        if trial.error:
            extra += f"<b>error</b><pre class='tb-error'>{html.escape(trial.error)}</pre>"
        if trial.output:
            extra += f"<b>output</b><pre>{html.escape(trial.output[-4000:])}</pre>"
        self.trial_detail.value = f"<table>{detail}</table>{extra}"
        self.stop_trial_button.disabled = not (
            self._experiment is not None and trial.status == "running"
        )
        x, y = trial.series(self._metric) if self._metric else ([], [])
        with self.trial_curve.batch_update():
            if not self.trial_curve.data:
                self.trial_curve.add_trace(go.Scatter(x=x, y=y, mode="lines+markers"))
            else:
                self.trial_curve.data[0].x, self.trial_curve.data[0].y = x, y
            self.trial_curve.layout.title.text = f"trial {trial_id}"
            self.trial_curve.layout.yaxis.title.text = self._metric or ""

    def _on_stop_trial(self, _button: Any) -> None:
        trial_id = self.trial_choice.value
        if self._experiment is not None and trial_id:
            self._experiment.stop_trial(trial_id)
            self.stop_trial_button.disabled = True

    # -- display ---------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        from tunebook.results import Results

        bundle: dict[str, Any] = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = Results(self._log.snapshot()).progress().line()
        return bundle
