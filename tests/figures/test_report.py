"""The static report: one self-contained page."""

from __future__ import annotations

import re

from tests.logs import events
from tunebook.figures import report_html


def test_report_is_one_self_contained_page():
    page = report_html(events())
    assert page.startswith("<!DOCTYPE html>") and "<h1>e</h1>" in page
    assert "plotly.js" in page or "Plotly" in page  # the library is inlined: readable offline
    assert not re.search(r"<script[^>]*\bsrc=", page)  # no script fetched from anywhere
    assert "Best trial <code>a</code>" in page
