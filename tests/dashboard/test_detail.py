"""The dashboard's trial detail."""

from __future__ import annotations

from tests.clock import Clock
from tunebook.dashboard import Dashboard
from tunebook.events import EventLog
from tunebook.results import Results


def test_trial_detail_shows_where_it_runs_what_it_holds_and_its_checkpoints(tmp_path):
    kept = tmp_path / "checkpoint_000000"
    kept.mkdir()
    log = EventLog()
    log.append("experiment_started", name="demo", metric="acc", mode="max", total_trials=1)
    log.append("trial_started", trial_id="a", config={"lr": 0.1}, resources={"cpu": 1, "gpu": 0.5})
    log.append("result", trial_id="a", iteration=1, node="f00d" * 14, metrics={"acc": 0.5})
    log.append("checkpoint", trial_id="a", iteration=1, path=str(kept))
    log.append("checkpoint", trial_id="a", iteration=1, path=str(tmp_path / "deleted_by_ray"))
    dashboard = Dashboard(Results(log), clock=Clock(), start=False)
    dashboard._open("a")
    detail = dashboard.trial_detail.value
    assert "cpu=1, gpu=0.5" in detail
    assert "f00d" not in detail  # one node: where it ran says nothing
    assert ">checkpoints</th><td>1</td>" in detail
    assert "lr=0.1" in detail and "acc=0.5" in detail  # config and last report, readable
