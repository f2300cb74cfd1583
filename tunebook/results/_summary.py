"""What a summary of the trials shows: the metric first, best first, and only the columns that
tell the trials apart, each number to four significant digits.

``Results`` shows its summary with these, and the dashboard's trial table
(``tunebook.figures.table_info``) picks its columns with :func:`telling`, so the two agree.
``results.trials`` itself keeps every column.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pandas as pd

from tunebook.events import flat_config
from tunebook.results._state import ExperimentState


def number_text(value: Any) -> str:
    """``value`` as tunebook writes it for people: a float to four significant digits, an
    int (a count, an iteration) whole, anything else as ``str``.

    Example:
        >>> number_text(0.123456), number_text(2.0), number_text(12000), number_text("relu")
        ('0.1235', '2', '12000', 'relu')
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    return "nan" if math.isnan(value) else f"{value:.4g}"


def values_text(values: Mapping[str, Any], limit: int | None = None) -> str:
    """``lr=0.001235 · depth=4``: a config or a report, flattened, numbers to 4 digits; past
    ``limit`` values, how many more there are.

    Example:
        >>> values_text({"lr": 0.00123456, "model": {"depth": 4}})
        'lr=0.001235 · model/depth=4'
    """
    flat = list(flat_config(values).items())
    shown = flat if limit is None else flat[:limit]
    text = " · ".join(f"{name}={number_text(value)}" for name, value in shown)
    return text + (f" · (+{len(flat) - len(shown)} more)" if len(shown) < len(flat) else "")


def missing(value: Any) -> bool:
    """No value: None, NaN or pandas' NA."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def cell_text(value: Any) -> str:
    """A table cell: empty when missing, else :func:`number_text`."""
    return "" if missing(value) else number_text(value)


def lead_columns(metric: str | None) -> tuple[str, ...]:
    """The columns a view of the trials starts with, in order; the first three (the trial,
    its status, its best value of the metric) are always shown."""
    scores = (f"best_{metric}", f"last_{metric}") if metric else ()
    return ("trial_id", "status", *scores, "iterations")


def kept_columns(metric: str | None) -> tuple[str, ...]:
    """The columns a view never leaves out: ``trial_id``, ``status`` and ``best_<metric>``."""
    return lead_columns(metric)[: 3 if metric else 2]


def _plain(value: Any) -> Any:
    """A value to compare columns by: missing values alike, unhashable ones as text."""
    if missing(value):
        return None
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def telling(columns: Mapping[str, Sequence[Any]], keep: Collection[str] = ()) -> list[str]:
    """The names of the columns that tell the trials apart, in their order.

    A column says nothing, and is left out, when it has no value at all, or (over two trials
    or more) when it holds one value for every trial or the same values as a column before
    it (``last_acc`` when every trial's last value was its best). ``keep`` names columns that
    stay whatever they hold.

    Example:
        >>> telling({"trial_id": ["a", "b"], "best": [1, 2], "last": [1, 2], "cpu": [1, 1]})
        ['trial_id', 'best']
    """
    shown: list[str] = []
    seen: list[tuple[Any, ...]] = []
    for name, values in columns.items():
        plain = tuple(_plain(v) for v in values)
        says_nothing = all(v is None for v in plain) or (
            len(plain) > 1 and (len(set(plain)) == 1 or plain in seen)
        )
        if name in keep or not says_nothing:
            shown.append(name)
            seen.append(plain)
    return shown


def best_first(frame: pd.DataFrame, state: ExperimentState) -> pd.DataFrame:
    """A trials frame in the state's ranking order (``ExperimentState.best_first``: failed
    trials after the others), as the summary, the report and ``tunebook show`` list trials."""
    if frame.empty:
        return frame
    order = [trial.trial_id for trial in state.best_first()]
    return frame.set_index("trial_id").loc[order].reset_index()


def summary_frame(trials: pd.DataFrame, state: ExperimentState) -> pd.DataFrame:
    """The trials as a summary shows them: best first (failed trials last), ``trial_id``,
    ``status`` and ``best_<metric>`` first, then the columns that tell the trials apart
    (:func:`telling`), node ids shortened to 8 characters; no tracebacks."""
    frame = best_first(trials, state).drop(columns=["error"])
    lead = [c for c in lead_columns(state.metric) if c in frame.columns]
    frame = frame[lead + [c for c in frame.columns if c not in lead]].copy()
    frame["node"] = [n[:8] if isinstance(n, str) else n for n in frame["node"]]
    keep = kept_columns(state.metric)
    return frame[telling({c: frame[c].tolist() for c in frame.columns}, keep)]


def _footer(shown: int, total: int) -> str:
    return f"Showing the {shown} best of {total} trials" if total > shown else f"{total} trials"


def summary_text(frame: pd.DataFrame, title: str, max_rows: int) -> str:
    """``title``, the first ``max_rows`` rows of a summary frame as text, and a footer."""
    shown = frame.head(max_rows).map(cell_text)
    table = shown.to_string(index=False) if len(shown) else ""
    footer = _footer(len(shown), len(frame)) + ". All trials: .trials; every report: .history."
    return "\n".join(part for part in (title, table, footer) if part)


def summary_html(frame: pd.DataFrame, title: str, max_rows: int) -> str:
    """The first ``max_rows`` rows of a summary frame under ``title``, with a footer that says
    how many there are and how to get them all."""
    shown = frame.head(max_rows).map(cell_text)
    footer = _footer(len(shown), len(frame))
    footer += ". All trials: <code>.trials</code>; every report: <code>.history</code>."
    return (
        f"<div><b>{html.escape(title)}</b>{shown.to_html(index=False)}<small>{footer}</small></div>"
    )
