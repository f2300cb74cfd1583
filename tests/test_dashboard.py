"""The dashboard widget: its state, and the messages each refresh sends (no browser here)."""

from __future__ import annotations

import json

import ipywidgets
import pytest

from tunebook.dashboard import CHUNK, Dashboard, Throttle
from tunebook.events import EventLog
from tunebook.results import Results


class Messages:
    """Every comm message the widgets publish, as (what, bytes)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, dict]] = []  # (comm id, bytes, data)

    def clear(self) -> None:
        self.sent.clear()

    def plotly_updates(self, figure) -> list[dict]:
        """The plotly update messages of one figure."""
        return [
            d["state"]["_py2js_update"]
            for comm, _, d in self.sent
            if comm == figure.comm.comm_id and d.get("state", {}).get("_py2js_update")
        ]

    def widget_updates(self, key: str) -> list[dict]:
        return [d["state"] for _, _, d in self.sent if key in d.get("state", {})]


@pytest.fixture
def messages(monkeypatch) -> Messages:
    record = Messages()
    comm_class = type(ipywidgets.HTML().comm)
    original = comm_class.publish_msg

    def publish(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        record.sent.append((self.comm_id, len(json.dumps(data, default=str)), data or {}))
        return original(self, msg_type, data, metadata, buffers, **keys)

    monkeypatch.setattr(comm_class, "publish_msg", publish)
    return record


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def started_log(trials: str = "abc") -> EventLog:
    log = EventLog()
    log.append(
        "experiment_started", name="demo", metric="acc", mode="max", total_trials=len(trials)
    )
    for t in trials:
        log.append("trial_started", trial_id=t, config={"lr": 0.01 * (ord(t) - 96)})
    return log


def report(log: EventLog, trial: str, iteration: int) -> None:
    log.append(
        "result",
        trial_id=trial,
        iteration=iteration,
        metrics={"acc": iteration * (ord(trial) - 96) / 1000},
    )


def points(value) -> int:
    """Points in one trace's value of a restyle message: a binary array (its shape), a JSON
    list, or "_undefined_" (that trace's value left as it was)."""
    if value == "_undefined_":
        return 0
    return value["shape"][0] if isinstance(value, dict) else len(value)


def test_throttle_counter_gate_time_gate_and_flush():
    clock = Clock()
    gate = Throttle(interval=1.0, clock=clock)
    assert gate.due(new=1)
    assert not gate.due(new=5)  # too soon
    clock.now = 1.5
    assert not gate.due(new=0)  # nothing new
    assert gate.due(new=1)
    assert gate.due(new=0, flush=True)  # the final refresh always passes


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
    assert (
        messages.plotly_updates(dashboard.curves)
        and len(messages.plotly_updates(dashboard.curves)) == 1
    )
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
    assert "[completed]" in header and "1 done" in header and "1 errored" in header
    assert "best acc <b>0.004</b>" in header and "trial b" in header
    assert dashboard.stop_button.disabled  # nothing to stop
    assert "<td>b</td>" in dashboard.table.value
    assert dashboard.metric_choice.options == ("acc",)
    assert dashboard.trial_choice.options == ("a", "b", "c")
    dashboard.trial_choice.value = "b"
    detail = dashboard.trial_detail.value
    assert "ValueError: bad" in detail and "epoch done" in detail and "lr" in detail
    assert "node" not in detail  # nothing recorded, nothing shown
    assert list(dashboard.trial_curve.data[0].y) == [0.002, 0.004]


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


def test_switching_the_metric_redraws():
    clock = Clock()
    log = started_log("a")
    log.append("result", trial_id="a", iteration=1, metrics={"acc": 0.5, "loss": 2.0})
    dashboard = Dashboard(Results(log), clock=clock, start=False)
    dashboard.metric_choice.value = "loss"
    (trace,) = [t for t in dashboard.curves.data if t.name]
    assert list(trace.y) == [2.0]
    assert dashboard.curves.layout.yaxis.title.text == "loss"


def test_text_fallback_is_the_progress_line():
    log = started_log("a")
    report(log, "a", 1)
    bundle = Dashboard(Results(log), start=False)._repr_mimebundle_()
    assert bundle["text/plain"].startswith("[running] 1 running")
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_an_experiment_shows_its_progress_line_where_there_are_no_widgets():
    from tunebook.engine._experiment import Experiment

    log = started_log("a")
    report(log, "a", 1)
    bundle = Experiment._repr_mimebundle_(
        type("E", (), {"_repr_html_": lambda s: "<b>x</b>", "__repr__": lambda s: "line"})()
    )
    assert bundle == {"text/plain": "line", "text/html": "<b>x</b>"}


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


def test_trial_detail_shows_where_it_runs_what_it_holds_and_its_checkpoints():
    log = EventLog()
    log.append("experiment_started", name="demo", metric="acc", mode="max", total_trials=1)
    log.append("trial_started", trial_id="a", config={"lr": 0.1}, resources={"cpu": 1, "gpu": 0.5})
    log.append("result", trial_id="a", iteration=1, node="f00d" * 14, metrics={"acc": 0.5})
    log.append("checkpoint", trial_id="a", iteration=1, path="/somewhere/checkpoint_000000")
    dashboard = Dashboard(Results(log), clock=Clock(), start=False)
    dashboard.trial_choice.value = "a"
    detail = dashboard.trial_detail.value
    assert "cpu=1, gpu=0.5" in detail and "f00d" * 14 in detail
    assert "<th style='text-align:left'>checkpoints</th><td>1</td>" in detail
