"""The live dashboard: ipywidgets around small plotly views (``PlotView``) over the event log.

Pull-based: a refresh folds what is new in the log into the experiment's one
``ExperimentState`` (shared with ``Results`` and the progress line) and sends only what changed:
the new points of the trials that reported, in one message, and the header in one widget
message. The views of other tabs are drawn when their tab is shown (and at the end). Refreshes
pass a :class:`Throttle` (a few per second at most), and a final one runs when the experiment
ends. The widgets never talk to Ray: Stop goes through the experiment's ``stop()``. A refresh
that fails leaves the view up, marked failed, with the error.
"""

from __future__ import annotations

import html
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from tunebook.dashboard._curves import CurvePool
from tunebook.dashboard._detail import detail_html, header_html
from tunebook.dashboard._plot_view import PlotView
from tunebook.dashboard._table_view import TableView
from tunebook.dashboard._tabs import SLOW_VIEWS, applying
from tunebook.dashboard._throttle import Throttle
from tunebook.events import EventLog
from tunebook.figures import TableInfo, curves_layout, table_html, table_info
from tunebook.results import ExperimentState, Progress, Results

if TYPE_CHECKING:
    from tunebook.engine import Experiment

#: What the curves tab can show: every trial, or only the best k (the others hidden).
SHOW = (("all trials", 0), ("best 5", 5), ("best 10", 10), ("best 20", 20))


