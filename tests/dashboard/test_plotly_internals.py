"""Every reach into plotly's internals is in tunebook/dashboard/_plotly_internals.py, and each
is still there on the installed plotly."""

from __future__ import annotations

from pathlib import Path

import plotly
import pytest

from tunebook.dashboard._plotly_internals import REACHES, WRITTEN_FOR

PACKAGE = Path(__file__).resolve().parents[2] / "tunebook"


@pytest.mark.parametrize("reach", REACHES, ids=lambda reach: reach.name)
def test_the_installed_plotly_still_has(reach):
    try:
        reach.read()
    except (AttributeError, ImportError) as err:
        pytest.fail(
            f"plotly {plotly.__version__} no longer has {reach.name}, which tunebook reads in "
            f"tunebook/dashboard/_plotly_internals.py (written for {WRITTEN_FOR}): {err}"
        )


def test_no_other_module_reaches_into_plotly():
    offenders = [
        path.name
        for path in PACKAGE.rglob("*.py")
        if path.name != "_plotly_internals.py" and "basedatatypes" in path.read_text()
    ]
    assert not offenders, offenders
