"""The live dashboard: ipywidgets around small plotly views over the event log.

Names load on first use, so that ``tunebook`` can attach the dashboard to IPython's display
(``attach``) without importing the widgets until an experiment is shown.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tunebook.dashboard._display import attach, current_shell, dashboard_of, shows_widgets

__all__ = [
    "CHUNK",
    "Dashboard",
    "Throttle",
    "attach",
    "current_shell",
    "dashboard_of",
    "shows_widgets",
]

_LAZY = {
    "CHUNK": "tunebook.dashboard._curves",
    "Dashboard": "tunebook.dashboard._dashboard",
    "Throttle": "tunebook.dashboard._throttle",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tunebook.dashboard' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:
    from tunebook.dashboard._curves import CHUNK
    from tunebook.dashboard._dashboard import Dashboard
    from tunebook.dashboard._throttle import Throttle
