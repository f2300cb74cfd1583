"""The DataFrames of ``Results``, each built from the fold (``ExperimentState``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from tunebook.events import flat_config, flat_space, resources_text
from tunebook.results._state import ExperimentState, TrialState

#: The columns of ``Results.decisions``.
DECISION_COLUMNS = ["trial_id", "bracket", "rung", "value", "cutoff", "decision", "time"]
#: The columns of ``Results.lineage``.
LINEAGE_COLUMNS = [
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


def config_columns(config: Mapping[str, Any]) -> dict[str, Any]:
    """``{"config/lr": 0.1, "config/model/depth": 3}``: a config as the frames' columns."""
    return {f"config/{k}": v for k, v in flat_config(config).items()}


def history(reports: Mapping[str, list[Any]], start: float) -> pd.DataFrame:
    """One row per trial and iteration (the log's report columns), ``time`` in seconds since
    ``start``. An iteration run again (a retry or a resume from an earlier checkpoint, or from
    the start) replaces the one it runs again; the record keeps both."""
    frame = pd.DataFrame(reports, columns=list(reports))
    if not frame.empty:
        frame["time"] = frame["time"] - start
        again = frame.duplicated(["trial_id", "iteration"], keep="last")
        if again.any():
            frame = frame[~again].reset_index(drop=True)
    else:
        frame = frame.astype({"trial_id": "object", "iteration": "Int64", "time": "float64"})
    return frame


def trials(state: ExperimentState) -> pd.DataFrame:
    """One row per trial (``Results.trials`` documents the columns)."""
    metric = state.metric
    end_of_run = state.end["time"] if state.end else None
    rows = []
    for trial in state.trials.values():
        row: dict[str, Any] = {"trial_id": trial.trial_id, "status": trial.status}
        row.update(config_columns(trial.config))
        if metric:
            last = trial.last_report(metric)
            best = state.trial_best(trial)
            row[f"last_{metric}"] = last["metrics"][metric] if last else math.nan
            row[f"best_{metric}"] = best["metrics"][metric] if best else math.nan
        row["iterations"] = trial.reached
        row["stopped_at"] = math.nan if trial.stopped_at is None else trial.stopped_at
        row["time"] = _finished(trial, end_of_run) - trial.started
        row["node"] = trial.node
        row["resources"] = resources_text(trial.resources)
        row["checkpoints"] = len(trial.kept_checkpoints())
        row["error"] = trial.error
        rows.append(row)
    order = {
        f"config/{name}": n for n, name in enumerate(flat_space(state.settings.get("space") or {}))
    }
    columns = ["trial_id", "status"]
    columns += sorted(
        {k for row in rows for k in row if k.startswith("config/")},
        key=lambda k: order.get(k, len(columns)),
    )
    if metric:
        columns += [f"last_{metric}", f"best_{metric}"]
    columns += ["iterations", "stopped_at", "time", "node", "resources", "checkpoints"]
    return pd.DataFrame(rows, columns=[*columns, "error"])


def _finished(trial: TrialState, end_of_run: float | None) -> float:
    """When the trial stopped running: its end, else its latest report, else the run's end."""
    finished = trial.ended or (trial.reports[-1]["time"] if trial.reports else None)
    return float(finished or end_of_run or trial.started)


def decisions(state: ExperimentState) -> pd.DataFrame:
    """Every rung decision, ``time`` in seconds since the start."""
    start = state.start_time
    rows = [
        {**{k: e.get(k) for k in DECISION_COLUMNS[:-1]}, "time": e["time"] - start}
        for e in state.decisions
    ]
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)


def lineage(state: ExperimentState) -> pd.DataFrame:
    """Every PBT exploit, ``trained`` False for one whose config never ran."""
    start = state.start_time
    rows = [
        {
            **{k: e.get(k) for k in LINEAGE_COLUMNS[1:-1]},
            "time": e["time"] - start,
            "trained": e["trained"],
        }
        for e in state.exploits
    ]
    return pd.DataFrame(rows, columns=LINEAGE_COLUMNS)


def ray_dataframe(state: ExperimentState, metric: str | None, mode: str | None) -> pd.DataFrame:
    """Ray Tune's ``ResultGrid.get_dataframe``: each trial's last report, or with ``metric``
    its best report in ``mode``."""
    rows = []
    for trial in state.trials.values():
        if metric:
            report = state.trial_best(trial, metric, mode)
        else:
            report = trial.reports[-1] if trial.reports else None
        row: dict[str, Any] = dict(report["metrics"]) if report else {}
        row["training_iteration"] = report.get("iteration") if report else None
        row["trial_id"] = trial.trial_id
        row.update(config_columns(trial.config))
        rows.append(row)
    return pd.DataFrame(rows)
