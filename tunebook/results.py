"""``Results``: a read-only view over an experiment's event log.

DataFrames (``trials``, ``history``), the best trial, exports, and the Ray Tune names a Ray
user knows (``get_best_result``, ``get_dataframe``). Pure: no Ray, no widgets, so a results
folder loads fast anywhere with :func:`load`.

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

import html
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from tunebook.errors import MetricNotReportedError, OptionError, did_you_mean
from tunebook.events import (
    REPORT_COLUMNS,
    EventLog,
    flat_config,
    is_number,
    json_safe,
    resources_text,
)

if TYPE_CHECKING:
    from tunebook.space import Space

__all__ = ["Progress", "Results", "Trial", "load", "load_stages"]

#: How a trial can end. "pruned": stopped early by the scheduler (ASHA, median...);
#: "stopped": by the user (stop(), stop_trial()) or the time budget.
TRIAL_STATUSES = ("running", "terminated", "pruned", "stopped", "error")
#: The tables the exports write (``table=``): each a DataFrame property of ``Results``.
TABLES = ("trials", "history", "decisions", "lineage")
Mode = Literal["max", "min"]


def _check_mode(mode: str) -> Mode:
    if mode not in ("max", "min"):
        raise OptionError(
            f"mode must be 'max' or 'min', got {mode!r}.{did_you_mean(mode, ['max', 'min'])}"
        )
    return mode  # type: ignore[return-value]


@dataclass(frozen=True)
class Trial:
    """One trial as the results see it.

    Attributes:
        trial_id: Ray Tune's trial id.
        config: the hyperparameters the trial ran with.
        metrics: the report this object was chosen for (the best one for ``best()``, the last
            one for ``get_best_result()``), metrics named as reported.
        iteration: that report's iteration.
        status: terminated, pruned, stopped, error or running.
        error: the traceback text when the trial failed.
        history: every report of the trial (also as ``metrics_dataframe``, Ray's name).
        checkpoint: the path of the trial's checkpoint to use: the best kept one by
            ``checkpoint_score`` when the run set one, else the latest kept; None without any.
        checkpoints: the paths of every checkpoint kept (``keep_checkpoints``), oldest first.
        node: the Ray node id the trial ran on last.
        resources: what the trial held last, e.g. ``{"cpu": 2.0}``.
    """

    trial_id: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    iteration: int | None
    status: str
    error: str | None = None
    history: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)
    checkpoint: str | None = None
    checkpoints: list[str] = field(default_factory=list, repr=False)
    node: str | None = None
    resources: dict[str, float] | None = None

    @property
    def metrics_dataframe(self) -> pd.DataFrame:
        """Ray Tune's name for :attr:`history`."""
        return self.history


@dataclass(frozen=True)
class Progress:
    """Counts of trials by state, time so far, and the best value: what a progress line shows."""

    running: int
    terminated: int
    pruned: int
    stopped: int
    errored: int
    pending: int | None  # None when the number of trials is not known in advance
    reports: int
    elapsed: float
    best: float | None
    metric: str | None
    status: str

    @property
    def done(self) -> int:
        return self.terminated + self.pruned + self.stopped + self.errored

    def line(self) -> str:
        """One line of text, as the terminal and the no-widget fallback show it."""
        parts = [f"{self.running} running", f"{self.terminated} done"]
        if self.pruned:
            parts.append(f"{self.pruned} pruned")
        if self.stopped:
            parts.append(f"{self.stopped} stopped")
        if self.errored:
            parts.append(f"{self.errored} errored")
        if self.pending is not None:
            parts.append(f"{self.pending} pending")
        best = "" if self.best is None else f" | best {self.metric} {self.best:.4g}"
        return f"[{self.status}] {', '.join(parts)} | {self.elapsed:.1f} s{best}"


class _TrialRecord:
    """What one pass over the events learns about one trial."""

    __slots__ = (
        "trial_id",
        "config",
        "status",
        "error",
        "reports",
        "started",
        "ended",
        "node",
        "resources",
        "checkpoints",
        "kept",
    )

    def __init__(self, trial_id: str, config: dict[str, Any], started: float) -> None:
        self.trial_id = trial_id
        self.config = config
        self.status = "running"
        self.error: str | None = None
        self.reports: list[dict[str, Any]] = []  # result events
        self.started = started
        self.ended: float | None = None
        self.node: str | None = None  # the Ray node of its latest attempt
        self.resources: dict[str, float] | None = None  # what it holds now
        self.checkpoints: list[dict[str, Any]] = []  # checkpoint events
        self.kept: list[str] | None = None  # the checkpoints Ray kept, when it ended


class Results:
    """A read-only view over an event log: DataFrames, the best trial, exports.

    ``Experiment.results`` gives one when the experiment has ended; ``Experiment.snapshot()``
    gives one of the run so far; :func:`load` reads one from an experiment folder.

    Args:
        log: the events (the object is not copied: pass a snapshot of a live log).
        path: the experiment folder, if there is one.
    """

    def __init__(self, log: EventLog, path: str | Path | None = None) -> None:
        self._log = log
        self.path = Path(path) if path is not None else None

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """Read the results of an experiment folder (only JSON is read; no code runs)."""
        folder = Path(path)
        return cls(EventLog.read(folder), folder if folder.is_dir() else folder.parent)

    # -- the experiment --------------------------------------------------------------------

    @cached_property
    def _settings(self) -> dict[str, Any]:
        for event in self._log.events():
            if event["event"] == "experiment_started":
                return event
        return {}

    @cached_property
    def _end(self) -> dict[str, Any] | None:
        ends = [e for e in self._log.events() if e["event"] == "experiment_ended"]
        return ends[-1] if ends else None

    @property
    def settings(self) -> dict[str, Any]:
        """How the experiment was run: metric, mode, space, scheduler, search, num_samples..."""
        return {k: v for k, v in self._settings.items() if k not in ("event", "time")}

    @property
    def name(self) -> str | None:
        return self._settings.get("name")

    @property
    def metric(self) -> str | None:
        """The metric the experiment optimised."""
        return self._settings.get("metric")

    @property
    def mode(self) -> Mode | None:
        """``"max"`` or ``"min"``."""
        return self._settings.get("mode")

    @property
    def status(self) -> str:
        """running, completed, stopped, timed_out or failed."""
        return "running" if self._end is None else str(self._end["status"])

    @property
    def error(self) -> str | None:
        """Why the experiment failed (not a trial: the experiment itself), if it did."""
        return None if self._end is None else self._end.get("error")

    @property
    def space(self) -> Space:
        """The search space the experiment ran over."""
        from tunebook.space import Space

        return Space.from_dict(self._settings.get("space") or {})

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event, in order, as plain dicts (what ``events.jsonl`` holds)."""
        return self._log.events()

    # -- per-trial records -----------------------------------------------------------------

    @cached_property
    def _records(self) -> dict[str, _TrialRecord]:
        records: dict[str, _TrialRecord] = {}
        for event in self._log.events():
            kind = event["event"]
            if kind == "trial_started":
                record = records.get(event["trial_id"])
                if record is None:
                    records[event["trial_id"]] = _TrialRecord(
                        event["trial_id"], event.get("config") or {}, event["time"]
                    )
                else:  # restarted after a failure
                    record.status, record.error, record.ended = "running", None, None
                if event.get("resources"):
                    records[event["trial_id"]].resources = event["resources"]
            elif kind == "result" and event.get("trial_id") in records:
                record = records[event["trial_id"]]
                record.reports.append(event)
                record.node = event.get("node") or record.node
            elif kind == "checkpoint" and event.get("trial_id") in records:
                records[event["trial_id"]].checkpoints.append(event)
            elif kind == "trial_ended" and event.get("trial_id") in records:
                record = records[event["trial_id"]]
                record.status = event.get("status", "terminated")
                record.error = event.get("error")
                record.ended = event["time"]
                if "checkpoints_kept" in event:
                    record.kept = list(event["checkpoints_kept"])
        for _, exploit in self._effective_exploits:  # a PBT member's config is its last one
            record = records.get(exploit["recipient"])
            if record is not None:
                record.config = exploit.get("new_config") or record.config
        return records

    @cached_property
    def _effective_exploits(self) -> list[tuple[int, dict[str, Any]]]:
        """(position in the log, event) of the PBT exploits whose new config trained: the
        member started again after it and reported. (Ray also exploits at a member's last
        step; that config never runs.) Ray's scheduler logs an exploit before the report
        that caused it, so what counts is a restart."""
        events = self._log.events()
        pending: dict[str, tuple[int, dict[str, Any]]] = {}  # member -> exploit not yet run
        restarted: dict[str, tuple[int, dict[str, Any]]] = {}
        effective: list[tuple[int, dict[str, Any]]] = []
        for index, event in enumerate(events):
            kind = event["event"]
            if kind == "exploit":
                pending[event["recipient"]] = (index, event)
                restarted.pop(event["recipient"], None)
            elif kind == "trial_started" and event.get("trial_id") in pending:
                restarted[event["trial_id"]] = pending.pop(event["trial_id"])
            elif kind == "result" and event.get("trial_id") in restarted:
                effective.append(restarted.pop(event["trial_id"]))
        return sorted(effective, key=lambda pair: pair[0])

    def _start_time(self) -> float:
        events = self._log.events()
        return float(self._settings.get("time", events[0]["time"] if events else 0.0))

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
        return _check_mode(chosen)

    @staticmethod
    def _best_report(
        reports: Iterable[dict[str, Any]], metric: str, mode: Mode
    ) -> dict[str, Any] | None:
        best: dict[str, Any] | None = None
        for report in reports:
            value = (report.get("metrics") or {}).get(metric)
            if not is_number(value):
                continue
            if best is None:
                best = report
                continue
            current = best["metrics"][metric]
            if (value > current) if mode == "max" else (value < current):
                best = report
        return best

    @staticmethod
    def _last_report(reports: list[dict[str, Any]], metric: str) -> dict[str, Any] | None:
        for report in reversed(reports):
            if is_number((report.get("metrics") or {}).get(metric)):
                return report
        return None

    # -- DataFrames ------------------------------------------------------------------------

    @cached_property
    def history(self) -> pd.DataFrame:
        """One row per report: ``trial_id``, ``iteration``, ``time`` (seconds since the
        experiment started) and one column per metric, named as reported."""
        columns = self._log.reports
        frame = pd.DataFrame(columns, columns=list(columns))
        if not frame.empty:
            frame["time"] = frame["time"] - self._start_time()
        else:
            frame = frame.astype({"trial_id": "object", "iteration": "Int64", "time": "float64"})
        return frame

    @cached_property
    def trials(self) -> pd.DataFrame:
        """One row per trial: ``trial_id``, ``status``, a ``config/<name>`` column per
        parameter, ``last_<metric>``, ``best_<metric>``, ``iterations``, ``stopped_at`` (the
        rung where the scheduler stopped it, if it did), ``time`` (seconds the trial ran),
        ``node`` (the Ray node id of its latest attempt), ``resources`` (what it holds now,
        e.g. ``cpu=2, gpu=0.5``), ``checkpoints`` (how many Ray kept), ``error`` (the
        traceback text of a failed trial)."""
        metric, mode = self.metric, self.mode
        end_of_run = self._end["time"] if self._end else None
        stopped_at = {
            e["trial_id"]: e["rung"]
            for e in self._log.events()
            if e["event"] == "decision" and e.get("decision") == "stop"
        }
        rows = []
        for record in self._records.values():
            row: dict[str, Any] = {"trial_id": record.trial_id, "status": record.status}
            row.update({f"config/{k}": v for k, v in flat_config(record.config).items()})
            if metric:
                last = self._last_report(record.reports, metric)
                best = self._best_report(record.reports, metric, mode or "max")
                row[f"last_{metric}"] = last["metrics"][metric] if last else math.nan
                row[f"best_{metric}"] = best["metrics"][metric] if best else math.nan
            row["iterations"] = max((r.get("iteration") or 0 for r in record.reports), default=0)
            row["stopped_at"] = stopped_at.get(record.trial_id, math.nan)
            finished = record.ended or (record.reports[-1]["time"] if record.reports else None)
            finished = finished or end_of_run or record.started
            row["time"] = finished - record.started
            row["node"] = record.node
            row["resources"] = resources_text(record.resources)
            row["checkpoints"] = len(self._kept(record))
            row["error"] = record.error
            rows.append(row)
        columns = ["trial_id", "status"]
        config_columns = sorted(
            {k for row in rows for k in row if k.startswith("config/")},
            key=lambda k: self._config_order().get(k, len(columns)),
        )
        columns += config_columns
        if metric:
            columns += [f"last_{metric}", f"best_{metric}"]
        columns += ["iterations", "stopped_at", "time", "node", "resources", "checkpoints"]
        return pd.DataFrame(rows, columns=[*columns, "error"])

    def _config_order(self) -> dict[str, int]:
        space = self._settings.get("space") or {}
        order: dict[str, int] = {}

        def walk(params: Mapping[str, Any], prefix: str) -> None:
            for name, spec in params.items():
                if isinstance(spec, Mapping) and spec.get("type") == "space":
                    walk(spec["params"], f"{prefix}{name}/")
                else:
                    order[f"config/{prefix}{name}"] = len(order)

        walk(space, "")
        return order

    @cached_property
    def decisions(self) -> pd.DataFrame:
        """Every rung decision of the early-stopping scheduler (ASHA): ``trial_id``,
        ``bracket``, ``rung`` (the milestone, in iterations), ``value`` (the trial's metric
        there), ``cutoff`` (the rung's cut-off at that moment; empty while the rung had no
        other trial), ``decision`` ("continue" or "stop"), ``time`` (s since the start)."""
        columns = ["trial_id", "bracket", "rung", "value", "cutoff", "decision", "time"]
        start = self._start_time()
        rows = [
            {**{k: e.get(k) for k in columns[:-1]}, "time": e["time"] - start}
            for e in self._log.events()
            if e["event"] == "decision"
        ]
        return pd.DataFrame(rows, columns=columns)

    @cached_property
    def lineage(self) -> pd.DataFrame:
        """Every exploit of Population Based Training (PBT, PB2), in order: ``time`` (s since
        the start), ``step`` (the recipient's iteration when it was cut), ``recipient``,
        ``donor``, ``donor_step`` (the iteration of the donor's checkpoint, where the
        recipient goes on from), ``recipient_score`` and ``donor_score`` (the metric at the
        exploit), ``old_config`` (the recipient's), ``donor_config``, ``new_config`` (the
        donor's, explored),
        ``operations`` (how each parameter was explored: ``* 1.2``, ``resample``, ...) and
        ``trained`` (False for an exploit at a member's last step: that config never ran)."""
        columns = [
            "time",
            "step",
            "recipient",
            "donor",
            "donor_step",
            "recipient_score",
            "donor_score",
            "old_config",
            "donor_config",
            "new_config",
            "operations",
            "trained",
        ]
        start = self._start_time()
        trained = {index for index, _ in self._effective_exploits}
        rows = [
            {
                **{k: e.get(k) for k in columns[1:-1]},
                "time": e["time"] - start,
                "trained": index in trained,
            }
            for index, e in enumerate(self._log.events())
            if e["event"] == "exploit"
        ]
        return pd.DataFrame(rows, columns=columns)

    def schedule(self, trial_id: str) -> pd.DataFrame:
        """The hyperparameter schedule that produced ``trial_id``'s final model under PBT.

        One row per segment, oldest first: iterations ``start`` (exclusive) to ``end``
        (inclusive) were trained by member ``trained_by`` with the config in the ``config/``
        columns. Walking back from the member's last segment, each exploit hands over to the
        donor's own segments up to the donor's checkpoint. A member never exploited has one
        segment. (The rows are what Ray's ``PopulationBasedTrainingReplay`` replays: the
        first config, then a new config from each segment's ``start`` on.)

        Raises:
            OptionError: an unknown trial id.
        """
        records = self._records
        if trial_id not in records:
            known = list(records)
            raise OptionError(
                f"no trial {trial_id!r} in this experiment.{did_you_mean(trial_id, known)}"
            )
        events = self._log.events()
        exploits = self._effective_exploits
        segments: list[tuple[int, int, str, dict[str, Any]]] = []
        member, before = trial_id, len(events)
        reports = records[trial_id].reports
        end = int(reports[-1].get("iteration") or len(reports)) if reports else 0
        while True:
            last = next(
                (
                    (index, e)
                    for index, e in reversed(exploits)
                    if e["recipient"] == member and index < before
                ),
                None,
            )
            if last is None:
                first = next(
                    e for e in events if e["event"] == "trial_started" and e["trial_id"] == member
                )
                segments.append((0, end, member, first.get("config") or {}))
                break
            index, exploit = last
            start = int(exploit.get("donor_step") or 0)
            segments.append((start, end, member, exploit.get("new_config") or {}))
            member, end, before = str(exploit["donor"]), start, index
        rows = [
            {
                "start": start,
                "end": end,
                "trained_by": who,
                **{f"config/{k}": v for k, v in flat_config(config).items()},
            }
            for start, end, who, config in reversed(segments)
        ]
        return pd.DataFrame(rows)

    def get_dataframe(
        self, filter_metric: str | None = None, filter_mode: str | None = None
    ) -> pd.DataFrame:
        """Ray Tune's ``ResultGrid.get_dataframe``: one row per trial with its last report
        (or, with ``filter_metric`` and ``filter_mode``, its best report for that metric),
        every metric as a column, ``training_iteration``, ``trial_id`` and ``config/`` columns.
        """
        if (filter_metric is None) != (filter_mode is None):
            raise OptionError("pass both filter_metric and filter_mode, or neither.")
        rows = []
        for record in self._records.values():
            if filter_metric:
                report = self._best_report(
                    record.reports, filter_metric, _check_mode(filter_mode or "")
                )
            else:
                report = record.reports[-1] if record.reports else None
            row: dict[str, Any] = dict(report["metrics"]) if report else {}
            row["training_iteration"] = report.get("iteration") if report else None
            row["trial_id"] = record.trial_id
            row.update({f"config/{k}": v for k, v in flat_config(record.config).items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def __len__(self) -> int:
        return len(self._records)

    # -- the best trial --------------------------------------------------------------------

    def _trial(self, record: _TrialRecord, report: dict[str, Any] | None) -> Trial:
        history = self.history
        return Trial(
            trial_id=record.trial_id,
            config=dict(record.config),
            metrics=dict(report["metrics"]) if report else {},
            iteration=report.get("iteration") if report else None,
            status=record.status,
            error=record.error,
            history=history[history["trial_id"] == record.trial_id].reset_index(drop=True),
            checkpoint=self._chosen_checkpoint(record),
            checkpoints=self._kept(record),
            node=record.node,
            resources=record.resources,
        )

    @staticmethod
    def _kept(record: _TrialRecord) -> list[str]:
        """The trial's checkpoints Ray kept: as recorded at its end, or (while it runs) those
        still on disk."""
        if record.kept is not None:
            return list(record.kept)
        return [c["path"] for c in record.checkpoints if Path(c["path"]).exists()]

    def _chosen_checkpoint(self, record: _TrialRecord) -> str | None:
        kept = self._kept(record)
        if not kept:
            return None
        score = self._settings.get("checkpoint_score")
        if not score:
            return kept[-1]
        values = {
            report.get("iteration"): (report.get("metrics") or {}).get(score["metric"])
            for report in record.reports
        }
        scored = [
            (values.get(c.get("iteration")), c["path"])
            for c in record.checkpoints
            if c["path"] in kept and is_number(values.get(c.get("iteration")))
        ]
        if not scored:
            return kept[-1]
        sign = 1 if score["mode"] == "max" else -1
        return max(reversed(scored), key=lambda pair: sign * pair[0])[1]

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
        best: tuple[_TrialRecord, dict[str, Any]] | None = None
        for record in self._records.values():
            if record.status == "error":
                continue  # a config that crashed is no answer, whatever it reported first
            if scope == "all":
                report = self._best_report(record.reports, metric, direction)
            else:
                report = self._last_report(record.reports, metric)
            if report is None:
                continue
            value = report["metrics"][metric]
            if best is None or (
                value > best[1]["metrics"][metric]
                if direction == "max"
                else value < best[1]["metrics"][metric]
            ):
                best = (record, report)
        if best is None:
            reported = sorted(c for c in self._log.reports if c not in REPORT_COLUMNS)
            seen = f" The trials reported: {', '.join(reported)}." if reported else ""
            if not self._records:
                seen = " No trial has started yet."
            raise MetricNotReportedError(
                f"no trial has reported `{metric}`; the trial function must call "
                f"report({metric}=...).{seen}"
            )
        return self._trial(*best)

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

        Example: ``loguniform(1e-4, 1e-1)`` with top values 1e-4 and 1e-2 and margin 0.25
        is widened to 10**-4.5 .. 10**-1.5 in log10 space, then clipped to its parent's
        lower bound: ``loguniform(1e-4, 10**-1.5)``.

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
        ranked = self._ranked(metric, self._mode_or_default(mode))
        if len(ranked) < min_trials:
            raise OptionError(
                f"refine needs at least {min_trials} finished trials that reported `{metric}`, "
                f"and this experiment has {len(ranked)}: run more trials (or pass "
                "min_trials=...)."
            )
        best = ranked[: max(1, round(top * len(ranked)))]
        configs = [flat_config(record.config) for record in best]
        described = self._settings.get("space") or {}
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
        ranked = self._ranked(metric, direction)
        values = []
        for record in ranked:
            report = self._best_report(record.reports, metric, direction)
            assert report is not None  # _ranked keeps only trials that reported it
            values.append(float(report["metrics"][metric]))
        configs = [flat_config(record.config) for record in ranked]
        described = self._settings.get("space") or {}
        return importance(described, configs, values, direction, evaluator, seed)

    def _ranked(self, metric: str, mode: Mode) -> list[_TrialRecord]:
        """The finished trials (not failed, not running) that reported ``metric``, best
        first by their best value."""
        ranked: list[tuple[float, _TrialRecord]] = []
        for record in self._records.values():
            if record.status not in ("terminated", "pruned", "stopped"):
                continue
            report = self._best_report(record.reports, metric, mode)
            if report is not None:
                ranked.append((float(report["metrics"][metric]), record))
        if not ranked and self._records:
            self.best(metric, mode)  # raises, saying what the trials did report
        ranked.sort(key=lambda pair: pair[0], reverse=mode == "max")
        return [record for _, record in ranked]

    def best_configs(self, top: float = 0.2) -> list[dict[str, Any]]:
        """The configs of the ``max(1, round(top * n))`` best of the ``n`` finished trials
        (the top trials of :meth:`refine`), best first."""
        ranked = self._ranked(self._metric_or_default(None), self._mode_or_default(None))
        return [dict(record.config) for record in ranked[: max(1, round(top * len(ranked)))]]

    # -- stages (coarse to fine) -----------------------------------------------------------

    def _stage(self) -> dict[str, Any]:
        """This experiment as a stage: its name, parent, space, metric, best config and value."""
        settings = self._settings
        best: Trial | None
        try:
            best = self.best()
        except (MetricNotReportedError, OptionError):
            best = None
        metric = self.metric
        return {
            "name": self.name,
            "parent": (settings.get("parent") or {}).get("name"),
            "trials": len(self._records),
            "status": self.status,
            "metric": metric,
            "mode": self.mode,
            "best_value": None if best is None or not metric else best.metrics.get(metric),
            "best_config": None if best is None else best.config,
            "space": settings.get("space") or {},
        }

    def _stage_chain(self) -> list[dict[str, Any]]:
        parent = self._settings.get("parent") or {}
        return [*parent.get("stages", []), self._stage()]

    @property
    def stages(self) -> pd.DataFrame:
        """The chain of stages that led to this experiment, oldest first, this one last: one
        row per stage with ``name``, ``parent``, ``trials``, ``status``, ``metric``, ``mode``,
        ``best_value``, ``best_config`` and ``space`` (a ``tb.Space``)."""
        return _stages_frame(self._stage_chain())

    def export_stages(self, path: str | Path) -> Path:
        """Write the chain of stages as JSON (each stage's space exactly, as
        ``Space.to_json`` writes it); :func:`load_stages` reads it back. Returns the path."""
        path = Path(path)
        document = {"tunebook_stages": 1, "stages": self._stage_chain()}
        path.write_text(json.dumps(json_safe(document), indent=1), encoding="utf-8")
        return path

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
        return [r.error for r in self._records.values() if r.status == "error" and r.error]

    # -- progress --------------------------------------------------------------------------

    def progress(self, total: int | None = None) -> Progress:
        """Counts by trial state, seconds so far and the best value so far."""
        states = [record.status for record in self._records.values()]
        total = total if total is not None else self._settings.get("total_trials")
        events = self._log.events()
        now = self._end["time"] if self._end else (events[-1]["time"] if events else 0.0)
        best_value = None
        if self.metric and self.mode:
            try:
                best_value = self.best(scope="all").metrics[self.metric]
            except MetricNotReportedError:
                best_value = None
        pending = None
        if total is not None and self.status == "running":
            pending = max(0, int(total) - len(states))
        elif total is not None:
            pending = 0
        return Progress(
            running=states.count("running"),
            terminated=states.count("terminated"),
            pruned=states.count("pruned"),
            stopped=states.count("stopped"),
            errored=states.count("error"),
            pending=pending,
            reports=len(self._log.reports["trial_id"]),
            elapsed=max(0.0, now - self._start_time()),
            best=best_value,
            metric=self.metric,
            status=self.status,
        )

    # -- export ----------------------------------------------------------------------------

    def _table(self, table: str) -> pd.DataFrame:
        if table not in TABLES:
            raise OptionError(
                f"table must be one of {TABLES}, got {table!r}.{did_you_mean(table, TABLES)}"
            )
        frame: pd.DataFrame = getattr(self, table)
        return frame

    def _flat_table(self, table: str) -> pd.DataFrame:
        """The table with nested values (the configs of ``lineage``) as JSON text, for the
        formats whose cells hold one value."""
        frame = self._table(table).copy()
        for column in frame.columns[frame.dtypes == "object"]:  # numbers, text: no nesting
            if frame[column].map(lambda v: isinstance(v, (dict, list))).any():
                frame[column] = frame[column].map(
                    lambda v: json.dumps(v) if isinstance(v, (dict, list)) else v
                )
        return frame

    def to_csv(self, path: str | Path, table: str = "trials") -> Path:
        """Write ``trials`` (or ``table=`` ``"history"``, ``"decisions"``, ``"lineage"``) as
        CSV; nested values (configs) as JSON text. Returns the path."""
        path = Path(path)
        self._flat_table(table).to_csv(path, index=False)
        return path

    def to_json(self, path: str | Path, table: str = "trials") -> Path:
        """Write ``trials`` (or ``table=`` ``"history"``, ``"decisions"``, ``"lineage"``) as
        JSON records; returns the path."""
        path = Path(path)
        self._table(table).to_json(path, orient="records", indent=1)
        return path

    def to_parquet(self, path: str | Path, table: str = "trials") -> Path:
        """Write ``trials`` (or ``table=`` ``"history"``, ``"decisions"``, ``"lineage"``) as
        Parquet; returns the path.

        Nested values (configs) are written as JSON text, and a column whose values mix types
        (``choice([1, "a"])``) as text.
        """
        path = Path(path)
        frame = self._flat_table(table)
        for column in frame.columns:
            if frame[column].dtype == object:
                kinds = {type(v) for v in frame[column] if v is not None and v == v}
                if len(kinds) > 1 or kinds - {str, int, float, bool}:
                    frame[column] = frame[column].map(lambda v: None if v is None else str(v))
        frame.to_parquet(path, index=False)
        return path

    def to_html(self, path: str | Path) -> Path:
        """Write one self-contained HTML report (figures and trials; readable offline)."""
        from tunebook.figures import report_html  # figures sit above results; loaded on use

        path = Path(path)
        path.write_text(report_html(self._log.events()), encoding="utf-8")
        return path

    # -- display ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        progress = self.progress()
        return f"<Results {self.name!r}: {len(self)} trials, {progress.line()}>"

    def _repr_html_(self, max_rows: int = 10) -> str:
        progress = self.progress()
        title = html.escape(f"{self.name or 'experiment'}: {progress.line()}")
        frame = self.trials
        metric = self.metric
        if metric and f"best_{metric}" in frame:
            frame = frame.sort_values(
                f"best_{metric}", ascending=self.mode == "min", na_position="last"
            )
        shown = frame.drop(columns=["error"]).head(max_rows)
        footer = (
            f"Showing the {len(shown)} best of {len(frame)} trials"
            if len(frame) > len(shown)
            else f"{len(frame)} trials"
        )
        footer += ". All trials: <code>.trials</code>; every report: <code>.history</code>."
        return (
            f"<div><b>{title}</b>{shown.to_html(index=False, na_rep='', max_cols=12)}"
            f"<small>{footer}</small></div>"
        )


def _stages_frame(chain: list[dict[str, Any]]) -> pd.DataFrame:
    from tunebook.space import Space

    rows = [{**stage, "space": Space.from_dict(stage.get("space") or {})} for stage in chain]
    columns = ["name", "parent", "trials", "status", "metric", "mode", "best_value"]
    return pd.DataFrame(rows, columns=[*columns, "best_config", "space"])


def load_stages(path: str | Path) -> pd.DataFrame:
    """The chain of stages that ``Results.export_stages`` wrote, as ``Results.stages`` shows
    it (each ``space`` rebuilt as a ``tb.Space``).

    Raises:
        ResultsFolderError: a file that is not an export of stages.
    """
    from tunebook.errors import ResultsFolderError

    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ResultsFolderError(f"cannot read stages from {path}: {err}") from None
    if not isinstance(document, dict) or "stages" not in document:
        raise ResultsFolderError(
            f"{path} is not an export of stages (Results.export_stages writes one)."
        )
    return _stages_frame(list(document["stages"]))


def load(path: str | Path) -> Results:
    """Load the results of an experiment folder written by tunebook.

    Only JSON is read, so loading a folder never executes code.

    Example:
        >>> results = load(exp.path)  # doctest: +SKIP
        >>> results.best().config  # doctest: +SKIP
    """
    return Results.load(path)
