"""One trial as the events tell it (``TrialState``), and the segments PBT's exploits cut its
reports into. The fold (``tunebook.results._state``) makes and advances them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tunebook.events import is_number


@dataclass
class Segment:
    """A stretch of a PBT member's reports under one config: from report ``first`` (an index
    into the member's reports) on, going on from iteration ``start`` of ``donor``'s model
    (the member itself for its first segment)."""

    first: int
    start: int
    config: dict[str, Any]
    donor: str | None = None
    at: int = 0  # the position in the log where its model began: its exploit, or its first
    # report (what orders a member's segments against other members' exploits)
    exploit: dict[str, Any] | None = None  # the exploit that began it


class TrialState:
    """One trial as the events tell it."""

    __slots__ = (
        "trial_id",
        "order",
        "config",
        "status",
        "error",
        "output",
        "started",
        "ended",
        "reports",
        "iterations",
        "values",
        "latest",
        "segments",
        "node",
        "resources",
        "checkpoints",
        "kept",
        "stopped_at",
        "best_index",
    )

    def __init__(self, trial_id: str, order: int, config: dict[str, Any], started: float) -> None:
        self.trial_id = trial_id
        self.order = order  # its place among the trials, in the order they started
        self.config = config  # the config it trains with now (its last segment's)
        self.status = "running"
        self.error: str | None = None
        self.output: str | None = None
        self.started = started
        self.ended: float | None = None
        self.reports: list[dict[str, Any]] = []  # its result events
        self.iterations: list[int] = []
        self.values: dict[str, list[float | None]] = {}  # numeric metrics, one per report
        self.latest: dict[str, Any] = {}  # the latest value of every metric it reported
        self.segments: list[Segment] = []  # more than one after PBT exploits
        self.node: str | None = None  # the Ray node of its latest attempt
        self.resources: dict[str, float] | None = None  # what it holds now
        self.checkpoints: list[dict[str, Any]] = []  # checkpoint events
        self.kept: list[str] | None = None  # the checkpoints Ray kept, once it ended
        self.stopped_at: float | None = None  # the rung where the scheduler stopped it
        self.best_index: int | None = None  # its best report by the experiment's metric

    @property
    def reached(self) -> int:
        """The highest iteration the trial reported (0 before its first report)."""
        return max(self.iterations, default=0)

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

    def best_report(self, metric: str, mode: str) -> dict[str, Any] | None:
        """The first report with the best number for ``metric`` (``mode`` "max" or "min")."""
        best: dict[str, Any] | None = None
        current = 0.0
        for report in self.reports:
            value: Any = (report.get("metrics") or {}).get(metric)
            if is_number(value) and (
                best is None or (value > current if mode == "max" else value < current)
            ):
                best, current = report, float(value)
        return best

    def last_report(self, metric: str) -> dict[str, Any] | None:
        """The latest report with a number for ``metric``."""
        for report in reversed(self.reports):
            if is_number((report.get("metrics") or {}).get(metric)):
                return report
        return None

    def kept_checkpoints(self) -> list[str]:
        """The paths of the trial's checkpoints Ray keeps: as recorded at its end, or (while it
        runs) those recorded that are still on disk (Ray deletes what it no longer keeps)."""
        if self.kept is not None:
            return list(self.kept)
        return [c["path"] for c in self.checkpoints if Path(c["path"]).exists()]


@dataclass(frozen=True)
class Trial:
    """One trial as the results see it.

    Attributes:
        trial_id: Ray Tune's trial id.
        config: the hyperparameters the trial ran with (its last ones, after PBT exploits).
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


def trial_view(
    trial: TrialState,
    report: dict[str, Any] | None,
    history: pd.DataFrame,
    checkpoint_score: dict[str, Any] | None,
) -> Trial:
    """What users get of a trial: ``Trial``, with ``report`` (the one it was chosen for) as its
    metrics, its rows of ``history``, and the checkpoint to use by ``checkpoint_score``."""
    return Trial(
        trial_id=trial.trial_id,
        config=dict(trial.config),
        metrics=dict(report["metrics"]) if report else {},
        iteration=report.get("iteration") if report else None,
        status=trial.status,
        error=trial.error,
        history=history[history["trial_id"] == trial.trial_id].reset_index(drop=True),
        checkpoint=chosen_checkpoint(trial, checkpoint_score),
        checkpoints=trial.kept_checkpoints(),
        node=trial.node,
        resources=trial.resources,
    )


def chosen_checkpoint(trial: TrialState, score: dict[str, Any] | None) -> str | None:
    """The kept checkpoint to use: the best by ``score`` (``{"metric", "mode"}``, the run's
    ``checkpoint_score``), else the latest; None without any."""
    kept = trial.kept_checkpoints()
    if not kept:
        return None
    if not score:
        return kept[-1]
    values = {
        report.get("iteration"): (report.get("metrics") or {}).get(score["metric"])
        for report in trial.reports
    }
    scored = [
        (values.get(c.get("iteration")), c["path"])
        for c in trial.checkpoints
        if c["path"] in kept and is_number(values.get(c.get("iteration")))
    ]
    if not scored:
        return kept[-1]
    sign = 1 if score["mode"] == "max" else -1
    return max(reversed(scored), key=lambda pair: sign * pair[0])[1]
