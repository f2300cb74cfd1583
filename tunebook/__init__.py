"""tunebook: Jupyter-native hyperparameter tuning on Ray Tune.

Example:
    >>> import tunebook as tb
    >>> def objective(config):
    ...     for epoch in range(20):
    ...         tb.report(acc=1 - (config["lr"] - 0.01) ** 2 / (epoch + 1))
    >>> exp = tb.run(objective, {"lr": tb.loguniform(1e-4, 1e-1)},
    ...              metric="acc", mode="max", num_samples=20)  # doctest: +SKIP
    >>> exp.results.best().config  # doctest: +SKIP

Names are loaded on first use: ``import tunebook`` is fast, and reading a results folder
(``tb.load``) never imports Ray.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from tunebook.errors import (
    ExperimentFailed,
    MetricNotReportedError,
    OptionError,
    ResultsFolderError,
    SpaceTypeError,
    SpaceValueError,
    TunebookError,
)

__version__ = "0.1.0"

_LAZY = {
    # the search-space vocabulary (imports Ray Tune's domain classes)
    **{
        name: "tunebook.space"
        for name in (
            "Space",
            "uniform",
            "loguniform",
            "quniform",
            "qloguniform",
            "randint",
            "lograndint",
            "choice",
            "grid",
            "randn",
        )
    },
    # results (pure: pandas only)
    "Results": "tunebook.results",
    "Trial": "tunebook.results",
    "load": "tunebook.results",
    "load_stages": "tunebook.results",
    "EventLog": "tunebook.events",
    # the engine (Ray)
    "run": "tunebook.engine",
    "report": "tunebook.engine",
    "restore": "tunebook.engine",
    "resume": "tunebook.engine",
    "attach": "tunebook.engine",
    "Experiment": "tunebook.engine",
    # on top: a plain Ray Tune Tuner, recorded and shown
    "watch": "tunebook.watch",
    "Dashboard": "tunebook.dashboard",
    "SpaceEditor": "tunebook.editor",
    "LocalCluster": "tunebook.local_cluster",
    "write_report": "tunebook.figures",
}

_SUBMODULES = (
    "space",
    "events",
    "results",
    "figures",
    "engine",
    "dashboard",
    "errors",
    "demo",
    "cli",
    "cell",
    "magic",
    "watch",
    "editor",
    "local_cluster",
)

__all__ = [
    "EventLog",
    "Experiment",
    "ExperimentFailed",
    "LocalCluster",
    "MetricNotReportedError",
    "OptionError",
    "Results",
    "ResultsFolderError",
    "Space",
    "SpaceTypeError",
    "SpaceValueError",
    "Trial",
    "TunebookError",
    "__version__",
    "attach",
    "choice",
    "grid",
    "load",
    "load_stages",
    "lograndint",
    "loguniform",
    "qloguniform",
    "quniform",
    "randint",
    "randn",
    "report",
    "restore",
    "resume",
    "run",
    "uniform",
    "watch",
    "write_report",
    "Dashboard",
    "SpaceEditor",
]


def _show_dashboards() -> None:
    """In a notebook's kernel, a displayed ``Experiment`` is its live dashboard: the dashboard
    attaches itself to IPython's display (the widgets load when the first one is shown)."""
    from tunebook.dashboard._display import attach, current_shell  # no widgets imported

    shell = current_shell()
    if shell is not None:
        attach(shell)


def _import_figures() -> None:
    importlib.import_module("tunebook.figures")


def _link_views() -> None:
    """``Results.plot`` and a Results shown in a notebook draw with ``tunebook.figures``, a
    layer above results: figures registers its views with results when imported, and here,
    once results is loaded, results learns to import figures the first time it needs a view
    (so ``import tunebook`` and ``tb.load`` stay fast, with no plotly until then)."""
    results = sys.modules.get("tunebook.results")
    add = getattr(results, "add_view_loader", None)  # None while results itself loads
    if add is not None:
        add(_import_figures)


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext tunebook``: registers ``%%tune`` and ``%tune``."""
    from tunebook.magic import load_ipython_extension as load

    load(shell)
    _link_views()


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        if name in _SUBMODULES:
            found = importlib.import_module(f"tunebook.{name}")
            _link_views()
            return found
        raise AttributeError(f"module 'tunebook' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    _link_views()
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


_show_dashboards()

if TYPE_CHECKING:
    from tunebook.dashboard import Dashboard
    from tunebook.editor import SpaceEditor
    from tunebook.engine import Experiment, attach, report, restore, resume, run
    from tunebook.events import EventLog
    from tunebook.figures import write_report
    from tunebook.results import Results, Trial, load, load_stages
    from tunebook.space import (
        Space,
        choice,
        grid,
        lograndint,
        loguniform,
        qloguniform,
        quniform,
        randint,
        randn,
        uniform,
    )
    from tunebook.watch import watch
