"""The trial table of the dashboard: one row per trial, the metric first, sortable, clickable."""

from __future__ import annotations

import html
from typing import Any, NamedTuple

from tunebook.events import flat_config, resources_text
from tunebook.results import (
    ExperimentState,
    cell_text,
    kept_columns,
    lead_columns,
    missing,
    telling,
)

#: The arrow a header shows: the column sorted ascending, descending, or not sorted by.
ARROWS = {"asc": "▲", "desc": "▼", "none": "↕"}


class TableInfo(NamedTuple):
    """Rows of the trial table, already sorted and cut (compared exactly in tests), and the
    sort they are in: ``sort_by`` (a column, possibly one the table leaves out) and
    ``ascending``."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: int
    sort_by: str = "trial_id"
    ascending: bool = True


def _sorted(rows: list[tuple[Any, ...]], index: int, ascending: bool) -> list[tuple[Any, ...]]:
    """Rows by their value at ``index``, missing values last."""
    present = [row for row in rows if not missing(row[index])]
    try:
        present.sort(key=lambda row: row[index], reverse=not ascending)
    except TypeError:  # mixed types: compare as text
        present.sort(key=lambda row: str(row[index]), reverse=not ascending)
    return present + [row for row in rows if missing(row[index])]


def table_info(
    state: ExperimentState,
    sort_by: str | None = None,
    ascending: bool | None = None,
    limit: int = 100,
) -> TableInfo:
    """Trials with their best value of the metric, status, last value, iterations and config;
    the node each ran on (when there are several), what it holds and its checkpoints (when
    any trial has them). ``trial_id``, ``status`` and ``best_<metric>`` come first and always
    show; a column that tells no trial from another (one value for all, or the values of a
    column before it: ``last_acc`` when every last value was the best) is left out
    (``tunebook.results.telling``, as the ``Results`` summary does).

    Sorted by ``sort_by``, missing values last. By default (and by the best value in the
    direction of the mode: descending for ``"max"``) in the ranking's order: the best first,
    trials that failed after the others (``ExperimentState.best_first``). Without
    ``ascending``, the metric's columns sort best first and the others ascending.
    """
    metric = state.metric
    best = f"best_{metric}" if metric else None
    config_names: list[str] = []
    for trial in state.trials.values():
        config_names.extend(n for n in flat_config(trial.config) if n not in config_names)
    columns = [*lead_columns(metric), *(f"config/{n}" for n in config_names)]
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
    key = sort_by if sort_by in columns else (best or "trial_id")
    best_down = state.direction == "min"  # "ascending" of the ranking: best first
    ranked = key == best and ascending in (None, best_down)
    rows = []
    for trial in state.best_first() if ranked else trials:
        row: list[Any] = [trial.trial_id, trial.status]
        if metric:
            top, last = state.trial_best(trial), trial.last_report(metric)
            row += [top["metrics"][metric] if top else None]
            row += [last["metrics"][metric] if last else None]
        row.append(trial.reached)
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
        ascending = best_down
    else:
        if ascending is None:
            ascending = not key.startswith(("best_", "last_")) or state.mode == "min"
        rows = _sorted(rows, columns.index(key), ascending)
    shown = telling(
        {c: [row[i] for row in rows] for i, c in enumerate(columns)}, kept_columns(metric)
    )
    at = [columns.index(c) for c in shown]
    cut = tuple(tuple(row[i] for i in at) for row in rows[:limit])
    return TableInfo(tuple(shown), cut, len(rows), key, ascending)


def table_html(info: TableInfo) -> str:
    """The table as HTML, with a footer when rows were cut.

    What a page can rely on to make the table clickable (``tunebook/dashboard`` does):

    - ``<table class="tunebook-trials" data-sort-by="best_acc" data-sort="desc">``: the
      table's sort (``info.sort_by``, ``info.ascending``).
    - every header cell ``<th data-column="NAME" data-sort="asc|desc|none"
      aria-sort="ascending|descending|none">NAME <span class="tunebook-arrow">▲|▼|↕</span>``:
      the column's name and whether the rows are sorted by it. A click on a header asks for
      ``table_info(state, NAME, ascending)``: ``not info.ascending`` for the sorted column (a
      toggle), ``None`` (its natural order: the metric best first) for another.
    - every row ``<tr data-trial="TRIAL_ID" data-status="STATUS">``: a click opens the trial.
    - cells hold text: numbers to four significant digits (``tunebook.results.number_text``),
      missing values empty; everything is HTML-escaped.
    """
    direction = "asc" if info.ascending else "desc"
    heads = []
    for name in info.columns:
        sort = direction if name == info.sort_by else "none"
        aria = {"asc": "ascending", "desc": "descending"}.get(sort, "none")
        heads.append(
            f'<th data-column="{html.escape(name, quote=True)}" data-sort="{sort}" '
            f'aria-sort="{aria}">{html.escape(name)} '
            f'<span class="tunebook-arrow">{ARROWS[sort]}</span></th>'
        )
    status = info.columns.index("status") if "status" in info.columns else None
    body = "".join(
        f'<tr data-trial="{html.escape(str(row[0]), quote=True)}"'
        + ("" if status is None else f' data-status="{html.escape(str(row[status]))}"')
        + ">"
        + "".join(f"<td>{html.escape(cell_text(v))}</td>" for v in row)
        + "</tr>"
        for row in info.rows
    )
    footer = (
        f"<small>{len(info.rows)} of {info.total} trials shown; results.trials has all.</small>"
        if info.total > len(info.rows)
        else f"<small>{info.total} trials</small>"
    )
    return (
        "<style>.tunebook-trials th,.tunebook-trials td{padding:2px 10px 2px 0;"
        "text-align:left;white-space:nowrap}"
        ".tunebook-trials th[data-sort=none] .tunebook-arrow{opacity:.3}</style>"
        "<div style='max-height:360px;overflow:auto'><table class='tunebook-trials' "
        f'data-sort-by="{html.escape(info.sort_by, quote=True)}" data-sort="{direction}" '
        "style='border-collapse:collapse;font-size:12px'>"
        f"<thead><tr>{''.join(heads)}</tr></thead><tbody>{body}</tbody></table></div>{footer}"
    )
