"""A plotly figure as a small widget that ships plotly.js once per page, not once per figure.

plotly's own ``FigureWidget`` carries its ~5 MB bundle in every widget's state: six views made a
dashboard of 30 MB that took seconds to reach the screen. A ``PlotView`` carries a few
kilobytes of JavaScript (``plot_view.js``). plotly.js (plotly's own ``get_plotlyjs()``) comes
once per page: in the state of a view that ``import tunebook`` makes in a kernel and never
shows (``preload_plotly``), or else the first view asks its kernel for it; every later view
reuses it.

The kernel keeps each view's figure as plain JSON (``data``, ``layout``) and sends it whole
(``react``) or as a change (``update``): traces added, some traces' properties replaced, layout
paths set, in one message. A view that appears later (the cell shown again, the page reloaded)
asks for a snapshot and draws the figure as it is now. Arrays go as binary buffers.

Messages, kernel to page: ``{"kind": "plotly", "source"}``, ``{"kind": "react", "data",
"layout"}``, ``{"kind": "update", "add", "traces": [[index, {property: value}]], "layout":
{"a.b": value}}``. Page to kernel: ``{"kind": "plotly"}``, ``{"kind": "plotly_loaded"}`` and
``{"kind": "snapshot"}``.
"""

from __future__ import annotations

import base64
import functools
import math
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import plotly.offline
import traitlets


@functools.cache
def plotly_js() -> str:
    """plotly.js itself, as plotly ships it (read once per kernel)."""
    return plotly.offline.get_plotlyjs()


def plain(figure: Any) -> dict[str, Any]:
    """A figure (``go.Figure`` or its dict) as plain JSON: NaN and infinities become null."""
    if hasattr(figure, "to_dict"):
        figure = figure.to_dict()
    return {"data": _stored(figure.get("data", [])), "layout": _stored(figure.get("layout", {}))}


class _Packer:
    """Turns numpy arrays into buffer references, collecting the buffers of one message."""

    def __init__(self) -> None:
        self.buffers: list[memoryview] = []

    def pack(self, value: Any) -> Any:
        if isinstance(value, np.ndarray):
            dtype = "int32" if value.dtype.kind in "iu" else "float64"
            self.buffers.append(np.ascontiguousarray(value, dtype=dtype).data)
            return {"buffer": len(self.buffers) - 1, "dtype": dtype}
        if isinstance(value, Mapping):
            return {k: self.pack(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.pack(v) for v in value]
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value


def _stored(value: Any) -> Any:
    """A value as the kernel keeps it for snapshots (plain JSON)."""
    if isinstance(value, np.ndarray):
        return _stored(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Mapping):
        if "bdata" in value and "dtype" in value:  # plotly's own binary form of an array
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return _stored(array.tolist())
        return {k: _stored(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_stored(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[last] = value


class PlotView(anywidget.AnyWidget):
    """One plotly figure of the dashboard.

    Args:
        figure: what to draw first (a ``go.Figure`` or its dict); nothing by default.

    Example:
        >>> import plotly.graph_objects as go
        >>> view = PlotView(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])))
        >>> view.update(traces={0: {"y": [3, 5]}}, layout={"title.text": "y"})
        >>> view.data[0]["y"], view.figure_layout["title"]["text"]
        ([3, 5], 'y')
    """

    _esm = Path(__file__).with_name("plot_view.js")
    #: plotly.js in the view's own state: set on the view that ``preload_plotly`` makes alone
    #: (it reaches the page with the view, with no request for a busy kernel to answer), and
    #: emptied once the page has it.
    plotly_source = traitlets.Unicode("").tag(sync=True)

    def __init__(self, figure: Any = None, *, plotly_source: str = "") -> None:
        super().__init__(plotly_source=plotly_source)  # in the state the page first gets
        self.data: list[dict[str, Any]] = []
        self.figure_layout: dict[str, Any] = {}  # not ``layout``: the widget's own
        self.messages = 0  # figure messages sent (react and update)
        self._lock = threading.RLock()
        self.on_msg(self._on_message)
        if figure is not None:
            self.react(figure)

    def react(self, figure: Any) -> None:
        """Replace the whole figure."""
        whole = plain(figure)
        with self._lock:
            self.data, self.figure_layout = whole["data"], whole["layout"]
            self._send_whole()

    def update(
        self,
        *,
        add: list[dict[str, Any]] | None = None,
        traces: Mapping[int, Mapping[str, Any]] | None = None,
        layout: Mapping[str, Any] | None = None,
    ) -> None:
        """Change the figure in one message: ``add`` traces at the end, replace properties of
        the traces at the given indexes (``{index: {"y": array}}``), set layout paths
        (``{"yaxis.type": "log"}``). numpy arrays travel as binary buffers."""
        add, traces, layout = add or [], traces or {}, layout or {}
        if not (add or traces or layout):
            return
        with self._lock:
            self.data.extend(_stored(trace) for trace in add)
            for index, edit in traces.items():
                self.data[index].update(_stored(dict(edit)))
            for path, value in layout.items():
                _set_path(self.figure_layout, path, _stored(value))
            packer = _Packer()
            message = {
                "kind": "update",
                "add": packer.pack(add),
                "traces": [[index, packer.pack(dict(edit))] for index, edit in traces.items()],
                "layout": packer.pack(dict(layout)),
            }
            self.messages += 1
            self.send(message, packer.buffers)

    def _send_whole(self) -> None:
        self.messages += 1
        self.send({"kind": "react", "data": self.data, "layout": self.figure_layout})

    def _on_message(self, _widget: Any, content: Mapping[str, Any], _buffers: Any) -> None:
        kind = content.get("kind")
        if kind == "plotly":
            self.send({"kind": "plotly", "source": plotly_js()})
        elif kind == "plotly_loaded":  # a notebook that saves widget state saves no 5 MB
            self.plotly_source = ""
        elif kind == "snapshot":
            with self._lock:
                self._send_whole()


#: The view made to bring plotly.js to the page before the first dashboard (kept: a page that
#: is opened again creates its model again, and fetches plotly.js through it).
_PRELOAD: list[PlotView] = []


def preload_plotly() -> None:
    """Send plotly.js to the front end now, in the state of a view that is never shown: a page
    evaluates plotly.js in about a second on 2 cores, which no first dashboard then waits for;
    and a view asking for it would wait while the kernel runs the cells queued after this one
    (Run All)."""
    if not _PRELOAD:
        _PRELOAD.append(PlotView(plotly_source=plotly_js()))
