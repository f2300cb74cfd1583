"""The dashboard's tabs: which apply to an experiment, and how each other-than-curves view is
drawn from the state (each a figure's data step and draw step, as the static report's)."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

from tunebook import figures
from tunebook.results import ExperimentState, Results

#: Every tab, in the order shown.
TABS = (
    "Learning curves",
    "History",
    "Parallel coordinates",
    "Trials",
    "Rungs",
    "Lineage",
    "Importance",
)
#: The schedulers whose decisions the rung view draws, and those whose exploits the lineage does.
DECIDING = {"asha", "hyperband", "bohb"}
EXPLOITING = {"pbt", "pb2"}

Draw = Callable[[ExperimentState, "str | None", Results], go.Figure]


def applying(state: ExperimentState) -> tuple[str, ...]:
    """The tabs that say something about this experiment: rungs only with early stopping,
    lineage only with PBT, importance once the run has ended with two trials or more."""
    scheduler = str(state.settings.get("scheduler") or "").lower()
    shown = {
        "Rungs": bool(state.decisions) or scheduler in DECIDING,
        "Lineage": bool(state.exploits) or scheduler in EXPLOITING,
        "Importance": state.status != "running" and len(state.trials) > 1,
    }
    return tuple(name for name in TABS if shown.get(name, True))


def _importance(state: ExperimentState, _metric: str | None, results: Results) -> go.Figure:
    # fANOVA over the finished trials: only once the run has ended (the tab applies then)
    return figures.importance_figure(figures.importance_info(state, figures.importances(results)))


#: The views drawn whole when their tab is shown, by tab.
SLOW_VIEWS: dict[str, Draw] = {
    "History": lambda s, m, _r: figures.history_figure(figures.history_info(s, m)),
    "Parallel coordinates": lambda s, m, _r: figures.parallel_figure(figures.parallel_info(s, m)),
    "Rungs": lambda s, _m, _r: figures.rungs_figure(figures.rungs_info(s)),
    "Lineage": lambda s, m, _r: figures.lineage_figure(figures.lineage_info(s, m)),
    "Importance": _importance,
}
