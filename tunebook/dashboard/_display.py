"""Where the dashboard shows itself: in a notebook, an ``Experiment`` displayed (the last line of
a cell, ``display(exp)``, what ``%%tune`` returns) is its live dashboard, and a ``Results``
displayed (``tb.load(folder)``, ``exp.results``) is its dashboard drawn from its log.

The engine knows nothing of this: the dashboard attaches itself to IPython's display
formatter for the ``Experiment`` type. Elsewhere (a terminal, nbconvert to text) an Experiment
shows its own progress line.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunebook.dashboard._dashboard import Dashboard
    from tunebook.engine import Experiment

#: The types the dashboard shows, by name (registering by name imports nothing).
SHOWN = ("tunebook.engine._experiment", "Experiment")
SHOWN_RESULTS = ("tunebook.results._results", "Results")

#: Each experiment's dashboard, shown again at its next display. (An experiment stays for the
#: kernel's life anyway, in ``tb.experiments()``.)
_dashboards: dict[Experiment, Dashboard] = {}


def current_shell() -> Any:
    """The IPython shell this code runs in, or None (IPython is not imported for it)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def shows_widgets(shell: Any) -> bool:
    """Whether ``shell`` has a front end that shows widgets: it runs in a kernel (ipykernel's
    shell, or one derived from it, holds its kernel; a widget reaches a front end through that
    kernel, as ipywidgets itself checks). A terminal or a plain ``InteractiveShell`` has none."""
    return getattr(shell, "kernel", None) is not None


def dashboard_of(experiment: Experiment) -> Dashboard:
    """The experiment's dashboard, made on its first display and shown again after."""
    from tunebook.dashboard._dashboard import Dashboard  # the widgets load with the first view

    dashboard = _dashboards.get(experiment)
    if dashboard is None:
        dashboard = _dashboards[experiment] = Dashboard(experiment)
    return dashboard


def _bundle(experiment: Experiment) -> dict[str, Any]:
    return dashboard_of(experiment)._repr_mimebundle_()


def _results_bundle(results: Any) -> dict[str, Any]:
    from tunebook.dashboard._dashboard import Dashboard

    return Dashboard(results)._repr_mimebundle_()


def attach(shell: Any) -> bool:
    """Show Experiments as their live dashboards in ``shell``, when it shows widgets; returns
    whether it does. ``import tunebook`` calls it for the running IPython, and so does
    ``%load_ext tunebook``. The page starts fetching plotly.js at once (``preload_plotly``),
    so that the first dashboard does not wait for it."""
    if not shows_widgets(shell):
        return False
    formatter = shell.display_formatter.mimebundle_formatter
    formatter.for_type_by_name(*SHOWN, _bundle)
    formatter.for_type_by_name(*SHOWN_RESULTS, _results_bundle)
    from tunebook.dashboard._plot_view import preload_plotly

    preload_plotly()
    return True
