"""The dashboard's text: the header (status, counts, time, the best trial) and a trial's
detail (status, config, last report, where it ran, what it held, checkpoints, output, error),
numbers to four significant digits as everywhere."""

from __future__ import annotations

import html

from tunebook.events import resources_text
from tunebook.results import Progress, TrialState, number_text, values_text

STATUS_ICONS = {
    "running": "▶",
    "terminated": "✓",
    "pruned": "✂",
    "stopped": "■",
    "error": "✗",
    "interrupted": "↯",
}
#: The header lists at most this many of the best config's values.
HEADER_VALUES = 8


def header_html(name: str | None, progress: Progress) -> str:
    """The dashboard's header: ``name [status] · counts · time``, then the best trial."""
    parts = [
        f"<b>{html.escape(name or 'experiment')}</b> <span class='tb-status'>"
        f"[{html.escape(progress.status)}]</span>",
        *progress.parts(),
        progress.timing(),
    ]
    best = ""
    if progress.best is not None:
        config = values_text(progress.best_config or {}, limit=HEADER_VALUES)
        best = (
            f"<div class='tb-best'>best {html.escape(str(progress.metric))} "
            f"<b>{number_text(progress.best)}</b> (trial "
            f"{html.escape(str(progress.best_trial))}): {html.escape(config)}</div>"
        )
    return f"<div class='tunebook-header'>{' · '.join(parts)}{best}</div>"


def detail_html(trial: TrialState, several_nodes: bool = False) -> str:
    """The detail of one trial as HTML: a table of its facts, then its error and output.
    The node it ran on is shown when the run had several."""
    rows = [
        ("status", f"{STATUS_ICONS.get(trial.status, '')} {trial.status}"),
        ("iterations", str(trial.reached)),
        ("config", values_text(trial.config)),
    ]
    if trial.latest:
        rows.append(("last report", values_text(trial.latest)))
    if trial.resources:
        rows.append(("resources", str(resources_text(trial.resources))))
    if trial.node and several_nodes:
        rows.append(("node", trial.node[:12]))
    kept = trial.kept_checkpoints()
    if kept:
        rows.append(("checkpoints", str(len(kept))))
    detail = "".join(
        f"<tr><th style='text-align:left;padding-right:12px'>{k}</th><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    extra = ""
    if trial.error:
        extra += f"<b>error</b><pre class='tb-error'>{html.escape(trial.error)}</pre>"
    if trial.output:
        extra += f"<b>output</b><pre>{html.escape(trial.output[-4000:])}</pre>"
    return f"<table class='tunebook-detail'>{detail}</table>{extra}"
