"""``RunState``: what the figures need, accumulated from events one batch at a time.

The live dashboard feeds it only the events that are new since its last refresh; the static
report feeds it every event at once. Both then draw from the same state with the same data
steps, so the live and the static pictures cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tunebook.events import flat_space, is_number


@dataclass
class Segment:
    """A stretch of a PBT member's reports under one config: from report ``first`` (an index
    into the member's reports) on, going on from iteration ``start`` of ``donor``'s model
    (the member itself for its first segment)."""

    first: int
    start: int
    config: dict[str, Any]
    donor: str | None = None
    at: int = 0  # the number of events seen when it began (orders segments and exploits)
    exploit: dict[str, Any] | None = None  # the exploit event that began it


@dataclass
class TrialState:
    """One trial: its config, status and every reported number, by metric."""

    trial_id: str
    config: dict[str, Any]
    status: str = "running"
    error: str | None = None
    output: str | None = None
    iterations: list[int] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)
    last: dict[str, Any] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)  # more than one after PBT exploits
    node: str | None = None  # the Ray node of its latest attempt
    resources: dict[str, float] | None = None
    checkpoints: int = 0  # recorded; those kept, once it ended

    def series(self, metric: str) -> tuple[list[int], list[float]]:
        """(iterations, values) of the reports that carried a number for ``metric``. Where a
        PBT exploit starts a new segment, or a retried trial starts again from an earlier
        iteration, a NaN value breaks the line, so that a curve is never drawn back over
        itself."""
        column = self.values.get(metric, [])
        breaks = {segment.first for segment in self.segments[1:]}
        xs: list[int] = []
        ys: list[float] = []
        previous = None
        for index, (i, v) in enumerate(zip(self.iterations, column, strict=False)):
            back = previous is not None and i <= previous
            previous = i
            if (index in breaks or back) and xs:
                xs.append(i)
                ys.append(math.nan)
            if v is not None:
                xs.append(i)
                ys.append(float(v))
        return xs, ys


def _log_parameters(space: dict[str, Any]) -> set[str]:
    """Names of the parameters a space (``Space.to_dict()``) samples on a log scale."""
    return {name for name, spec in flat_space(space).items() if "log" in str(spec.get("type"))}


class RunState:
    """Trials, statuses, metrics and the best value so far, built from events incrementally.

    Example:
        >>> state = RunState()
        >>> changed = state.add([
        ...     {"event": "experiment_started", "time": 0, "metric": "acc", "mode": "max"},
        ...     {"event": "trial_started", "time": 1, "trial_id": "a", "config": {"x": 1}},
        ...     {"event": "result", "time": 2, "trial_id": "a", "iteration": 1,
        ...      "metrics": {"acc": 0.5}},
        ... ])
        >>> changed, state.best
        ({'a'}, ('a', 0.5))
    """

    def __init__(self) -> None:
        self.name: str | None = None
        self.metric: str | None = None
        self.mode: str = "max"
        self.total: int | None = None
        self.started: float | None = None
        self.now: float = 0.0
        self.ended: str | None = None  # the experiment's final status
        self.trials: dict[str, TrialState] = {}
        self.metrics: list[str] = []  # numeric metrics, in the order first seen
        self.best: tuple[str, float] | None = None  # (trial, value) by the main metric
        self.events = 0
        self.log_scale: set[str] = set()  # parameters sampled on a log scale ("a/b" if nested)
        self.decisions: list[dict[str, Any]] = []  # the scheduler's rung decisions, in order
        self.exploits: list[dict[str, Any]] = []  # PBT's exploits, in order
        self._pending: dict[str, dict[str, Any]] = {}  # member -> exploit not yet restarted
        self._restarted: dict[str, dict[str, Any]] = {}  # member -> exploit, restarted
        self.nodes: set[str] = set()  # every Ray node a trial reported from

    def _better(self, value: float, than: float) -> bool:
        return value > than if self.mode == "max" else value < than

    def add(self, events: Iterable[dict[str, Any]]) -> set[str]:
        """Take new events; return the ids of the trials whose data or status changed."""
        changed: set[str] = set()
        trials, metric = self.trials, self.metric
        for event in events:
            self.events += 1
            kind = event["event"]
            now = event.get("time")
            if now and now > self.now:
                self.now = float(now)
            if kind == "result":  # nearly every event: its branch first, and lean
                trial = trials.get(event.get("trial_id", ""))
                if trial is None:
                    continue
                n = len(trial.iterations)
                if not n:
                    trial.segments.append(Segment(0, 0, trial.config, at=self.events))
                elif trial.trial_id in self._restarted:  # an exploit's config runs from here
                    exploit = self._restarted.pop(trial.trial_id)
                    trial.segments.append(
                        Segment(
                            n,
                            int(exploit.get("donor_step") or 0),
                            exploit.get("new_config") or {},
                            exploit.get("donor"),
                            self.events,
                            exploit,
                        )
                    )
                    exploit["trained"] = True
                trial.iterations.append(int(event.get("iteration") or n + 1))
                if "node" in event:
                    trial.node = event["node"]
                    self.nodes.add(event["node"])
                metrics = event.get("metrics") or {}
                trial.last.update(metrics)
                values = trial.values
                appended = 0
                for name, value in metrics.items():
                    if not is_number(value):
                        continue
                    column = values.get(name)
                    if column is None:
                        column = values[name] = [None] * n
                        if name not in self.metrics:
                            self.metrics.append(name)
                    column.append(value)
                    appended += 1
                    if name == metric and (
                        self.best is None or self._better(float(value), self.best[1])
                    ):
                        self.best = (trial.trial_id, float(value))
                if appended < len(values):  # a metric this report left out: no value
                    for column in values.values():
                        if len(column) == n:
                            column.append(None)
                changed.add(trial.trial_id)
            elif kind == "experiment_started":
                self.name = event.get("name")
                self.metric = metric = event.get("metric")
                self.mode = event.get("mode") or "max"
                self.total = event.get("total_trials")
                self.log_scale = _log_parameters(event.get("space") or {})
                self.started = float(event["time"])
            elif kind == "trial_started":
                trial_id = event["trial_id"]
                if trial_id in self._pending:
                    self._restarted[trial_id] = self._pending.pop(trial_id)
                if trial_id in trials:
                    trials[trial_id].status = "running"
                else:
                    trials[trial_id] = TrialState(trial_id, event.get("config") or {})
                if event.get("resources"):
                    trials[trial_id].resources = event["resources"]
                changed.add(trial_id)
            elif kind == "checkpoint":
                trial = self.trials.get(event.get("trial_id", ""))
                if trial is not None:
                    trial.checkpoints += 1
                    changed.add(trial.trial_id)
            elif kind == "trial_ended":
                trial = self.trials.get(event.get("trial_id", ""))
                if trial is not None:
                    trial.status = event.get("status", "terminated")
                    trial.error = event.get("error")
                    if "checkpoints_kept" in event:
                        trial.checkpoints = len(event["checkpoints_kept"])
                    changed.add(trial.trial_id)
            elif kind == "trial_output":
                trial = self.trials.get(event.get("trial_id", ""))
                if trial is not None:
                    trial.output = (trial.output or "") + str(event.get("text") or "")
                    changed.add(trial.trial_id)
            elif kind == "decision":
                self.decisions.append(
                    {
                        k: event.get(k)
                        for k in ("trial_id", "bracket", "rung", "value", "cutoff", "decision")
                    }
                )
                changed.add(str(event.get("trial_id")))
            elif kind == "exploit":
                exploit = {**event, "trained": False, "at": self.events}
                self.exploits.append(exploit)
                self._pending[str(event.get("recipient"))] = exploit
                self._restarted.pop(str(event.get("recipient")), None)
                changed.add(str(event.get("recipient")))
            elif kind == "experiment_ended":
                self.ended = event.get("status")
        return changed

    def counts(self) -> dict[str, int]:
        """Trials by state: running, terminated, pruned, stopped, error, pending."""
        counts = dict.fromkeys(("running", "terminated", "pruned", "stopped", "error"), 0)
        for trial in self.trials.values():
            counts[trial.status] = counts.get(trial.status, 0) + 1
        if self.total is not None:
            counts["pending"] = 0 if self.ended else max(0, self.total - len(self.trials))
        return counts

    @property
    def elapsed(self) -> float:
        return 0.0 if self.started is None else max(0.0, self.now - self.started)
