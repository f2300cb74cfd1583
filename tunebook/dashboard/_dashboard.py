"""The live dashboard: ipywidgets and plotly ``FigureWidget`` views over the event log.

Pull-based: a refresh folds what is new in the log into the experiment's one
``ExperimentState`` (shared with ``Results`` and the progress line) and sends only what changed:
the new points of the trials that reported, in one plotly message, and the header in one
widget message. Refreshes pass a :class:`Throttle` (a few per second at most), and a final one
runs when the experiment ends. The widgets never talk to Ray: Stop goes through the
experiment's ``stop()``. A refresh that fails leaves the view up, marked failed, with the error.
"""

from __future__ import annotations

import html
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import plotly.graph_objects as go

from tunebook.dashboard._curves import CurvePool
from tunebook.dashboard._detail import detail_html
from tunebook.dashboard._throttle import Throttle
from tunebook.events import EventLog
from tunebook.figures import (
    curves_layout,
    importance_figure,
    importance_info,
    importances,
    lineage_figure,
    lineage_info,
    parallel_figure,
    parallel_info,
    rungs_figure,
    rungs_info,
    table_html,
    table_info,
)
from tunebook.results import ExperimentState, Progress, Results

if TYPE_CHECKING:
    from tunebook.engine import Experiment

TABS = ("Learning curves", "Parallel coordinates", "Trials", "Rungs", "Lineage", "Importance")


def _redraw(widget: go.FigureWidget, figure: go.Figure) -> None:
    """Replace a small view whole (rungs, lineage, importance): its layout, then its traces."""
    with widget.batch_update():
        widget.layout = figure.layout
    widget.data = ()
    widget.add_traces(list(figure.data))


