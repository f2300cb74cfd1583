"""The dashboard widget: its state, its refreshes and its views (no browser here); two tests
follow a real run on the session's Ray."""

from __future__ import annotations

import re
import time

import pytest

import tunebook as tb
from tests.clock import Clock
from tests.logs import pbt_log, quiet_record, report, started_log
from tunebook.dashboard import Dashboard
from tunebook.events import SILENT_AFTER_S, EventLog
from tunebook.results import Results


def test_nothing_new_sends_nothing_and_the_throttle_holds(messages):
    clock = Clock()
    log = started_log()
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    messages.clear()
    clock.now += 10
    assert not dashboard.refresh()  # nothing new
    report(log, "a", 1)
    assert dashboard.refresh()
    report(log, "a", 2)
    assert not dashboard.refresh()  # within the interval
    assert len(messages.figure_updates(dashboard.curves)) == 1
    assert dashboard.refresh(flush=True)


def test_header_table_and_trial_detail():
    clock = Clock()
    log = started_log()
    for i in (1, 2):
        report(log, "a", i)
        report(log, "b", i)
    log.append("trial_output", trial_id="b", text="epoch done\n")
    log.append("trial_ended", trial_id="b", status="error", error="Traceback...\nValueError: bad")
    log.append("trial_ended", trial_id="a", status="terminated")
    log.append("experiment_ended", status="completed")
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    header = dashboard.header.value
    assert "[completed]" in header and "1 terminated" in header and "1 error" in header
    # b reported the best value, then failed: a config that crashed is no answer
    assert "best acc <b>0.002</b>" in header and "trial a" in header
    assert dashboard.stop_button.disabled  # nothing to stop
    assert dashboard.stop_button.description == "Done"
    assert dashboard.stop_button.button_style == ""  # a finished run is no alarm: not red
    dashboard.tabs.selected_index = dashboard.tabs.titles.index("Trials")
    assert "data-trial='b'" in dashboard.table.html or 'data-trial="b"' in dashboard.table.html
    assert dashboard.metric_choice.options == ("acc",)
    dashboard._open("b")  # what a click on b's row sends
    assert dashboard.table.chosen == "b"
    detail = dashboard.trial_detail.value
    assert "ValueError: bad" in detail and "epoch done" in detail and "lr" in detail
    assert "node" not in detail  # nothing recorded, nothing shown
    assert dashboard.trial_curve.data[0]["y"] == [0.002, 0.004]


def test_a_header_click_sorts_and_a_second_click_sorts_the_other_way():
    log = started_log()
    for t, value in zip("abc", (0.2, 0.3, 0.1), strict=True):
        log.append("result", trial_id=t, iteration=1, metrics={"acc": value})
    dashboard = Dashboard(Results(log), clock=Clock(), start=False)
    dashboard.tabs.selected_index = dashboard.tabs.titles.index("Trials")

    def order() -> list[str]:
        return re.findall(r"data-trial=['\"](\w+)", dashboard.table.html)

    assert order() == ["b", "a", "c"]  # sorted by best_acc, the best first (mode max)
    dashboard._on_sort("best_acc")
    assert order() == ["c", "a", "b"]  # the sorted column's header: the other way
    dashboard._on_sort("best_acc")
    assert order() == ["b", "a", "c"]
    dashboard._on_sort("trial_id")
    assert order() == ["a", "b", "c"]  # another column: its natural order


def test_switching_the_metric_redraws():
    clock = Clock()
    log = started_log("a")
    log.append("result", trial_id="a", iteration=1, metrics={"acc": 0.5, "loss": 2.0})
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    dashboard.metric_choice.value = "loss"
    assert dashboard._pool.drawn() == {"a": ([1], [2.0])}
    assert dashboard.curves.figure_layout["yaxis"]["title"]["text"] == "loss"


