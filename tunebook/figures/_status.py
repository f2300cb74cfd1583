"""How every figure draws a trial's status: one colour (and dash) per status, in the fold's
order, labelled with the fold's own word (``TrialState.status``, shown as it is).

The colours are Okabe and Ito's colour-blind-safe palette; a failed trial's line is also
dotted, so that it reads without colour.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from tunebook.results import TRIAL_STATUSES


class StatusStyle(NamedTuple):
    """How a status is drawn: its legend label (the status itself), colour and line dash."""

    label: str
    color: str
    dash: str


_COLORS = {
    "running": ("#0072B2", "solid"),  # blue
    "terminated": ("#009E73", "solid"),  # bluish green
    "pruned": ("#999999", "solid"),  # grey: stopped early by the scheduler, recedes
    "stopped": ("#CC79A7", "solid"),  # reddish purple
    "error": ("#D55E00", "dot"),  # vermillion, dotted
    "interrupted": ("#E69F00", "dash"),  # orange, dashed: its run's driver died
}

#: Every status of the fold (``tunebook.results.TRIAL_STATUSES``), in its order, with its
#: style: the one table the learning curves, the history and the live dashboard draw by.
STATUS_STYLES: dict[str, StatusStyle] = {
    status: StatusStyle(status, *_COLORS[status]) for status in TRIAL_STATUSES
}
#: A status the fold does not name (a newer log): drawn dark grey, labelled as it is.
OTHER_COLOR = "#555555"
#: The best trial: black, whatever its status.
BEST_COLOR = "#000000"


def status_style(status: str) -> StatusStyle:
    """The style of ``status`` (a status the fold does not name: dark grey)."""
    return STATUS_STYLES.get(status) or StatusStyle(status, OTHER_COLOR, "solid")


def present(statuses: Iterable[str]) -> list[str]:
    """The distinct ``statuses``, in the fold's order (others after, as first seen)."""
    seen = list(dict.fromkeys(statuses))
    return [s for s in STATUS_STYLES if s in seen] + [s for s in seen if s not in STATUS_STYLES]


def legend_trace(name: str, group: str, color: str, dash: str, width: float) -> dict[str, Any]:
    """A trace that only makes a legend entry (no points): clicking it shows or hides every
    trace of ``group``."""
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "lines",
        "name": name,
        "legendgroup": group,
        "showlegend": True,
        "line": {"color": color, "dash": dash, "width": width},
        "hoverinfo": "skip",
    }
