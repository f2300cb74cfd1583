"""How ``Results`` shows itself: its figures (``results.plot(kind)``) and its summary (text,
and HTML where there are no widgets: in a notebook with widgets, ``tunebook.dashboard`` shows a
Results as its dashboard, drawn from its log).

The figures are drawn by ``tunebook.figures``, a layer above this one, which results never
imports. Instead figures registers its views here when it is imported
(:func:`register_views`), and the package's top (``tunebook/__init__.py``) adds a loader
(:func:`add_view_loader`) that imports figures the first time a view is asked for.

Example:
    >>> import tunebook.figures  # registers the figures  # doctest: +SKIP
    >>> results.plot("curves")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tunebook.errors import OptionError, TunebookError, did_you_mean
from tunebook.results._summary import summary_frame, summary_html, summary_text

if TYPE_CHECKING:
    from tunebook.results._results import Results

#: kind -> draw(results) -> a plotly figure, in the order registered.
FIGURES: dict[str, Callable[[Results], Any]] = {}
#: Called once, in order, the first time a view is asked for and none is registered.
LOADERS: list[Callable[[], object]] = []


def register_views(figures: Mapping[str, Callable[[Results], Any]]) -> None:
    """Register the figures ``results.plot`` draws (kind -> function of a ``Results``). A kind
    registered again is replaced."""
    FIGURES.update(figures)


def add_view_loader(load: Callable[[], object]) -> None:
    """Add ``load``, called the first time a view is asked for while none is registered
    (``tunebook/__init__.py`` adds one that imports ``tunebook.figures``). Added once."""
    if load not in LOADERS:
        LOADERS.append(load)


def _load() -> None:
    if not FIGURES:
        for load in LOADERS:
            load()


def figure(results: Results, kind: str) -> Any:
    """The figure ``kind`` of ``results``, drawn by the function registered for it.

    Raises:
        OptionError: an unknown kind (naming the kinds, and the closest one).
        TunebookError: no figures registered (``tunebook.figures`` was never imported).
    """
    _load()
    if not FIGURES:
        raise TunebookError(
            "no figures are registered: they come with tunebook.figures (which needs plotly). "
            "Run `import tunebook.figures` first."
        )
    draw = FIGURES.get(kind)
    if draw is None:
        raise OptionError(
            f"Results.plot draws one of {', '.join(map(repr, FIGURES))}, got {kind!r}."
            + did_you_mean(str(kind), FIGURES)
        )
    with results.state.lock:
        return draw(results)


def _title(results: Results) -> str:
    return f"{results.name or 'experiment'}: {results.progress().line()}"


def summary(results: Results, max_rows: int = 10, *, as_html: bool = False) -> str:
    """The summary of ``results``: its progress line, the best ``max_rows`` trials (the
    columns that tell them apart), and a footer."""
    with results.state.lock:
        frame = summary_frame(results.trials, results.state)
    shape = summary_html if as_html else summary_text
    return shape(frame, _title(results), max_rows)


def bundle(results: Results) -> dict[str, str]:
    """What a front end without widgets shows of ``results``: the text summary, and its table
    as HTML."""
    return {"text/plain": summary(results), "text/html": summary(results, as_html=True)}
