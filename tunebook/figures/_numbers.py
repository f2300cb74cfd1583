"""How a figure writes a number: four significant digits, in Python and in plotly.js alike.

Text made in Python (titles, tick text, hover text, the report) goes through
``tunebook.results.number_text``, the one rule every view of the results writes numbers by;
text plotly.js makes in the browser (hover templates, axis ticks) uses :data:`NUMBER_FORMAT`,
the same rule in d3-format's words (``~`` drops trailing zeros, as Python's ``g`` does: both
write 0.5 as "0.5", not "0.5000").
"""

from __future__ import annotations

from tunebook.results import number_text

__all__ = ["NUMBER_FORMAT", "hover_number", "number_text"]

#: d3-format of a measured value: four significant digits, no trailing zeros.
NUMBER_FORMAT = ".4~g"


def hover_number(name: str) -> str:
    """A hover-template placeholder of a number: ``hover_number("y")`` is ``"%{y:.4~g}"``."""
    return f"%{{{name}:{NUMBER_FORMAT}}}"