class Dashboard:
    """The dashboard of an experiment (live) or of results (drawn from what their log holds).

    Args:
        source: an ``Experiment`` (live: refreshes until it ends, Stop buttons work), a
            ``Results`` or an ``EventLog`` (refreshed by hand with :meth:`refresh`).
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
        source: Experiment | Results | EventLog,
        *,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        start: bool = True,
    ) -> None:
        if isinstance(source, EventLog):
            source = Results(source)
        live = getattr(source, "live", None)  # an Experiment: its results as the run goes on
        self._experiment: Experiment | None = source if live is not None else None  # type: ignore[assignment]
        self._results: Results = live if live is not None else source  # type: ignore[assignment]
        self._log = self._results.log
        self._state: ExperimentState = self._results.state
        self._seen = 0  # the position in the log drawn so far
        interval = self.default_interval if interval is None else interval
        self._throttle = Throttle(interval, clock=clock)
        self._slow = Throttle(max(2.0, interval * 4), clock=clock)  # table, parallel coords
        self._lock = threading.RLock()
        self._setting_options = False  # the metric menu is being set: its events are ours
        self._thread: threading.Thread | None = None
        self.failed: BaseException | None = None  # why refreshing stopped, if it did
        self._scores: dict[str, float] | None = None  # the importances, once computed
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
        self._pool = CurvePool(self.curves)
        self.parallel = go.FigureWidget(parallel_figure(parallel_info(ExperimentState())))
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
        detail = widgets.VBox([self.trial_detail, self.stop_trial_button, self.trial_curve])
        trials_tab = widgets.VBox(
            [self.sort_choice, self.table, widgets.HBox([self.trial_choice, detail])]
        )
        empty = ExperimentState()
        self.rungs = go.FigureWidget(rungs_figure(rungs_info(empty)))
        self._rungs_drawn = 0
        self.lineage = go.FigureWidget(lineage_figure(lineage_info(empty)))
        self._lineage_drawn = (0, 0)  # (exploits, events) drawn
        self.importance = go.FigureWidget(importance_figure(importance_info(empty)))
        self._importance_drawn = False
        children = [widgets.VBox([self.metric_choice, self.curves]), self.parallel, trials_tab]
        self.tabs = widgets.Tab(
            children=[*children, self.rungs, self.lineage, self.importance], titles=TABS
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
        try:
            while not experiment.done:
                time.sleep(self._throttle.interval / 2)
                self.refresh()
            self.refresh(flush=True)
        except Exception as err:  # the view stays up, marked failed, with the error
            self._fail(err)

    def _fail(self, error: BaseException) -> None:
        self.failed = error
        self.errors.append_stderr(traceback.format_exc())
        self.header.value += (
            "<div class='tb-error' style='color:#d62728'><b>The dashboard stopped updating</b>"
            f" ({html.escape(type(error).__name__)}: {html.escape(str(error))}); the run goes "
            "on, and its results are complete: see the error below.</div>"
        )

    def refresh(self, flush: bool = False) -> bool:
        """Read what is new in the log and send it; returns whether anything was sent.

        ``flush`` bypasses the throttle (the final refresh).
        """
        with self._lock:
            if not self._throttle.due(len(self._log) - self._seen, flush=flush):
                return False
            with self._state.lock:
                state = self._state
                state.follow(self._log)
                changed = set(state.changed_since(self._seen))
                new, self._seen = state.seq - self._seen, state.seq
                self.refreshes += 1
                self._update_metric_options()
                self._pool.update(state, changed)
                self._update_header()
                if self._slow.due(new + int(flush), flush=flush):
                    self._update_slow(everything=flush)
            return True

    def _update_metric_options(self) -> None:
        metrics = tuple(self._state.metrics)
        if metrics != tuple(self.metric_choice.options):
            # ipywidgets selects the first option when the options change: that change is
            # ours, not the user's choosing a metric (and would redraw in the middle of this)
            self._setting_options = True
            try:
                with self.metric_choice.hold_sync():
                    self.metric_choice.options = metrics
                    if self._pool.metric is None:
                        wanted = self._state.metric if self._state.metric in metrics else None
                        self._pool.metric = wanted or (metrics[0] if metrics else None)
                    self.metric_choice.value = self._pool.metric
            finally:
                self._setting_options = False

    def _update_header(self) -> None:
        state = self._state
        experiment = self._experiment
        progress = experiment.progress() if experiment is not None else Progress.of(state)
        live = experiment is not None and progress.status == "running"
        parts = [
            f"<b>{html.escape(state.name or 'experiment')}</b> <span class='tb-status'>"
            f"[{html.escape(progress.status)}]</span>",
            *progress.parts(),
            progress.timing(),
        ]
        best = ""
        if progress.best is not None:
            best = (
                f"<br>best {html.escape(str(progress.metric))} <b>{progress.best:.4g}</b> "
                f"(trial {html.escape(str(progress.best_trial))}: "
                f"{html.escape(str(progress.best_config))})"
            )
        with self.header.hold_sync(), self.stop_button.hold_sync():
            self.header.value = f"<div class='tunebook-header'>{' · '.join(parts)}{best}</div>"
            if not live:
                self.stop_button.disabled = True
                self.stop_button.description = {"stopped": "Stopped", "failed": "Failed"}.get(
                    progress.status, "Done" if progress.status != "running" else "Stop"
                )

    def _update_slow(self, everything: bool = False) -> None:
        """The views that cost the more the more trials there are: the parallel coordinates
        and the trial table, drawn when their tab is shown (and at the end)."""
        state = self._state
        shown = self.tabs.selected_index
        if everything or shown == 1:
            self._update_parallel()
        if (everything or shown == 3) and len(state.decisions) != self._rungs_drawn:
            _redraw(self.rungs, rungs_figure(rungs_info(state)))  # small: one point a decision
            self._rungs_drawn = len(state.decisions)
        if (everything or shown == 4) and state.exploits:
            self._update_lineage()
        if shown == 5 and state.status != "running" and not self._importance_drawn:
            self._update_importance(self._scores)  # computed on demand, before the state lock
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
        figure = parallel_figure(parallel_info(self._state, self._pool.metric))
        with self.parallel.batch_update():
            self.parallel.data[0].update(figure.data[0].to_plotly_json())
            self.parallel.layout.title.text = figure.layout.title.text

    def _update_lineage(self) -> None:
        """Redrawn whole when shown (one trace per member's segment: a population is small),
        at most once per batch of new events."""
        drawn = (len(self._state.exploits), self._state.seq)
        if drawn == self._lineage_drawn:
            return
        _redraw(self.lineage, lineage_figure(lineage_info(self._state, self._pool.metric)))
        self._lineage_drawn = drawn

    def _update_importance(self, scores: dict[str, float] | None) -> None:
        """When the run has ended and the tab is opened: what mattered (fANOVA over the
        finished trials)."""
        _redraw(self.importance, importance_figure(importance_info(self._state, scores)))
        self._importance_drawn = True

    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == 5 and not self._importance_drawn and self._state.status != "running":
            # fANOVA takes a second at a thousand trials: on demand, and not holding the state
            self._scores = importances(self._results)
        with self._lock, self._state.lock:
            self._update_slow()

    # -- controls --------------------------------------------------------------------------

    def _on_stop(self, _button: Any) -> None:
        if self._experiment is not None:
            self._experiment.stop()
            self.stop_button.description = "Stopping..."
            self.stop_button.disabled = True

    def _on_metric(self, change: dict[str, Any]) -> None:
        if self._setting_options or change["new"] == self._pool.metric or change["new"] is None:
            return
        with self._lock, self._state.lock:
            self._pool.reset()
            self._pool.metric = change["new"]
            self._pool.update(self._state, set(self._state.trials))

    def _on_sort(self, change: dict[str, Any]) -> None:
        if change["new"]:
            with self._state.lock:
                self.table.value = table_html(table_info(self._state, change["new"], limit=200))

    def _on_trial(self, change: dict[str, Any]) -> None:
        if change["new"]:
            with self._state.lock:
                self._show_trial(change["new"])

    def _show_trial(self, trial_id: str) -> None:
        trial = self._state.trials.get(trial_id)
        if trial is None:
            return
        self.trial_detail.value = detail_html(trial)
        self.stop_trial_button.disabled = not (
            self._experiment is not None and trial.status == "running"
        )
        metric = self._pool.metric
        x, y = trial.series(metric) if metric else ([], [])
        with self.trial_curve.batch_update():
            if not self.trial_curve.data:
                self.trial_curve.add_trace(go.Scatter(x=x, y=y, mode="lines+markers"))
            else:
                self.trial_curve.data[0].x, self.trial_curve.data[0].y = x, y
            self.trial_curve.layout.title.text = f"trial {trial_id}"
            self.trial_curve.layout.yaxis.title.text = metric or ""

    def _on_stop_trial(self, _button: Any) -> None:
        trial_id = self.trial_choice.value
        if self._experiment is not None and trial_id:
            self._experiment.stop_trial(trial_id)
            self.stop_trial_button.disabled = True

    # -- display ---------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self._results.progress().line()
        return bundle
