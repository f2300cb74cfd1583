"""The static report: one self-contained HTML file with the dashboard's figures."""

from __future__ import annotations

import html
from typing import Any

from tunebook.events import EventLog
from tunebook.figures._curves import curves_figure, curves_info
from tunebook.figures._importance import importance_figure, importance_info
from tunebook.figures._lineage import lineage_figure, lineage_info
from tunebook.figures._parallel import parallel_figure, parallel_info
from tunebook.figures._rungs import rungs_figure, rungs_info
from tunebook.figures._state import RunState
from tunebook.results import Results


def importances(results: Results) -> dict[str, float] | None:
    """``Results.importance()`` as ``{parameter: importance}``, or None where it cannot be
    computed (too few finished trials, nothing sampled, no metric): the slices still show."""
    try:
        frame = results.importance()
    except Exception:  # OptionError, MetricNotReportedError, or Optuna refusing the data
        return None
    return dict(zip(frame["parameter"], frame["importance"], strict=True))


def report_html(events: list[dict[str, Any]], max_rows: int = 50) -> str:
    """An HTML page (plotly.js inlined: readable offline) with the summary, the learning
    curves, the parallel coordinates and the best trials."""
    state = RunState()
    state.add(events)
    results = Results(EventLog.from_events(events))
    figures = [curves_figure(curves_info(state)), parallel_figure(parallel_info(state))]
    if state.decisions:
        figures.append(rungs_figure(rungs_info(state)))
    if state.exploits:
        figures.append(lineage_figure(lineage_info(state)))
    info = importance_info(state, importances(results))
    if info.slices:
        figures.append(importance_figure(info))
    parts = [
        figure.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False)
        for i, figure in enumerate(figures)
    ]
    title = html.escape(results.name or "tunebook experiment")
    summary = html.escape(results.progress().line())
    try:
        best = results.best()
        best_html = (
            f"<p>Best trial <code>{html.escape(best.trial_id)}</code>: "
            f"{html.escape(str(best.metrics))} with "
            f"<code>{html.escape(str(best.config))}</code></p>"
        )
    except Exception:  # no trial reported the metric: the summary says so
        best_html = "<p>No trial has reported the metric.</p>"
    frame = results.trials
    metric = results.metric
    if metric and f"best_{metric}" in frame:
        frame = frame.sort_values(f"best_{metric}", ascending=results.mode == "min")
    table = frame.drop(columns=["error"]).head(max_rows).to_html(index=False, na_rep="")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "font-size:13px}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>{title}</h1><p><code>{summary}</code></p>{best_html}"
        + "".join(parts)
        + f"<h2>Trials</h2>{table}<p><small>{min(len(frame), max_rows)} of {len(frame)} trials; "
        "made by tunebook</small></p></body></html>"
    )