#: Seconds between looks at the log until the first result is drawn (then half the refresh
#: interval): the first point of a run waits for no refresh interval.
FIRST_POLL_S = 0.05


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
        self._awaiting_result = True  # no result drawn yet: the first goes past the throttle
        interval = self.default_interval if interval is None else interval
        self._throttle = Throttle(interval, clock=clock)
        self._slow = Throttle(max(2.0, interval * 4), clock=clock)  # the other tabs' views
        self._lock = threading.RLock()
        self._setting_options = False  # the metric menu is being set: its events are ours
        self._thread: threading.Thread | None = None
        self.failed: BaseException | None = None  # why refreshing stopped, if it did
        self.refreshes = 0
        self._sort: tuple[str | None, bool | None] = (None, None)  # the table's column, order
        self._chosen: str | None = None  # the trial whose detail is open
        self._table_info: TableInfo | None = None  # the table as drawn
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
            description="metric", options=[], layout={"width": "240px"}
        )
        self.metric_choice.observe(self._guard(self._on_metric), names=["value"])
        self.log_y = widgets.ToggleButton(
            description="log y", value=False, tooltip="The metric on a log scale"
        )
        self.log_y.observe(self._guard(self._on_log_y), names=["value"])
        self.show_choice = widgets.Dropdown(
            description="show", options=SHOW, value=0, layout={"width": "200px"}
        )
        self.show_choice.observe(self._guard(self._on_show), names=["value"])
        self.curves = PlotView({"data": [], "layout": curves_layout(None)})
        self._pool = CurvePool(self.curves)
        self.table = TableView(on_sort=self._guard(self._on_sort), on_open=self._guard(self._open))
        self.table.add_class("tunebook-trials-table")
        self.trial_detail = widgets.HTML("<i>Click a trial's row to see it here.</i>")
        self.trial_curve = PlotView()
        self.stop_trial_button = widgets.Button(
            description="Stop this trial",
            icon="stop",
            disabled=True,
            tooltip="The trial stops at its next report; the others go on",
        )
        self.stop_trial_button.add_class("tunebook-stop-trial")
        self.stop_trial_button.on_click(self._guard(self._on_stop_trial))
        # the detail's button and curve appear with the first trial opened
        self.trial_box = widgets.VBox(
            [self.stop_trial_button, self.trial_curve], layout={"display": "none"}
        )
        detail = widgets.VBox([self.trial_detail, self.trial_box], layout={"width": "100%"})
        self.views = {name: PlotView() for name in SLOW_VIEWS}
        self.panels: dict[str, widgets.Widget] = {
            "Learning curves": widgets.VBox(
                [widgets.HBox([self.metric_choice, self.log_y, self.show_choice]), self.curves]
            ),
            "Trials": widgets.VBox([self.table, detail]),
            **self.views,
        }
        self._drawn: dict[str, Any] = {}  # view -> the state it was drawn at
        self.tabs = widgets.Tab(layout={"width": "100%"})
        self._shown_tabs: tuple[str, ...] = ()
        self._update_tabs()
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

    @property
    def shown(self) -> str | None:
        """The name of the tab shown now."""
        index = self.tabs.selected_index
        return self._shown_tabs[index] if index is not None else None

    def _update_tabs(self) -> None:
        """Tabs appear when they apply (rungs with early stopping, lineage with PBT, ...)."""
        names = applying(self._state)
        if names == self._shown_tabs:
            return
        shown = self.shown
        with self.tabs.hold_sync():
            self.tabs.children = [self.panels[name] for name in names]
            self.tabs.titles = names
            self.tabs.selected_index = names.index(shown) if shown in names else 0
        self._shown_tabs = names

    # -- refreshing ------------------------------------------------------------------------

    def _follow(self) -> None:
        experiment = self._experiment
        assert experiment is not None
        try:
            while not experiment.done:
                time.sleep(FIRST_POLL_S if self._awaiting_result else self._throttle.interval / 2)
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

        ``flush`` bypasses the throttle (the final refresh), and so does the first result.
        """
        with self._lock:
            first = self._awaiting_result and any(
                event.get("event") == "result" for event in self._log.events(self._seen)
            )
            if not self._throttle.due(len(self._log) - self._seen, flush=flush or first):
                return False
            if first:
                self._awaiting_result = False
            with self._state.lock:
                state = self._state
                state.follow(self._log)
                changed = set(state.changed_since(self._seen))
                new, self._seen = state.seq - self._seen, state.seq
                self.refreshes += 1
                self._update_metric_options()
                self._pool.update(state, changed)
                self._update_header()
                self._update_tabs()
                if self._slow.due(new + int(flush), flush=flush):
                    self._update_slow()
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
        experiment = self._experiment
        progress = experiment.progress() if experiment is not None else Progress.of(self._state)
        live = experiment is not None and progress.status == "running"
        with self.header.hold_sync(), self.stop_button.hold_sync():
            self.header.value = header_html(self._state.name, progress)
            if not live:
                self.stop_button.disabled = True
                self.stop_button.button_style = ""  # a finished run is no alarm
                words = {"stopped": "Stopped", "failed": "Failed", "crashed": "Crashed"}
                self.stop_button.description = words.get(
                    progress.status, "Done" if progress.status != "running" else "Stop"
                )

    def _update_slow(self) -> None:
        """The view of the tab shown, when it is not the curves: redrawn whole when the state
        moved since it was drawn. The others wait until their tab is opened."""
        shown = self.shown
        if shown == "Trials":
            self._update_table()
            return
        draw = SLOW_VIEWS.get(shown or "")
        key = (self._state.seq, self._pool.metric)
        if shown is not None and draw is not None and self._drawn.get(shown) != key:
            self.views[shown].react(draw(self._state, self._pool.metric, self._results))
            self._drawn[shown] = key

    def _update_table(self) -> None:
        column, ascending = self._sort
        info = self._table_info = table_info(self._state, column, ascending, limit=200)
        with self.table.hold_sync():
            self.table.html = table_html(info)
            self.table.chosen = self._chosen or ""
        if self._chosen:
            self._show_trial(self._chosen)

    def _on_tab(self, _change: dict[str, Any]) -> None:
        with self._lock, self._state.lock:
            self._update_slow()

    # -- controls --------------------------------------------------------------------------

    def _on_stop(self, _button: Any) -> None:
        if self._experiment is not None:
            self._experiment.stop(via="the dashboard's Stop")
            self.stop_button.description = "Stopping..."
            self.stop_button.disabled = True

    def _on_metric(self, change: dict[str, Any]) -> None:
        if self._setting_options or change["new"] == self._pool.metric or change["new"] is None:
            return
        with self._lock, self._state.lock:
            self._pool.reset()
            self._pool.metric = change["new"]
            self._pool.update(self._state, set(self._state.trials))

    def _on_log_y(self, change: dict[str, Any]) -> None:
        with self._lock:
            self.curves.update(layout={"yaxis.type": "log" if change["new"] else "linear"})

    def _on_show(self, change: dict[str, Any]) -> None:
        with self._lock, self._state.lock:
            self._pool.show_best(self._state, int(change["new"] or 0))

    def _on_sort(self, column: str) -> None:
        """A header clicked: sort by its column, in the column's natural order (the metric's
        best first); the sorted column's header again: the other way."""
        with self._lock, self._state.lock:
            drawn = self._table_info
            if drawn is not None and column == drawn.sort_by:
                self._sort = (column, not drawn.ascending)
            else:
                self._sort = (column, None)
            self._update_table()

    def _open(self, trial_id: str) -> None:
        with self._lock, self._state.lock:
            self._chosen = trial_id
            self.table.chosen = trial_id
            self._show_trial(trial_id)

    def _show_trial(self, trial_id: str) -> None:
        trial = self._state.trials.get(trial_id)
        if trial is None:
            return
        self.trial_detail.value = detail_html(trial, several_nodes=len(self._state.nodes) > 1)
        self.trial_box.layout.display = ""
        self.stop_trial_button.disabled = not (
            self._experiment is not None and trial.status == "running"
        )
        metric = self._pool.metric
        x, y = trial.series(metric) if metric else ([], [])
        layout = {
            **curves_layout(metric),
            "height": 260,
            "showlegend": False,
            "title": {"text": f"trial {trial_id}"},
        }
        scatter = {"type": "scatter", "x": x, "y": y, "mode": "lines+markers", "name": trial_id}
        self.trial_curve.react({"data": [scatter], "layout": layout})

    def _on_stop_trial(self, _button: Any) -> None:
        trial_id = self._chosen
        if self._experiment is not None and trial_id:
            self._experiment.stop_trial(trial_id, via="the dashboard's Stop trial")
            self.stop_trial_button.disabled = True

    # -- display ---------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self._results.progress().line()
        return bundle
