"""Every reach into plotly's internals, in one place, named with the version it was written for.

``tests/dashboard/test_plotly_internals.py`` checks each one on the installed plotly, so that an
upgrade that removes one fails there, naming it, instead of somewhere in a refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from plotly.basedatatypes import Undefined as _Undefined

#: The plotly the reaches were written for.
WRITTEN_FOR = "plotly 7.1"

#: plotly's "leave this trace's value as it is" in a ``plotly_update`` restyle (plotly 7.1's
#: ``plotly.basedatatypes.Undefined``): the curves send one restyle for every touched trace,
#: with values for some traces and this for the others.
UNDEFINED: Any = _Undefined


class Reach(NamedTuple):
    """One private attribute read: what it is, and how to read it (raises when it is gone)."""

    name: str
    read: Callable[[], Any]


REACHES = (Reach("plotly.basedatatypes.Undefined", lambda: _Undefined),)
