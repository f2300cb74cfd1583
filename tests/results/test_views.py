"""``Results.plot(kind)`` and what a Results shows in a notebook: the figures and the static
dashboard that tunebook.figures registers."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

import tunebook.figures as figures
from tests.logs import make_log, pbt_log
from tunebook.errors import TunebookError
from tunebook.results import Results

KINDS = ("curves", "history", "rungs", "lineage", "parallel", "importance")


def test_plot_draws_each_figure_of_the_dashboard():
    results = Results(make_log())
    for kind in KINDS:
        assert isinstance(results.plot(kind), go.Figure)
    expected = figures.curves_figure(figures.curves_info(results.state))
    assert results.plot("curves") == expected
    lineage = Results(pbt_log())
    assert lineage.plot("lineage") == figures.lineage_figure(figures.lineage_info(lineage.state))


def test_an_unknown_kind_names_the_kinds_and_the_closest():
    with pytest.raises(
        TunebookError,
        match=r"one of 'curves', .*'importance', got 'curve'\. "
        r"Did you mean 'curves'\?",
    ):
        Results(make_log()).plot("curve")


def test_a_results_shows_its_summary_as_text_and_html():
    results = Results(make_log())
    shown = results._repr_mimebundle_()
    text = shown["text/plain"].splitlines()
    assert text[0] == f"exp: {results.progress().line()}"
    assert text[1].split()[:3] == ["trial_id", "status", "best_acc"]
    assert "best_acc" in shown["text/html"] and "<table" in shown["text/html"]
