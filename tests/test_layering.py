"""The layers of DESIGN.md: pure modules import neither widgets, IPython nor (for events and
results) Ray, so a results folder loads fast anywhere."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in
      ('ray', 'ipywidgets', 'IPython', 'plotly', 'optuna'))))
"""


def imported_by(module: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


@pytest.mark.parametrize(
    "module", ["tunebook", "tunebook.events", "tunebook.results", "tunebook.errors"]
)
def test_core_needs_no_ray_and_no_jupyter(module):
    assert imported_by(module) == set()


def test_space_imports_ray_tune_domains_but_no_jupyter_and_starts_no_ray():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tunebook.space, ray; print(ray.is_initialized(),"
            " 'ipywidgets' in sys.modules, 'IPython' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[-3:] == ["False", "False", "False"]


def test_the_engine_never_imports_widgets():
    assert "ipywidgets" not in imported_by("tunebook.engine")
    assert "IPython" not in imported_by("tunebook.engine")


def test_every_lazy_name_is_public():
    import tunebook

    assert set(tunebook._LAZY) <= set(tunebook.__all__)
    for name in tunebook.__all__:
        assert getattr(tunebook, name) is not None


def test_figures_are_pure_plotly():
    assert imported_by("tunebook.figures") == {"plotly"}


def test_the_dashboard_never_talks_to_ray():
    assert "ray" not in imported_by("tunebook.dashboard")
