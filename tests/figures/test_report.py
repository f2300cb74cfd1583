"""The static report: one self-contained page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.logs import events
from tunebook.figures import report_html

DATA = Path(__file__).resolve().parents[1] / "data"


def test_report_is_one_self_contained_page():
    page = report_html(events())
    assert page.startswith("<!DOCTYPE html>") and "<h1>e</h1>" in page
    assert "plotly.js" in page or "Plotly" in page  # the library is inlined: readable offline
    assert not re.search(r"<script[^>]*\bsrc=", page)  # no script fetched from anywhere
    assert "Best trial <code>a</code>" in page


def test_the_report_has_a_section_per_view_with_the_optimisation_history():
    page = report_html(events())
    headings = re.findall(r"<h2>([^<]*)</h2>", page)
    assert headings == [
        "Learning curves",
        "Optimisation history",
        "Parameters",
        "Trials",
    ]
    history = page.split("<h2>Optimisation history</h2>")[1].split("<h2>")[0]
    assert "best so far" in history and "in the order they finished" in history


def test_the_report_writes_numbers_to_four_significant_digits():
    page = report_html(events())
    # a's best report: acc 0.9, loss 1 - 0.9 (0.09999999999999998 in full)
    assert "Best trial <code>a</code>: acc 0.9, loss 0.1, phase x with" in page
    assert "0.0999999" not in page


def _replay(name: str):
    from tunebook.results import ExperimentState

    s = ExperimentState()
    s.add(json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip())
    return s


#: Every figure, drawn from recorded runs that have something for each, and empty.
FIGURES = {
    "curves": lambda f, s: f.curves_figure(f.curves_info(_replay("pbt.jsonl"))),
    "history": lambda f, s: f.history_figure(f.history_info(_replay("asha.jsonl"))),
    "parallel": lambda f, s: f.parallel_figure(f.parallel_info(_replay("asha.jsonl"))),
    "rungs": lambda f, s: f.rungs_figure(f.rungs_info(_replay("asha.jsonl"))),
    "lineage": lambda f, s: f.lineage_figure(f.lineage_info(_replay("pbt.jsonl"))),
    "importance": lambda f, s: f.importance_figure(
        f.importance_info(_replay("asha.jsonl"), {"q": 1.0})
    ),
    "empty curves": lambda f, s: f.curves_figure(f.curves_info(s())),
    "empty parallel": lambda f, s: f.parallel_figure(f.parallel_info(s())),
    "empty importance": lambda f, s: f.importance_figure(f.importance_info(s())),
}


def _figure(name: str):
    from tunebook import figures
    from tunebook.results import ExperimentState

    return FIGURES[name](figures, ExperimentState)


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_follows_its_containers_width_and_keeps_its_height(name):
    layout = _figure(name).layout
    assert layout.autosize is True and layout.width is None and layout.height is not None


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_number_plotly_writes_has_four_significant_digits(name):
    whole = _figure(name).to_plotly_json()
    whole["layout"].pop("template", None)
    texts = [v for k, v in _items(whole) if k in ("hovertemplate", "texttemplate")]
    formats = [m for text in texts for m in re.findall(r"%\{[^}:]+:([^}]*)\}", text)]
    assert set(formats) <= {".4~g"}  # %{y:.4~g}, never .4g (0.5000) nor .3f
    tick = [v for k, v in _items(whole) if k in ("tickformat", "hoverformat")]
    assert set(tick) <= {".4~g", "d"}  # "d": whole counts (trials in finishing order)
    words = [v for k, v in _items(whole) if k in ("hovertext", "ticktext", "text") and v]
    numbers = [n for w in words for n in re.findall(r"\d+\.\d+", str(w))]
    assert not [n for n in numbers if len(n.replace(".", "").lstrip("0")) > 4]


def test_one_rule_for_numbers_in_python_and_in_plotly():
    from tunebook.figures import NUMBER_FORMAT, hover_number, number_text
    from tunebook.results import number_text as the_rule

    assert number_text is the_rule  # the figures write numbers as every view of results
    assert (NUMBER_FORMAT, hover_number("y")) == (".4~g", "%{y:.4~g}")


def _items(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, list | tuple) and all(isinstance(x, str) for x in v):
                for x in v:
                    yield k, x
            elif isinstance(v, str):
                yield k, v
            else:
                yield from _items(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _items(v)
