"""The public namespace: names load on first use, and what is not a name says so."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import tunebook


def test_dir_lists_the_public_names():
    assert dir(tunebook) == sorted(tunebook.__all__)
    assert {"run", "Space", "load", "report", "watch", "Dashboard"} <= set(dir(tunebook))


def test_a_lazy_name_is_its_modules_own_object_and_stays_loaded():
    from tunebook.results import load
    from tunebook.space import Space

    assert tunebook.load is load and tunebook.Space is Space
    assert tunebook.__dict__["load"] is load  # looked up once, then an ordinary attribute


def test_a_submodule_loads_by_attribute():
    assert tunebook.__getattr__("cell") is importlib.import_module("tunebook.cell")
    assert tunebook.__getattr__("errors").TunebookError is tunebook.TunebookError


def test_an_unknown_name_is_an_attribute_error_that_names_it():
    with pytest.raises(AttributeError, match="module 'tunebook' has no attribute 'rnu'"):
        tunebook.rnu  # noqa: B018


def test_a_loaded_results_draws_with_the_figures_imported_when_first_needed(tmp_path):
    from tests.logs import make_log

    make_log(tmp_path / "events.jsonl").close()
    code = (
        "import sys, tunebook as tb\n"
        f"r = tb.load({str(tmp_path)!r})\n"
        "before = 'tunebook.figures' in sys.modules\n"
        "figure = r.plot('curves')\n"
        "print(before, type(figure).__name__, 'tunebook.figures' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "Figure", "True"]