def test_text_fallback_is_the_progress_line():
    log = started_log("a")
    report(log, "a", 1)
    bundle = Dashboard(Results(log), start=False)._repr_mimebundle_()
    assert bundle["text/plain"].startswith("[running] 1 running")
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_a_failing_callback_shows_its_traceback_without_output_routing(messages, monkeypatch):
    def boom(self, change) -> None:
        raise ValueError("metric view broke")

    monkeypatch.setattr(Dashboard, "_on_metric", boom)
    log = started_log("a")
    log.append("result", trial_id="a", iteration=1, metrics={"acc": 0.5, "loss": 2.0})
    dashboard = Dashboard(Results(log), clock=Clock(), start=False)
    dashboard.metric_choice.value = "loss"
    (output, *_) = dashboard.errors.outputs
    assert output["name"] == "stderr" and "ValueError: metric view broke" in output["text"]
    # output routed by message id (``with output:``) races between the UI thread and the
    # kernel's; nbclient then fails on an unbalanced hook
    updates = [d["state"] for _, _, d in messages.sent if d.get("method") == "update"]
    assert not [state for state in updates if "msg_id" in state]


@pytest.mark.usefixtures("ray_session")
def test_a_refresh_that_fails_leaves_the_view_up_marked_failed_with_the_error(storage, monkeypatch):
    import time

    import tunebook as tb

    def slow(config):
        for step in range(1, 200):
            tb.report(v=step)
            time.sleep(0.05)

    exp = tb.run(slow, {"k": tb.grid([1])}, metric="v", mode="max", storage_path=storage)
    dashboard = Dashboard(exp, interval=0.1)
    try:

        def broken(self, state, changed):
            raise RuntimeError("a view broke")

        monkeypatch.setattr("tunebook.dashboard._curves.CurvePool.update", broken)
        deadline = time.monotonic() + 30
        while dashboard.failed is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert isinstance(dashboard.failed, RuntimeError)
        assert "The dashboard stopped updating" in dashboard.header.value
        assert "RuntimeError: a view broke" in dashboard.header.value
        (output, *_) = dashboard.errors.outputs
        assert "RuntimeError: a view broke" in output["text"]
        assert not exp.done  # the run goes on
    finally:
        exp.stop().wait(30)


def test_repr_and_text_read_the_live_state_without_folding_again(monkeypatch):
    from tunebook.results import ExperimentState

    log = started_log("ab")
    for i in range(1, 501):
        report(log, "a", i)
        report(log, "b", i)
    folded = []
    original = ExperimentState.add

    def counting(self, events):
        events = list(events)
        folded.append(len(events))
        return original(self, events)

    monkeypatch.setattr(ExperimentState, "add", counting)
    results = Results(log)
    dashboard = Dashboard(results, start=False)
    for _ in range(5):
        repr(results), results._repr_html_(), dashboard._repr_mimebundle_()
    assert sum(folded) == len(log)  # every event folded once, by whoever read first
    report(log, "a", 501)
    dashboard._repr_mimebundle_()
    assert sum(folded) == len(log) and folded[-1] == 1  # then only what is new


def test_the_dashboard_draws_the_lineage_when_its_tab_is_shown():
    dashboard = Dashboard(Results(pbt_log()), start=False)
    assert "Rungs" not in dashboard.tabs.titles  # PBT makes no rung decisions
    lineage = dashboard.views["Lineage"]
    assert not lineage.data  # drawn when shown, not before
    dashboard.tabs.selected_index = dashboard.tabs.titles.index("Lineage")
    assert len(lineage.data) == 10
    assert "best final member: b" in lineage.figure_layout["title"]["text"]


def test_tabs_appear_when_they_apply():
    running = Dashboard(Results(started_log()), start=False)
    assert running.tabs.titles == ("Learning curves", "History", "Parallel coordinates", "Trials")
    assert "Importance" in Dashboard(Results(pbt_log()), start=False).tabs.titles  # ended


def slow(config):
    for step in range(1, 300):
        tb.report(v=step)
        time.sleep(0.05)


