"""The trial detail of the dashboard: a selected trial's status, config, last report, where it
ran, what it held, its checkpoints, its output and its error."""

from __future__ import annotations

import html

from tunebook.events import resources_text
from tunebook.results import TrialState

STATUS_ICONS = {"running": "▶", "terminated": "✓", "pruned": "✂", "stopped": "■", "error": "✗"}


def detail_html(trial: TrialState) -> str:
    """The detail of one trial as HTML: a table of its facts, then its error and output."""
    rows = [
        ("status", f"{STATUS_ICONS.get(trial.status, '')} {trial.status}"),
        ("iterations", str(trial.reached)),
        ("config", str(trial.config)),
        ("last report", str(trial.latest)),
    ]
    if trial.resources:
        rows.append(("resources", str(resources_text(trial.resources))))
    if trial.node:
        rows.append(("node", trial.node))
    kept = trial.kept_checkpoints()
    if kept:
        rows.append(("checkpoints", str(len(kept))))
    detail = "".join(
        f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    extra = ""
    if trial.error:
        extra += f"<b>error</b><pre class='tb-error'>{html.escape(trial.error)}</pre>"
    if trial.output:
        extra += f"<b>output</b><pre>{html.escape(trial.output[-4000:])}</pre>"
    return f"<table>{detail}</table>{extra}"
