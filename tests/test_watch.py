"""tb.watch on plain Ray Tune code, the live dashboard on a real run, and trial output."""

from __future__ import annotations

import time
import warnings

import pytest
from ray import tune
from ray.tune.schedulers import ASHAScheduler

import tunebook as tb
from tunebook.cli import main

pytestmark = pytest.mark.usefixtures("ray_session")


def objective(config):  # as in Ray's docs: tune.report with a dict
    for step in range(1, 21):
        tune.report({"score": config["lr"] * step})


def test_watch_runs_a_plain_tuner_and_returns_results(storage):
    tuner = tune.Tuner(
        objective,
        param_space={"lr": tune.loguniform(1e-4, 1e-1), "batch_size": tune.choice([16, 32])},
        tune_config=tune.TuneConfig(
            metric="score", mode="max", num_samples=6, scheduler=ASHAScheduler(grace_period=5)
        ),
        run_config=tune.RunConfig(stop={"training_iteration": 10}),
    )
    results = tb.watch(tuner, storage_path=storage)
    trials = results.trials
    assert len(trials) == 6
    assert set(trials["status"]) <= {"terminated", "pruned"}
    assert trials.loc[trials["status"] == "terminated", "iterations"].eq(10).all()  # stop={...}
    best = results.get_best_result("score", "max")
    assert best.metrics["score"] == trials["last_score"].max()
    assert set(results.get_dataframe()["config/batch_size"]) <= {16, 32}
    assert tb.load(results.path).settings["watched"] is True


def test_watch_keeps_the_tuners_own_callbacks(storage):
    seen = []

    class Counter(tune.Callback):
        def on_trial_result(self, iteration, trials, trial, result, **info):
            seen.append(result["score"])

    tuner = tune.Tuner(
        objective,
        param_space={"lr": 0.5},
        tune_config=tune.TuneConfig(metric="score", mode="max"),
        run_config=tune.RunConfig(callbacks=[Counter()]),
    )
    results = tb.watch(tuner, storage_path=storage)
    assert len(seen) == 20 and len(results.history) == 20


def chatty(config):
    print("starting with", config["x"])
    warnings.warn("this model is a toy", stacklevel=1)
    for step in range(1, 4):
        print("epoch", step)
        tb.report(acc=step * config["x"])


def test_prints_and_warnings_of_a_trial_go_to_its_record(storage):
    exp = tb.run(
        chatty,
        {"x": tb.grid([1, 2])},
        metric="acc",
        mode="max",
        search="grid",
        storage_path=storage,
        wait=True,
    )
    outputs = {}
    for event in tb.load(exp.path).events:
        if event["event"] == "trial_output":
            outputs[event["trial_id"]] = outputs.get(event["trial_id"], "") + event["text"]
    assert len(outputs) == 2
    for text in outputs.values():
        assert "starting with" in text and "epoch 3" in text
    # Python shows a warning once per process: a reused worker shows it for its first trial
    assert any("UserWarning: this model is a toy" in text for text in outputs.values())


def slow(config):
    for step in range(1, 300):
        tb.report(v=step)
        time.sleep(0.05)


def test_live_dashboard_follows_a_run_and_its_stop_button_stops_it(storage):
    exp = tb.run(
        slow, {"k": tb.grid([1, 2])}, metric="v", mode="max", search="grid", storage_path=storage
    )
    dashboard = tb.Dashboard(exp, interval=0.2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        points = sum(len(t.x) for t in dashboard.curves.data if t.x is not None)
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


def test_report_command_writes_a_static_page(storage, tmp_path, capsys):
    exp = tb.run(
        chatty,
        {"x": tb.grid([1, 2])},
        metric="acc",
        mode="max",
        search="grid",
        storage_path=storage,
        wait=True,
    )
    out = tmp_path / "report.html"
    assert main(["report", str(exp.path), "-o", str(out)]) == 0
    page = out.read_text()
    assert "Best trial" in page and exp.name in page
    assert "Wrote" in capsys.readouterr().out
    again = exp.results.to_html(tmp_path / "again.html").read_text()
    assert again.count("<table") == page.count("<table") and exp.name in again