@pytest.mark.usefixtures("ray_session")
def test_live_dashboard_follows_a_run_and_its_stop_button_stops_it(storage):
    exp = tb.run(
        slow, {"k": tb.grid([1, 2])}, metric="v", mode="max", search="grid", storage_path=storage
    )
    dashboard = tb.Dashboard(exp, interval=0.2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        points = sum(len(x) for x, _ in dashboard._pool.drawn().values())
        if points >= 10:
            break
        time.sleep(0.2)
    assert points >= 10  # the background refresh drew the reports as they came
    dashboard.stop_button.click()
    assert exp.wait(timeout=30) and exp.status == "stopped"
    deadline = time.monotonic() + 10
    while "[stopped]" not in dashboard.header.value and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "[stopped]" in dashboard.header.value  # the final refresh ran
    assert dashboard.stop_button.disabled


def test_a_new_metric_name_when_the_experiments_is_not_first_does_not_hang_the_refresh():
    import threading

    log = EventLog()
    log.append("experiment_started", name="e", metric="acc", mode="max")
    log.append("trial_started", trial_id="a", config={})
    log.append("result", trial_id="a", iteration=1, metrics={"loss": 1.0, "acc": 0.5})
    clock = Clock()
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    assert dashboard.metric_choice.value == "acc"
    log.append("result", trial_id="a", iteration=2, metrics={"loss": 0.5, "acc": 0.6, "f1": 0.1})
    clock.now += 1
    refresh = threading.Thread(target=dashboard.refresh, daemon=True)
    refresh.start()
    refresh.join(timeout=10)
    assert not refresh.is_alive(), "the refresh hung on its own metric menu"
    assert dashboard.metric_choice.options == ("loss", "acc", "f1")
    assert dashboard.metric_choice.value == "acc"  # the experiment's metric stays drawn
    assert Results(log).best().trial_id == "a"  # and the state is free again


def test_the_importance_tab_draws_what_mattered_when_opened():
    dashboard = Dashboard(Results(pbt_log()), start=False)
    importance = dashboard.views["Importance"]
    assert not importance.data  # fANOVA runs when the tab is opened, not before
    dashboard.tabs.selected_index = dashboard.tabs.titles.index("Importance")
    assert importance.data and importance.figure_layout["title"]["text"] == "what mattered"


def test_the_first_result_is_drawn_at_once_and_the_throttle_holds_after(messages):
    clock = Clock()
    log = started_log()
    dashboard = Dashboard(Results(log), clock=clock, start=False)  # refreshed: nothing yet
    messages.clear()
    report(log, "a", 1)
    assert dashboard.refresh()  # no interval waited for: the first point of the run
    report(log, "a", 2)
    assert not dashboard.refresh()  # then one refresh per interval again
    assert len(messages.figure_updates(dashboard.curves)) == 1


def test_plotly_reaches_the_page_with_a_view_made_for_it_once():
    from tunebook.dashboard import _plot_view

    _plot_view._PRELOAD.clear()
    _plot_view.preload_plotly()
    _plot_view.preload_plotly()
    assert len(_plot_view._PRELOAD) == 1
    view = _plot_view._PRELOAD[0]
    state = view.get_state()  # what the page gets with the view
    assert state["plotly_source"] == _plot_view.plotly_js() and len(state["plotly_source"]) > 1e6
    # the page says it has evaluated it: a saved widget state keeps no copy
    view._handle_msg(
        {
            "content": {"data": {"method": "custom", "content": {"kind": "plotly_loaded"}}},
            "buffers": [],
        }
    )
    assert view.get_state()["plotly_source"] == ""
    assert Dashboard(started_log(), start=False).curves.get_state()["plotly_source"] == ""


def test_the_dashboard_of_a_crashed_record_says_so(tmp_path):
    quiet_record(tmp_path, silent_for=SILENT_AFTER_S + 5)
    dashboard = Dashboard(tb.load(tmp_path))
    header = re.sub("<[^>]+>", "", dashboard.header.value)
    crashed = f"{tmp_path.name} [crashed] · 0 running · 1 terminated · 1 interrupted"
    assert header.startswith(crashed)
    assert dashboard.stop_button.description == "Crashed" and dashboard.stop_button.disabled
