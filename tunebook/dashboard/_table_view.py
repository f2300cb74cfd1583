"""The dashboard's trial table as a small widget that sends clicks back: a header sorts by its
column (again: the other way), a row opens that trial's detail (``table_view.js``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anywidget
import traitlets

CSS = """
.tunebook-table th[data-column] { cursor: pointer; user-select: none; }
.tunebook-table tr[data-trial] { cursor: pointer; }
.tunebook-table tr[data-trial]:hover { background: #eef3fb; }
.tunebook-table tr.tunebook-chosen { background: #dbe7f7; }
"""


class TableView(anywidget.AnyWidget):
    """HTML of a table whose ``th[data-column]`` and ``tr[data-trial]`` can be clicked.

    Args:
        on_sort: called with a column's name when its header is clicked.
        on_open: called with a trial id when its row is clicked.
    """

    _esm = Path(__file__).with_name("table_view.js")
    _css = CSS
    html = traitlets.Unicode("").tag(sync=True)
    chosen = traitlets.Unicode("").tag(sync=True)  # the trial whose detail is open

    def __init__(self, on_sort: Callable[[str], None], on_open: Callable[[str], None]) -> None:
        super().__init__()
        self._on_sort, self._on_open = on_sort, on_open
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: Mapping[str, Any], _buffers: Any) -> None:
        if content.get("kind") == "sort" and content.get("column"):
            self._on_sort(str(content["column"]))
        elif content.get("kind") == "open" and content.get("trial"):
            self._on_open(str(content["trial"]))
