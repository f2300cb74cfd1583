"""The static report: one self-contained HTML file with the dashboard's figures, drawn from
the same fold (``Results.state``) by the same data steps as the live dashboard."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from tunebook.events import EventLog, flat_config
from tunebook.figures._curves import curves_figure, curves_info
from tunebook.figures._history import history_figure, history_info
from tunebook.figures._importance import importance_figure, importance_info
from tunebook.figures._lineage import lineage_figure, lineage_info
from tunebook.figures._numbers import number_text
from tunebook.figures._parallel import parallel_figure, parallel_info
from tunebook.figures._rungs import rungs_figure, rungs_info
from tunebook.results import Results, summary_frame


def importances(results: Results) -> dict[str, float] | None:
    """``Results.importance()`` as ``{parameter: importance}``, or None where it cannot be
    computed (too few finished trials, nothing sampled, no metric): the slices still show."""
    try:
        frame = results.importance()
    except Exception:  # OptionError, MetricNotReportedError, or Optuna refusing the data
        return None
    return dict(zip(frame["parameter"], frame["importance"], strict=True))


def _results(source: Any) -> Results:
    """A Results from what the report is asked of: a Results, an experiment (its ``results``,
    once it has ended), an experiment folder, or a list of events."""
    if isinstance(source, Results):
        return source
    if isinstance(source, list):
        return Results(EventLog.from_events(source))
    if isinstance(source, str | Path):
        return Results.load(source)
    results = getattr(source, "results", None)  # an Experiment: waits for its end
    if isinstance(results, Results):
        return results
    raise TypeError(
        f"a report is written from Results, an Experiment, an experiment folder or a list of "
        f"events, not {type(source).__name__}."
    )


def _pairs(values: dict[str, Any]) -> str:
    """``acc 0.9123, model/depth 3``: flat names, numbers as the figures write them."""
    return ", ".join(f"{k} {number_text(v)}" for k, v in flat_config(values).items())


def report_html(source: Any, max_rows: int = 50) -> str:
    """An HTML page (plotly.js inlined: readable offline) with the summary, then a section
    each: the learning curves, the optimisation history, the parallel coordinates, the rung
    and lineage views where there are decisions or exploits, what mattered, and the trials."""
    results = _results(source)
    scores = importances(results)  # fANOVA takes a while: not while holding the state
    with results.state.lock:
        state = results.state
        sections = [
            ("Learning curves", curves_figure(curves_info(state))),
            ("Optimisation history", history_figure(history_info(state))),
            ("Parameters", parallel_figure(parallel_info(state))),
        ]
        if state.decisions:
            sections.append(("Early stopping", rungs_figure(rungs_info(state))))
        if state.exploits:
            sections.append(("Lineage", lineage_figure(lineage_info(state))))
        info = importance_info(state, scores)
        if info.slices:
            sections.append(("What mattered", importance_figure(info)))
        frame = summary_frame(results.trials, state)  # the columns that tell trials apart
    parts = [
        f"<h2>{html.escape(heading)}</h2>"
        + figure.to_html(
            full_html=False,
            include_plotlyjs="inline" if i == 0 else False,
            default_width="100%",
            config={"responsive": True},
        )
        for i, (heading, figure) in enumerate(sections)
    ]
    title = html.escape(results.name or "tunebook experiment")
    summary = html.escape(results.progress().line())
    try:
        best = results.best()
        best_html = (
            f"<p>Best trial <code>{html.escape(best.trial_id)}</code>: "
            f"{html.escape(_pairs(best.metrics))} with "
            f"<code>{html.escape(_pairs(best.config))}</code></p>"
        )
    except Exception:  # no trial reported the metric: the summary says so
        best_html = "<p>No trial has reported the metric.</p>"
    table = frame.head(max_rows).to_html(index=False, na_rep="", float_format=number_text)
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


def write_report(source: Any, path: str | Path) -> Path:
    """Write the static report of ``source`` (Results, an Experiment, an experiment folder)
    to ``path``: one self-contained HTML file, readable offline. Returns the path.

    Example:
        >>> tb.write_report(exp, "report.html")  # doctest: +SKIP
    """
    path = Path(path)
    path.write_text(report_html(source), encoding="utf-8")
    return path
