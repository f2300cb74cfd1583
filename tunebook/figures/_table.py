"""The trial table of the dashboard: one row per trial, sortable."""

from __future__ import annotations

import html
import math
from typing import Any, NamedTuple

from tunebook.events import flat_config, resources_text
from tunebook.results import ExperimentState

FIXED = ("trial_id", "status", "iterations")


class TableInfo(NamedTuple):
    """Rows of the trial table, already sorted and cut (compared exactly in tests)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: int


def table_info(
    state: ExperimentState,
    sort_by: str | None = None,
    ascending: bool | None = None,
    limit: int = 100,
) -> TableInfo:
    """Trials with status, iterations, last and best value of the metric, and their config;
    the node each ran on (when there are several), what it holds and its checkpoints (when
    any trial has them).

    Sorted by ``sort_by``, missing values last; by default (and by the best value, without
    ``ascending``) in the ranking's order: the best first, trials that failed after the
    others (``ExperimentState.best_first``).
    """
    metric = state.metric
    config_names: list[str] = []
    for trial in state.trials.values():
        config_names.extend(n for n in flat_config(trial.config) if n not in config_names)
    columns = [*FIXED]
    if metric:
        columns += [f"last_{metric}", f"best_{metric}"]
    columns += [f"config/{n}" for n in config_names]
    trials = state.trials.values()
    held = {t.trial_id: resources_text(t.resources) for t in trials}
    # where trials ran and what they hold, when that tells something
    extra = {
        "node": len(state.nodes) > 1,
        "resources": len(set(held.values())) > 1,
        "checkpoints": any(t.checkpoints for t in trials),
    }
    kept = {t.trial_id: len(t.kept_checkpoints()) for t in trials} if extra["checkpoints"] else {}
    columns += [name for name, shown in extra.items() if shown]
    key = sort_by if sort_by in columns else (f"best_{metric}" if metric else "trial_id")
    ranked = key == f"best_{metric}" and ascending is None
    rows = []
    for trial in state.best_first() if ranked else trials:
        row: list[Any] = [trial.trial_id, trial.status, trial.reached]
        if metric:
            last, best = trial.last_report(metric), state.trial_best(trial)
            row += [last["metrics"][metric] if last else None]
            row += [best["metrics"][metric] if best else None]
        config = flat_config(trial.config)
        row += [config.get(n) for n in config_names]
        if extra["node"]:
            row.append(trial.node[:8] if trial.node else None)
        if extra["resources"]:
            row.append(held[trial.trial_id])
        if extra["checkpoints"]:
            row.append(kept[trial.trial_id])
        rows.append(tuple(row))
    if ranked:
        return TableInfo(tuple(columns), tuple(rows[:limit]), len(rows))
    if ascending is None:
        ascending = not (key == f"best_{metric}" or key == f"last_{metric}") or state.mode == "min"
    index = columns.index(key)

    def missing(value: Any) -> bool:
        return value is None or (isinstance(value, float) and math.isnan(value))

    present = [row for row in rows if not missing(row[index])]
    try:
        present.sort(key=lambda row: row[index], reverse=not ascending)
    except TypeError:  # mixed types: compare as text
        present.sort(key=lambda row: str(row[index]), reverse=not ascending)
    ordered = present + [row for row in rows if missing(row[index])]
    return TableInfo(tuple(columns), tuple(ordered[:limit]), len(rows))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def table_html(info: TableInfo) -> str:
    """The table as HTML, with a footer when rows were cut."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in info.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in info.rows
    )
    footer = (
        f"<small>{len(info.rows)} of {info.total} trials shown; results.trials has all.</small>"
        if info.total > len(info.rows)
        else f"<small>{info.total} trials</small>"
    )
    return (
        "<style>.tunebook-trials th,.tunebook-trials td{padding:2px 10px 2px 0;"
        "text-align:left;white-space:nowrap}</style>"
        "<div style='max-height:360px;overflow:auto'><table class='tunebook-trials' "
        "style='border-collapse:collapse;font-size:12px'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{footer}"
    )
