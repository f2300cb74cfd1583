"""The dashboard's learning curves: the chunked messages each refresh sends, and their styles."""

from __future__ import annotations

from tests.clock import Clock
from tests.logs import report, started_log
from tunebook.dashboard import CHUNK, Dashboard
from tunebook.results import Results


def points(value) -> int:
    """Points in one trace's value of a restyle message: a binary array (its shape), a JSON
    list, or "_undefined_" (that trace's value left as it was)."""
    if value == "_undefined_":
        return 0
    return value["shape"][0] if isinstance(value, dict) else len(value)


def test_each_refresh_sends_one_plotly_update_with_only_the_new_points(messages):
    clock = Clock()
    log = started_log()
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    for i in range(1, 4):
        for t in "abc":
            report(log, t, i)
    clock.now += 1
    messages.clear()
    assert dashboard.refresh()
    first = messages.plotly_updates(dashboard.curves)
    assert len(first) == 1  # one plotly message for the whole refresh
    assert [points(x) for x in first[0]["style_data"]["x"]] == [3, 3, 3]
    assert [points(y) for y in first[0]["style_data"]["y"]] == [3, 3, 3]
    assert len(messages.widget_updates("value")) >= 1  # the header

    # later refreshes: each trial's new point goes with at most one chunk of its curve
    for i in range(4, 4 + 3 * CHUNK):
        for t in "ab":
            report(log, t, i)
        clock.now += 1
        messages.clear()
        assert dashboard.refresh()
        (update,) = messages.plotly_updates(dashboard.curves)
        sent = sum(points(x) for x in update["style_data"]["x"])
        assert sent <= 2 * (CHUNK + 1)  # never the whole curve
    curve_a = [t for t in dashboard.curves.data if t.name == "a"]
    assert sum(len(t.x) for t in curve_a) == 3 + 3 * CHUNK + len(curve_a) - 1  # joined chunks


def test_best_trial_is_drawn_thick_and_status_colours_follow():
    clock = Clock()
    log = started_log("ab")
    report(log, "a", 1)
    report(log, "b", 1)
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    widths = {t.name: t.line.width for t in dashboard.curves.data if t.name}
    assert widths == {"a": 1.2, "b": 3}
    log.append("trial_ended", trial_id="a", status="pruned")
    clock.now += 1
    dashboard.refresh()
    colours = {t.name: t.line.color for t in dashboard.curves.data if t.name}
    assert colours["a"] == "#c7c7c7"
