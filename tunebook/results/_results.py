"""``Results``: a read-only facade over the fold of an experiment's event log.

DataFrames (``trials``, ``history``, ...), the best trial, refine, exports, and the Ray Tune
names a Ray user knows (``get_best_result``, ``get_dataframe``). Every answer is read from one
``ExperimentState``; over a log that still grows (a running experiment's), each read folds only
the events that are new since the last. Pure: no Ray, no widgets, so a results folder loads
fast anywhere with :func:`load`.

Example:
    >>> from tunebook.events import EventLog
    >>> log = EventLog()
    >>> _ = log.append("experiment_started", name="demo", metric="acc", mode="max")
    >>> _ = log.append("trial_started", trial_id="a", config={"lr": 0.1})
    >>> _ = log.append("result", trial_id="a", iteration=1, metrics={"acc": 0.75})
    >>> _ = log.append("trial_ended", trial_id="a", status="terminated")
    >>> Results(log).best().config
    {'lr': 0.1}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pandas as pd

from tunebook.errors import OptionError
from tunebook.events import EventLog, flat_config
from tunebook.results import _export, _frames, _pbt, _stages, _views
from tunebook.results._progress import Progress
from tunebook.results._state import ExperimentState, check_mode, not_reported
from tunebook.results._trials import Trial, TrialState, trial_view

if TYPE_CHECKING:
    from tunebook.space import Space

Mode = Literal["max", "min"]
T = TypeVar("T")


class Results(_export.Exports):
    """A read-only view over an event log: DataFrames, the best trial, exports.

    ``Experiment.results`` gives one when the experiment has ended; ``Experiment.snapshot()``
    gives one of the run so far; :func:`load` reads one from an experiment folder. Over a log
    that still grows, every read answers for the events so far.

    Args:
        log: the events.
        path: the experiment folder, if there is one.
    """

    def __init__(self, log: EventLog, path: str | Path | None = None) -> None:
        self.log = log
        self.path = Path(path) if path is not None else None
        self._state = ExperimentState()
        self._cache: dict[str, tuple[int, Any]] = {}

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """Read the results of an experiment folder (only JSON is read; no code runs)."""
        folder = Path(path)
        return cls(EventLog.read(folder), folder if folder.is_dir() else folder.parent)

    @property
    def state(self) -> ExperimentState:
        """The fold of the log, advanced to its latest event (read it holding ``state.lock``
        when another thread may advance it)."""
        self._state.follow(self.log)
        return self._state

    def _cached(self, name: str, make: Callable[[ExperimentState], T]) -> T:
        """``make(state)``, made again only when the log has grown since."""
        with self._state.lock:
            state = self.state
            hit = self._cache.get(name)
            if hit is not None and hit[0] == state.seq:
                value: T = hit[1]
                return value
            value = make(state)
            self._cache[name] = (state.seq, value)
            return value

    # -- the experiment --------------------------------------------------------------------

    @property
    def settings(self) -> dict[str, Any]:
        """How the experiment was run: metric, mode, space, scheduler, search, num_samples..."""
        return {k: v for k, v in self.state.settings.items() if k not in ("event", "time")}

    @property
    def name(self) -> str | None:
        return self.state.name

    @property
    def metric(self) -> str | None:
        """The metric the experiment optimised."""
        return self.state.metric

    @property
    def mode(self) -> Mode | None:
        """``"max"`` or ``"min"``."""
        mode = self.state.mode
        return mode if mode in ("max", "min") else None  # type: ignore[return-value]

    @property
    def status(self) -> str:
        """running, completed, stopped, timed_out, failed, or crashed (a record read after its
        driver died: its running trials are ``interrupted``)."""
        return self.state.status

    @property
    def error(self) -> str | None:
        """Why the experiment failed (not a trial: the experiment itself), if it did."""
        end = self.state.end
        return None if end is None else end.get("error")

    @property
    def space(self) -> Space:
        """The search space the experiment ran over."""
        from tunebook.space import Space

        return Space.from_dict(self.state.settings.get("space") or {})

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event, in order, as plain dicts (what ``events.jsonl`` holds)."""
        return self.log.events()

    def __len__(self) -> int:
        return len(self.state.trials)

    def _metric_or_default(self, metric: str | None) -> str:
        chosen = metric or self.metric
        if not chosen:
            raise OptionError("no metric given, and the experiment names none: pass metric=...")
        return chosen

    def _mode_or_default(self, mode: str | None) -> Mode:
        chosen = mode or self.mode
        if not chosen:
            raise OptionError(
                "no mode given, and the experiment names none: pass mode='max'/'min'."
            )
        return check_mode(chosen)  # type: ignore[return-value]

    # -- DataFrames ------------------------------------------------------------------------

    @property
    def history(self) -> pd.DataFrame:
        """One row per trial and iteration: ``trial_id``, ``iteration``, ``time`` (seconds
        since the experiment started) and one column per metric, named as reported. An
        iteration a trial ran again (after a retry or a resume) is there once, as it ran last;
        ``log`` keeps every report."""
        return self._cached("history", lambda s: _frames.history(self.log.reports, s.start_time))

    @property
    def trials(self) -> pd.DataFrame:
        """One row per trial: ``trial_id``, ``status``, a ``config/<name>`` column per
        parameter, ``last_<metric>``, ``best_<metric>``, ``iterations``, ``stopped_at`` (the
        rung where the scheduler stopped it, if it did), ``time`` (seconds the trial ran),
        ``node`` (the Ray node id of its latest attempt), ``resources`` (what it holds now,
        e.g. ``cpu=2, gpu=0.5``), ``checkpoints`` (how many Ray kept), ``error`` (the
        traceback text of a failed trial)."""
        return self._cached("trials", _frames.trials)

    @property
    def decisions(self) -> pd.DataFrame:
        """Every rung decision of the early-stopping scheduler (ASHA): ``trial_id``,
        ``bracket``, ``rung`` (the milestone, in iterations), ``value`` (the trial's metric
        there), ``cutoff`` (the rung's cut-off at that moment; empty while the rung had no
        other trial), ``decision`` ("continue" or "stop"), ``time`` (s since the start)."""
        return self._cached("decisions", _frames.decisions)

    @property
    def lineage(self) -> pd.DataFrame:
        """Every exploit of Population Based Training (PBT, PB2), in order: ``time`` (s since
        the start), ``step`` (the recipient's iteration when it was cut), ``recipient``,
        ``donor``, ``donor_step`` (the donor checkpoint's iteration, where the recipient goes
        on from), ``recipient_score``, ``donor_score``, ``old_config``, ``donor_config``,
        ``new_config`` (the donor's, explored), ``operations`` (``* 1.2``, ``resample``...),
        ``trained`` (False for an exploit at a member's last step: that config never ran)."""
        return self._cached("lineage", _frames.lineage)

    def schedule(self, trial_id: str) -> pd.DataFrame:
        """The hyperparameter schedule that produced ``trial_id``'s final model under PBT.

        One row per segment, oldest first: iterations ``start`` (exclusive) to ``end``
        (inclusive) were trained by member ``trained_by`` with the ``config/`` columns' config,
        back from the member's last segment through each exploit to the donor's segment then
        current (what Ray's ``PopulationBasedTrainingReplay`` replays).

        Raises:
            OptionError: an unknown trial id.
        """
        with self._state.lock:
            return _pbt.schedule(self.state, trial_id)

    def get_dataframe(
        self, filter_metric: str | None = None, filter_mode: str | None = None
    ) -> pd.DataFrame:
        """Ray Tune's ``ResultGrid.get_dataframe``: one row per trial with its last report
        (or, with ``filter_metric`` and ``filter_mode``, its best report for that metric),
        every metric as a column, ``training_iteration``, ``trial_id`` and ``config/`` columns.
        """
        if (filter_metric is None) != (filter_mode is None):
            raise OptionError("pass both filter_metric and filter_mode, or neither.")
        mode = check_mode(filter_mode) if filter_mode is not None else None
        with self._state.lock:
            return _frames.ray_dataframe(self.state, filter_metric, mode)

    # -- the best trial --------------------------------------------------------------------

    def best(
        self,
        metric: str | None = None,
        mode: str | None = None,
        scope: Literal["all", "last"] = "all",
    ) -> Trial:
        """The trial with the best value of ``metric``, among the trials that did not fail.

        Args:
            metric: defaults to the experiment's metric.
            mode: ``"max"`` or ``"min"``; defaults to the experiment's mode.
            scope: ``"all"`` ranks each trial by its best report (so a trial ASHA pruned early
                competes with what it reached); ``"last"`` by its last report, as Ray's
                ``get_best_result`` does by default.

        Returns:
            The trial, with ``metrics`` and ``iteration`` of the report that ranked it.

        Raises:
            MetricNotReportedError: no trial has reported a number for ``metric`` yet.
        """
        metric = self._metric_or_default(metric)
        direction = self._mode_or_default(mode)
        if scope not in ("all", "last"):
            raise OptionError(f"scope must be 'all' or 'last', got {scope!r}.")
        with self._state.lock:
            state = self.state
            found = state.best_trial(metric, direction, scope)
            if found is None:
                raise not_reported(state, metric)
            score = state.settings.get("checkpoint_score")
            return trial_view(*found, self.history, score)

    def _rank(self, metric: str, mode: str) -> list[tuple[TrialState, float]]:
        with self._state.lock:
            return self.state.ranked(metric, mode)

    def refine(
        self,
        top: float = 0.2,
        margin: float = 0.25,
        min_trials: int = 5,
        keep: Iterable[str] = (),
        metric: str | None = None,
        mode: str | None = None,
    ) -> Space:
        """The space of the next, finer stage: around the best trials of this one.

        The top trials are the ``max(1, round(top * n))`` best of the ``n`` finished trials
        (ended, stopped early or stopped; not failed), ranked by their best value of the
        metric. Then, per parameter of this experiment's space:

        - a numeric range spans the top trials' values, widened on each side by ``margin``
          times that span (in log10 space for log domains), clipped to this space's bounds;
          integer domains stay integer (``randint``'s upper bound stays exclusive);
        - a choice keeps only the categories the top trials chose;
        - a parameter whose top values are all equal becomes that constant, unless ``keep``
          names it (``"outer/inner"`` for nested ones): it then keeps its domain;
        - constants and normal domains stay as they are.

        Example: ``loguniform(1e-4, 1e-1)``, top values 1e-4 and 1e-2, margin 0.25:
        ``loguniform(1e-4, 10**-1.5)`` (widened in log10 space, clipped to the parent).

        Raises:
            OptionError: ``top`` not in (0, 1], a negative ``margin``, fewer than
                ``min_trials`` finished trials with the metric, or a metric never reported.
        """
        from tunebook._refine import refine_spec
        from tunebook.space import Space

        if isinstance(top, bool) or not isinstance(top, int | float) or not 0 < top <= 1:
            raise OptionError(f"top must be a share of the trials in (0, 1], got {top!r}.")
        if isinstance(margin, bool) or not isinstance(margin, int | float) or margin < 0:
            raise OptionError(f"margin must be a number >= 0, got {margin!r}.")
        metric = self._metric_or_default(metric)
        ranked = self._rank(metric, self._mode_or_default(mode))
        if len(ranked) < min_trials:
            raise OptionError(
                f"refine needs at least {min_trials} finished trials that reported `{metric}`, "
                f"and this experiment has {len(ranked)}: run more trials (or pass "
                "min_trials=...)."
            )
        best = ranked[: max(1, round(top * len(ranked)))]
        configs = [flat_config(trial.config) for trial, _ in best]
        described = self.state.settings.get("space") or {}
        return Space.from_dict(refine_spec(described, configs, float(margin), set(keep)))

    def importance(
        self,
        evaluator: str = "fanova",
        seed: int | None = 0,
        metric: str | None = None,
        mode: str | None = None,
    ) -> pd.DataFrame:
        """What mattered: how much of the metric's variation each parameter explains, by
        Optuna's importance evaluators, over the finished trials (each with its best value).

        Args:
            evaluator: ``"fanova"`` (default), ``"mdi"`` or ``"ped-anova"``.
            seed: of the evaluator's random forest (the same seed gives the same numbers).

        Returns:
            ``parameter`` and ``importance`` (summing to 1), most important first.

        Raises:
            OptionError: fewer than 2 finished trials, or no sampled parameter.
            MetricNotReportedError: the metric was never reported.
        """
        from tunebook._importance import importance

        metric = self._metric_or_default(metric)
        direction = self._mode_or_default(mode)
        ranked = self._rank(metric, direction)
        configs = [flat_config(trial.config) for trial, _ in ranked]
        values = [value for _, value in ranked]
        described = self.state.settings.get("space") or {}
        return importance(described, configs, values, direction, evaluator, seed)

    def best_configs(self, top: float = 0.2) -> list[dict[str, Any]]:
        """The configs of the ``max(1, round(top * n))`` best of the ``n`` finished trials
        (the top trials of :meth:`refine`), best first."""
        ranked = self._rank(self._metric_or_default(None), self._mode_or_default(None))
        return [dict(trial.config) for trial, _ in ranked[: max(1, round(top * len(ranked)))]]

    @property
    def best_result(self) -> Trial:
        """The best trial by the experiment's metric and mode (``best()``)."""
        return self.best()

    @property
    def best_config(self) -> dict[str, Any]:
        """The config of the best trial (``best().config``)."""
        return self.best().config

    def get_best_result(
        self,
        metric: str | None = None,
        mode: str | None = None,
        scope: Literal["all", "last"] = "last",
    ) -> Trial:
        """Ray Tune's ``ResultGrid.get_best_result``: as :meth:`best`, ranking by each trial's
        last report unless ``scope="all"``."""
        return self.best(metric, mode, scope)

    @property
    def errors(self) -> list[str]:
        """The traceback texts of the trials that failed."""
        with self._state.lock:
            trials = self.state.trials.values()
            return [t.error for t in trials if t.status == "error" and t.error]

    # -- stages (coarse to fine) -----------------------------------------------------------

    def stage_chain(self) -> list[dict[str, Any]]:
        """The stages that led to this experiment, oldest first, this one last (as dicts)."""
        with self._state.lock:
            return _stages.chain(self.state)

    @property
    def stages(self) -> pd.DataFrame:
        """The chain of stages that led to this experiment, oldest first, this one last: one
        row per stage with ``name``, ``parent``, ``trials``, ``status``, ``metric``, ``mode``,
        ``best_value``, ``best_config`` and ``space`` (a ``tb.Space``)."""
        return _stages.stages_frame(self.stage_chain())

    def export_stages(self, path: str | Path) -> Path:
        """Write the chain of stages as JSON (each stage's space exactly, as
        ``Space.to_json`` writes it); :func:`load_stages` reads it back. Returns the path."""
        return _stages.write_stages(self.stage_chain(), path)

    # -- progress --------------------------------------------------------------------------

    def progress(self, *, now: float | None = None) -> Progress:
        """Counts by trial state, seconds so far, the ETA and the best value so far; ``now``
        (seconds since the epoch) for a run that goes on, else up to its latest event."""
        with self._state.lock:
            return Progress.of(self.state, now)

    # -- display ---------------------------------------------------------------------------

    def plot(self, kind: str) -> Any:
        """One of the dashboard's figures, as a plotly ``Figure``: ``"curves"`` (learning
        curves), ``"rungs"`` (ASHA's rungs), ``"lineage"`` (PBT), ``"parallel"`` (parallel
        coordinates), ``"importance"`` (what mattered), ``"history"`` (the metric over time).

        Example:
            >>> results.plot("curves").show()  # doctest: +SKIP

        Raises:
            OptionError: an unknown kind, naming the kinds.
        """
        return _views.figure(self, kind)

    def __repr__(self) -> str:
        return f"<Results {self.name!r}: {len(self)} trials, {self.progress().line()}>"

    def __getattr__(self, name: str) -> Any:
        moved = " (the report: tb.write_report(results, path))" if name == "to_html" else ""
        raise AttributeError(f"'Results' object has no attribute {name!r}{moved}")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """In a notebook: the static dashboard, and the summary of the best trials as text."""
        return _views.bundle(self)

    def _repr_html_(self) -> str:
        return _views.bundle(self)["text/html"]


def load(path: str | Path) -> Results:
    """Load the results of an experiment folder written by tunebook.

    Only JSON is read, so loading a folder never executes code.

    Example:
        >>> results = load(exp.path)  # doctest: +SKIP
        >>> results.best().config  # doctest: +SKIP
    """
    return Results.load(path)
