"""The dashboard's learning curves: the chunked messages each refresh sends, and their styles."""

from __future__ import annotations

import math

from tests.clock import Clock
from tests.logs import pbt_log, report, started_log
from tunebook.dashboard import CHUNK, Dashboard
from tunebook.figures import curves_figure, curves_info
from tunebook.results import Results


def sent_points(update, key: str) -> list[int]:
    """Points sent per curve trace: curves' points go as binary buffers (float64, int32),
    whose sizes are in "buffers" (the legend's entries carry no points)."""
    sizes = []
    for _index, edit in update["traces"]:
        value = edit.get(key)
        if isinstance(value, dict):
            width = 4 if value["dtype"] == "int32" else 8
            sizes.append(update["buffers"][value["buffer"]] // width)
    return sizes


def test_each_refresh_sends_one_message_with_only_the_new_points(messages):
    clock = Clock()
    log = started_log()
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    for i in range(1, 4):
        for t in "abc":
            report(log, t, i)
    clock.now += 1
    messages.clear()
    assert dashboard.refresh()
    first = messages.figure_updates(dashboard.curves)
    assert len(first) == 1  # one message for the whole refresh
    assert sent_points(first[0], "x") == [3, 3, 3]
    assert sent_points(first[0], "y") == [3, 3, 3]
    assert len(messages.widget_updates("value")) >= 1  # the header

    # later refreshes: each trial's new point goes with at most one chunk of its curve
    for i in range(4, 4 + 3 * CHUNK):
        for t in "ab":
            report(log, t, i)
        clock.now += 1
        messages.clear()
        assert dashboard.refresh()
        (update,) = messages.figure_updates(dashboard.curves)
        assert sum(sent_points(update, "x")) <= 2 * (CHUNK + 1)  # never the whole curve
    x, y = dashboard._pool.drawn()["a"]
    assert x == list(range(1, 4 + 3 * CHUNK))  # the chunks join, no point lost or repeated


def test_the_live_curves_are_the_static_figures_curves():
    """Same styles, legend and points as ``curves_figure`` (the static report's)."""
    clock = Clock()
    log = started_log("abc")
    report(log, "a", 1)
    report(log, "b", 1)
    report(log, "b", 2)
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    log.append("trial_ended", trial_id="a", status="pruned")
    for i in range(3, 10):
        report(log, "b", i)
    clock.now += 1
    dashboard.refresh()
    static = curves_figure(curves_info(Results(log).state)).to_plotly_json()
    curves = {t["name"]: t for t in static["data"] if t.get("hovertemplate")}
    for trial_id, (x, y) in dashboard._pool.drawn().items():
        assert x == list(curves[trial_id]["x"]) and y == list(curves[trial_id]["y"])
        style = dashboard._pool.style(trial_id)
        assert style["line"] == curves[trial_id]["line"]
        assert style["mode"] == curves[trial_id]["mode"]
    # a single point is a marker, not an invisible one-point line
    assert dashboard._pool.style("a")["mode"] == "lines+markers"
    legend = sorted(t["name"] for t in dashboard.curves.data if t.get("showlegend"))
    assert legend == sorted(t["name"] for t in static["data"] if t.get("showlegend"))


def test_pbt_exploits_are_marked_and_the_curve_breaks_at_them():
    dashboard = Dashboard(Results(pbt_log()), start=False)
    marks = [t for t in dashboard.curves.data if t.get("name") == "PBT exploit"]
    assert marks and len(marks[0]["x"]) >= 1 and marks[0]["showlegend"]
    _x, y = dashboard._pool.drawn()["a"]
    assert sum(v is None or (isinstance(v, float) and math.isnan(v)) for v in y) == 1


def test_best_k_hides_the_other_curves_and_all_shows_them_again():
    clock = Clock()
    log = started_log("abc")
    for t, value in zip("abc", (0.1, 0.3, 0.2), strict=True):
        log.append("result", trial_id=t, iteration=1, metrics={"acc": value})
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    dashboard._pool.show_best(dashboard._state, 1)
    visible = {
        name: dashboard.curves.data[dashboard._pool._traces[name][0]].get("visible", True)
        for name in "abc"
    }
    assert visible == {"a": False, "b": True, "c": False}
    dashboard._pool.show_best(dashboard._state, 0)
    assert all(
        dashboard.curves.data[dashboard._pool._traces[name][0]].get("visible", True)
        for name in "abc"
    )
