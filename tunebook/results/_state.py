"""The fold: one reading of an experiment's events, advanced event by event.

Every fact derived from the event log has its definition here, and only here: a trial's
status, its config (after Population Based Training's exploits), its best and last value, the
experiment's best trial, the counts by status, which exploits trained and the segments they
began. ``Results``, every figure's data step, the live dashboard, the progress line,
``%tune list`` and ``tunebook show`` read this state, so they cannot disagree.

Advancing is cheap: :meth:`ExperimentState.add` takes only the new events (the live dashboard
gives it what arrived since its last refresh); :meth:`ExperimentState.follow` reads what is new
in a log. Pure: no Ray, no pandas, no widgets.

Example:
    >>> state = ExperimentState()
    >>> _ = state.add([
    ...     {"event": "experiment_started", "time": 0, "metric": "acc", "mode": "max"},
    ...     {"event": "trial_started", "time": 1, "trial_id": "a", "config": {"x": 1}},
    ...     {"event": "result", "time": 2, "trial_id": "a", "iteration": 1,
    ...      "metrics": {"acc": 0.5}},
    ... ])
    >>> state.best
    ('a', 0.5)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tunebook.errors import MetricNotReportedError, OptionError, did_you_mean
from tunebook.events import flat_space, is_number
from tunebook.results._trials import Segment, TrialState

if TYPE_CHECKING:
    from tunebook.events import EventLog

#: How a trial can be. "pruned": stopped early by the scheduler (ASHA, median...);
#: "stopped": by the user (stop(), stop_trial()) or the time budget; "interrupted": it was
#: running when its run's driver died (a record read after a crash).
TRIAL_STATUSES = ("running", "terminated", "pruned", "stopped", "error", "interrupted")
#: The statuses of a trial that ran to an end of its own (not failed, not running): the
#: trials ``refine``, ``importance`` and the slice plots rank.
FINISHED = ("terminated", "pruned", "stopped")


def log_parameters(space: dict[str, Any]) -> set[str]:
    """Names of the parameters a described space (``Space.to_dict()``) samples on a log
    scale (``"outer/inner"`` when nested)."""
    return {name for name, spec in flat_space(space).items() if "log" in str(spec.get("type"))}


def check_mode(mode: str) -> str:
    if mode not in ("max", "min"):
        raise OptionError(
            f"mode must be 'max' or 'min', got {mode!r}.{did_you_mean(str(mode), ['max', 'min'])}"
        )
    return mode


def not_reported(state: ExperimentState, metric: str) -> MetricNotReportedError:
    """The error for an answer that needs ``metric`` when no trial that did not fail has
    reported it, naming what the trials did report."""
    reported = sorted(state.reported)
    seen = f" The trials reported: {', '.join(reported)}." if reported else ""
    if not state.trials:
        seen = " No trial has started yet."
    failed = [t.trial_id for t in state.trials.values() if t.status == "error"]
    if metric in state.reported and failed:
        return MetricNotReportedError(
            f"only trials that failed reported `{metric}` ({', '.join(failed[:5])}): a config "
            "that crashed is no answer. Their errors are in results.trials['error']."
        )
    return MetricNotReportedError(
        f"no trial has reported `{metric}`; the trial function must call "
        f"report({metric}=...).{seen}"
    )


class ExperimentState:
    """Trials, statuses, metrics, decisions and exploits, built from events incrementally.

    A state follows one event log: :meth:`follow` folds what is new in it since the last call,
    under :attr:`lock` (readers that share a state with another thread hold it while they read).
    """

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}  # the experiment_started event
        self.name: str | None = None
        self.metric: str | None = None
        self.mode: str | None = None
        self.total: int | None = None  # trials the experiment will run, when known
        self.started: float | None = None
        self.now = 0.0  # the time of the latest event
        self.first: float | None = None  # the time of the first event
        self.end: dict[str, Any] | None = None  # the experiment_ended event
        self.trials: dict[str, TrialState] = {}
        self.metrics: list[str] = []  # numeric metrics, in the order first seen
        self.reported: dict[str, None] = {}  # every metric name reported, numeric or not
        self.reports = 0
        self.counts = dict.fromkeys(TRIAL_STATUSES, 0)
        self.decisions: list[dict[str, Any]] = []  # the scheduler's rung decisions, in order
        self.exploits: list[dict[str, Any]] = []  # PBT's exploits, in order, with "trained"
        self.nodes: set[str] = set()  # every Ray node a trial reported from
        self.log_scale: set[str] = set()
        self.seq = 0  # events folded so far: the position in the log
        self.lock = threading.RLock()
        self._best: tuple[TrialState, float] | None = None
        self._pending: dict[str, dict[str, Any]] = {}  # member -> exploit not yet restarted
        self._restarted: dict[str, dict[str, Any]] = {}  # member -> exploit, restarted
        self._recent: dict[str, int] = {}  # trial -> seq of its last change, oldest first

    # -- the experiment --------------------------------------------------------------------

    @property
    def status(self) -> str:
        """running, completed, stopped, timed_out, failed or crashed (from the record: a run
        whose end is not recorded is running; one read after its driver died, crashed)."""
        return "running" if self.end is None else str(self.end.get("status"))

    @property
    def best(self) -> tuple[str, float] | None:
        """(trial, value): the best value of the experiment's metric so far, among the trials
        that did not fail (a config that crashed is no answer, whatever it reported first)."""
        return None if self._best is None else (self._best[0].trial_id, self._best[1])

    @property
    def direction(self) -> str:
        """The mode that ranks a trial's values: the experiment's, or "max" when it names
        none (a watched Tuner without a mode)."""
        return self.mode if self.mode in ("max", "min") else "max"

    @property
    def start_time(self) -> float:
        """When the experiment started (its first event, if it recorded no start)."""
        if self.started is not None:
            return self.started
        return self.first if self.first is not None else 0.0

    def elapsed(self, now: float | None = None) -> float:
        """Seconds from the start to ``now`` (default: the end, or the latest event)."""
        if now is None:
            now = float(self.end["time"]) if self.end else self.now
        return max(0.0, now - self.start_time)

    def finished(self) -> list[TrialState]:
        """The trials that ran to an end of their own (not failed, not running)."""
        return [t for t in self.trials.values() if t.status in FINISHED]

    def best_trial(
        self, metric: str, mode: str, scope: str = "all"
    ) -> tuple[TrialState, dict[str, Any]] | None:
        """The trial (and its report) with the best value of ``metric``, among the trials that
        did not fail; ``scope="all"`` ranks each by its best report, ``"last"`` by its last.
        Ties go to the trial that started first."""
        if scope == "all" and metric == self.metric and mode == self.mode:
            if self._best is None:
                return None
            trial = self._best[0]
            assert trial.best_index is not None
            return trial, trial.reports[trial.best_index]
        best: tuple[TrialState, dict[str, Any]] | None = None
        current = 0.0
        for trial in self.trials.values():
            if trial.status == "error":
                continue
            if scope == "all":
                report = trial.best_report(metric, mode)
            else:
                report = trial.last_report(metric)
            if report is None:
                continue
            value = report["metrics"][metric]
            if best is None or (value > current if mode == "max" else value < current):
                best, current = (trial, report), value
        return best

    def ranked(self, metric: str, mode: str) -> list[tuple[TrialState, float]]:
        """The finished trials (not failed, not running) that reported ``metric``, best first
        by their best value (ties in the order the trials started).

        Raises:
            MetricNotReportedError: trials ran, and none reported a number for ``metric``.
        """
        ranked = []
        for trial in self.finished():
            report = self.trial_best(trial, metric, mode)
            if report is not None:
                ranked.append((trial, float(report["metrics"][metric])))
        if not ranked and self.trials and self.best_trial(metric, mode) is None:
            raise not_reported(self, metric)
        ranked.sort(key=lambda pair: pair[1], reverse=mode == "max")
        return ranked

    def best_first(self, metric: str | None = None, mode: str | None = None) -> list[TrialState]:
        """Every trial in the order a ranking lists them: those that did not fail by their
        best value of ``metric`` (best first, ties in the order they started), then those
        that failed, by theirs, then those that reported none (default: the experiment's
        metric and mode)."""
        metric = metric or self.metric
        sign = -1.0 if (mode or self.direction) == "max" else 1.0

        def key(trial: TrialState) -> tuple[bool, bool, float, int]:
            report = self.trial_best(trial, metric, mode) if metric else None
            value = sign * float(report["metrics"][metric]) if report else 0.0
            return (report is None, trial.status == "error", value, trial.order)

        return sorted(self.trials.values(), key=key)

    def trial_best(
        self, trial: TrialState, metric: str | None = None, mode: str | None = None
    ) -> dict[str, Any] | None:
        """``trial``'s best report by ``metric`` and ``mode`` (default: the experiment's; a
        mode it names none of ranks by "max")."""
        metric = metric or self.metric
        if metric is None:
            return None
        mode = mode or self.direction
        if metric == self.metric and mode == self.mode:  # kept up to date as reports came
            return None if trial.best_index is None else trial.reports[trial.best_index]
        return trial.best_report(metric, mode)

    def changed_since(self, seq: int) -> list[str]:
        """The trials changed by events after position ``seq`` (a reader keeps the ``seq``
        it last read at)."""
        out = []
        for trial_id, at in reversed(self._recent.items()):
            if at <= seq:
                break
            out.append(trial_id)
        return out

    # -- folding ---------------------------------------------------------------------------

    def follow(self, log: EventLog) -> None:
        """Fold what is new in ``log`` since the last call (``changed_since`` says which
        trials it changed)."""
        with self.lock:
            self.add(log.events(self.seq))

    def add(self, events: Iterable[dict[str, Any]]) -> None:
        """Fold new events."""
        trials, recent = self.trials, self._recent
        for event in events:
            self.seq += 1
            kind = event["event"]
            now = event.get("time")
            if now and now > self.now:
                self.now = float(now)
                if self.first is None:
                    self.first = self.now
            trial = trials.get(event.get("trial_id", "")) if "trial_id" in event else None
            if kind == "result":  # nearly every event: its branch first, and lean
                if trial is None:
                    continue
                self._result(trial, event)
            elif kind == "trial_started":
                trial = self._trial_started(trial, event)
            elif trial is not None and kind == "trial_ended":
                self._set_status(trial, event.get("status", "terminated"))
                trial.error = event.get("error")
                trial.ended = event["time"]
                if "checkpoints_kept" in event:
                    trial.kept = list(event["checkpoints_kept"])
            elif trial is not None and kind == "checkpoint":
                trial.checkpoints.append(event)
            elif trial is not None and kind == "trial_output":
                trial.output = (trial.output or "") + str(event.get("text") or "")
            elif kind == "decision":
                self.decisions.append(event)
                if trial is not None and event.get("decision") == "stop":
                    trial.stopped_at = event.get("rung")
            elif kind == "exploit":
                self._exploit(event)
                trial = trials.get(str(event.get("recipient")))
            elif kind == "experiment_started":
                self._experiment_started(event)
            elif kind == "experiment_ended":
                self.end = event
            if trial is not None:
                recent.pop(trial.trial_id, None)
                recent[trial.trial_id] = self.seq

    def _experiment_started(self, event: dict[str, Any]) -> None:
        self.settings = event
        self.name = event.get("name")
        self.metric = event.get("metric")
        self.mode = event.get("mode")
        self.total = event.get("total_trials")
        self.log_scale = log_parameters(event.get("space") or {})
        self.started = float(event["time"])

    def _trial_started(self, trial: TrialState | None, event: dict[str, Any]) -> TrialState:
        trial_id = event["trial_id"]
        if trial_id in self._pending:  # an exploit's config: it runs once the member reports
            self._restarted[trial_id] = self._pending.pop(trial_id)
        if trial is None:
            trial = TrialState(trial_id, len(self.trials), event.get("config") or {}, event["time"])
            self.trials[trial_id] = trial
            self.counts["running"] += 1
        else:  # started again: after a failure, an exploit, a pause
            self._set_status(trial, "running")
            trial.error, trial.ended = None, None
        if event.get("resources"):
            trial.resources = event["resources"]
        return trial

    def _result(self, trial: TrialState, event: dict[str, Any]) -> None:
        n = len(trial.iterations)
        if not n:
            trial.segments.append(Segment(0, 0, trial.config, at=self.seq))
        elif trial.trial_id in self._restarted:  # an exploit's config trains from here
            exploit = self._restarted.pop(trial.trial_id)
            exploit["trained"] = True
            trial.config = exploit.get("new_config") or trial.config
            trial.segments.append(
                Segment(
                    n,
                    int(exploit.get("donor_step") or 0),
                    trial.config,
                    exploit.get("donor"),
                    exploit["at"],  # the member's model became the donor's at the exploit
                    exploit,
                )
            )
        trial.reports.append(event)
        trial.iterations.append(int(event.get("iteration") or n + 1))
        self.reports += 1
        if "node" in event:
            trial.node = event["node"]
            self.nodes.add(event["node"])
        metrics = event.get("metrics") or {}
        trial.latest.update(metrics)
        values = trial.values
        appended = 0
        for name, value in metrics.items():
            if name not in self.reported:
                self.reported[name] = None
            if not is_number(value):
                continue
            column = values.get(name)
            if column is None:
                column = values[name] = [None] * n
                if name not in self.metrics:
                    self.metrics.append(name)
            column.append(value)
            appended += 1
            if name == self.metric:
                self._rank(trial, float(value), n)
        if appended < len(values):  # a metric this report left out: no value
            for column in values.values():
                if len(column) == n:
                    column.append(None)

    def _better(self, value: float, than: float) -> bool:
        return value > than if self.mode == "max" else value < than

    def _rank(self, trial: TrialState, value: float, index: int) -> None:
        """A new value of the experiment's metric: the trial's best, and the experiment's."""
        if self.mode not in ("max", "min"):
            return
        best_index = trial.best_index
        if best_index is not None:
            current = trial.values[str(self.metric)][best_index]
            if not self._better(value, float(current)):  # type: ignore[arg-type]
                return
        trial.best_index = index
        if trial.status != "error":
            self._offer(trial, value)

    def _offer(self, trial: TrialState, value: float) -> None:
        best = self._best
        if (
            best is None
            or self._better(value, best[1])
            or (value == best[1] and trial.order < best[0].order)
        ):
            self._best = (trial, value)

    def _set_status(self, trial: TrialState, status: str) -> None:
        before = trial.status
        if before == status:
            return
        self.counts[before] -= 1
        self.counts[status] = self.counts.get(status, 0) + 1
        trial.status = status
        if status == "error" and self._best is not None and self._best[0] is trial:
            self._best = None  # the best failed: the next best of the others
            for other in self.trials.values():
                if other.status != "error" and other.best_index is not None:
                    self._offer(other, self._value(other))
        elif before == "error" and trial.best_index is not None:  # retried: a candidate again
            self._offer(trial, self._value(trial))

    def _value(self, trial: TrialState) -> float:
        assert trial.best_index is not None
        return float(trial.values[str(self.metric)][trial.best_index])  # type: ignore[arg-type]

    def _exploit(self, event: dict[str, Any]) -> None:
        exploit = {**event, "trained": False, "at": self.seq}
        self.exploits.append(exploit)
        recipient = str(event.get("recipient"))
        self._pending[recipient] = exploit
        self._restarted.pop(recipient, None)
