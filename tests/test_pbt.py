"""Population Based Training: state across exploits, lineage as data and as a picture."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import tunebook as tb
from tunebook.errors import OptionError, TunebookError
from tunebook.events import EventLog
from tunebook.figures import Edge, RunState, lineage_figure, lineage_info
from tunebook.results import Results


def counter(config):
    """A member whose state is a counter: after an exploit it must go on from the donor's."""
    state = tb.restore() or {"count": 0}
    while state["count"] < 12:
        state["count"] += 1
        tb.report(score=state["count"] * (1 - config["h"]), count=state["count"], state=state)


@pytest.mark.usefixtures("ray_session")
def test_a_recipient_goes_on_from_its_donors_state_and_the_lineage_is_rays(storage):
    exp = tb.run(
        counter,
        {"h": tb.uniform(0, 1), "kind": tb.choice(["a", "b", "c"])},
        metric="score",
        mode="max",
        num_samples=4,
        scheduler="pbt",
        perturbation_interval=3,
        storage_path=storage,
        seed=0,
        wait=True,
    )
    assert exp.status == "completed"
    results = exp.results
    lineage = results.lineage
    assert len(lineage) >= 1 and lineage["trained"].any()
    history = results.history
    # the state travels with the model: every report's count is its iteration, also after
    # an exploit sent a member back to (or ahead to) the donor's checkpoint
    assert (history["count"] == history["iteration"]).all()
    for _, row in lineage[lineage["trained"]].iterrows():
        after = history[history["trial_id"] == row["recipient"]]
        assert (after["iteration"] == row["donor_step"] + 1).any()
        assert row["new_config"]["h"] >= 0 and row["new_config"]["h"] <= 1  # clipped
        assert row["new_config"]["kind"] in ("a", "b", "c")
    # every exploit matches Ray's own log line for it (pbt_global.txt, log_config=True):
    # [recipient tag, donor tag, recipient iteration (one report behind), donor checkpoint
    # iteration, donor config, new config]
    policy = Path(storage, ".ray", exp.name, "pbt_global.txt").read_text().splitlines()
    rows = [json.loads(line) for line in policy]
    assert len(rows) == len(lineage)
    number = {t: int(t.rsplit("_", 1)[1]) for t in results.trials["trial_id"]}
    for ray_row, (_, ours) in zip(rows, lineage.iterrows(), strict=True):
        recipient_tag, donor_tag, recipient_iter, donor_iter, donor_config, new_config = ray_row
        assert int(recipient_tag.split("_")[0]) == number[ours["recipient"]]
        assert int(donor_tag.split("_")[0]) == number[ours["donor"]]
        assert recipient_iter == ours["step"] - 1 and donor_iter == ours["donor_step"]
        assert new_config == ours["new_config"] and donor_config == ours["donor_config"]
    # a member's config is the one its last segment trained with
    last = lineage[lineage["trained"]].iloc[-1]
    trials = results.trials.set_index("trial_id")
    assert trials.loc[last["recipient"], "config/h"] == pytest.approx(last["new_config"]["h"])
    schedule = results.schedule(last["recipient"])
    assert schedule["end"].iloc[-1] == 12 and schedule["start"].iloc[0] == 0
    assert (schedule["start"].iloc[1:].to_numpy() == schedule["end"].iloc[:-1].to_numpy()).all()


@pytest.mark.usefixtures("ray_session")
def test_pb2_runs_to_the_end_within_its_bounds(storage):
    exp = tb.run(
        counter,
        {"h": tb.uniform(0.1, 0.9)},
        metric="score",
        mode="max",
        num_samples=4,
        scheduler="pb2",
        perturbation_interval=4,
        synch=True,
        storage_path=storage,
        seed=1,
        wait=True,
    )
    assert exp.status == "completed" and len(exp.results.trials) == 4
    assert set(exp.results.trials["status"]) == {"terminated"}
    for config in exp.results.lineage["new_config"]:
        assert 0.1 <= config["h"] <= 0.9


def test_pbt_options_are_checked_before_the_run(storage):
    space = {"h": tb.uniform(0, 1)}
    common = {"metric": "score", "mode": "max", "storage_path": storage}
    with pytest.raises(OptionError, match="takes no search algorithm"):
        tb.run(counter, space, scheduler="pbt", search="tpe", **common)
    with pytest.raises(OptionError, match="quantile_fraction must be at most 0.5"):
        tb.run(counter, space, scheduler="pbt", quantile_fraction=0.7, **common)
    with pytest.raises(OptionError, match="scheduler 'asha' takes no perturbation_interval"):
        tb.run(counter, space, scheduler="asha", perturbation_interval=3, **common)
    with pytest.raises(OptionError, match="has nothing to explore"):
        tb.run(counter, {"h": 0.5}, scheduler="pbt", **common)
    with pytest.raises(OptionError, match="explores numeric ranges"):
        tb.run(counter, {"k": tb.choice([1, 2])}, scheduler="pb2", **common)
    with pytest.raises(OptionError, match="synch must be True or False"):
        tb.run(counter, space, scheduler="pbt", synch="yes", **common)
    with pytest.raises(OptionError, match="scheduler 'asha' takes no synch"):
        tb.run(counter, space, scheduler="asha", synch=True, **common)
    with pytest.raises(OptionError, match="keep_checkpoints must be an integer >= 1"):
        tb.run(counter, space, scheduler="pbt", keep_checkpoints=0, **common)


def test_restore_outside_a_trial_says_where_it_works():
    with pytest.raises(TunebookError, match="restore\\(\\) was called outside a trial"):
        tb.restore()


def test_default_mutations_follow_the_space():
    from ray.tune.search.sample import Float, Integer

    from tunebook.engine._pbt import Clip, bounds, mutations

    ray_space = tb.Space(
        {
            "lr": tb.loguniform(1e-4, 1e-1),
            "depth": tb.randint(2, 10),
            "kind": tb.choice(["a", "b"]),
            "grid": tb.grid([1, 2]),
            "fixed": 3,
            "opt": {"m": tb.uniform(0, 1)},
        }
    ).to_ray()
    found = mutations(ray_space)
    assert set(found) == {"lr", "depth", "kind", "grid", "opt"}
    assert isinstance(found["lr"], Float) and isinstance(found["depth"], Integer)
    assert found["kind"] == ["a", "b"] and found["grid"] == [1, 2]
    assert isinstance(found["opt"]["m"], Float)
    assert bounds(ray_space) == {"lr": [1e-4, 1e-1], "depth": [2.0, 9.0], "opt": {"m": [0.0, 1.0]}}
    clipped = Clip(ray_space)({"lr": 0.5, "depth": 11, "kind": "a", "opt": {"m": -0.2}})
    assert clipped == {"lr": 0.1, "depth": 9, "kind": "a", "opt": {"m": 0.0}}


def pbt_log() -> EventLog:
    """Two members: a clones b at 4, b clones a at 6, a clones b at its last step (never
    trained). Ray logs an exploit before the report that caused it; a restart follows."""
    log = EventLog()
    log.append("experiment_started", name="pbt", metric="acc", mode="max", scheduler="pbt")

    def results(trial, iterations, bonus=0.0):
        for i in iterations:
            log.append("result", trial_id=trial, iteration=i, metrics={"acc": i / 10 + bonus})

    def exploit(recipient, donor, step, donor_config, new_config):
        log.append(
            "exploit",
            recipient=recipient,
            donor=donor,
            step=step,
            donor_step=step,
            recipient_score=0.0,
            donor_score=1.0,
            old_config={},
            donor_config=donor_config,
            new_config=new_config,
            operations={"h": "* 1.2"},
        )

    log.append("trial_started", trial_id="a", config={"h": 1})
    log.append("trial_started", trial_id="b", config={"h": 2})
    results("a", [1, 2, 3])
    results("b", [1, 2, 3, 4], 0.01)
    exploit("a", "b", 4, {"h": 2}, {"h": 2.4})
    results("a", [4])
    log.append("trial_started", trial_id="a", config={"h": 2.4})
    results("a", [5, 6])
    results("b", [5], 0.01)
    exploit("b", "a", 6, {"h": 2.4}, {"h": 2.88})
    results("b", [6], 0.01)
    log.append("trial_started", trial_id="b", config={"h": 2.88})
    results("b", [7, 8], 0.01)
    results("a", [7])
    exploit("a", "b", 8, {"h": 2.88}, {"h": 3.456})
    results("a", [8])
    log.append("trial_ended", trial_id="a", status="terminated")
    log.append("trial_ended", trial_id="b", status="terminated")
    log.append("experiment_ended", status="completed")
    return log


def test_schedule_walks_back_through_the_donors():
    results = Results(pbt_log())
    assert results.lineage["trained"].tolist() == [True, True, False]
    assert results.lineage["recipient"].tolist() == ["a", "b", "a"]
    expected_b = pd.DataFrame(
        {
            "start": [0, 4, 6],
            "end": [4, 6, 8],
            "trained_by": ["b", "a", "b"],
            "config/h": [2.0, 2.4, 2.88],
        }
    )
    pd.testing.assert_frame_equal(results.schedule("b"), expected_b, check_dtype=False)
    expected_a = pd.DataFrame(
        {"start": [0, 4], "end": [4, 8], "trained_by": ["b", "a"], "config/h": [2.0, 2.4]}
    )
    pd.testing.assert_frame_equal(results.schedule("a"), expected_a, check_dtype=False)
    # the last exploit of a never trained: a's config stays the one it ran with
    assert results.trials.set_index("trial_id")["config/h"].to_dict() == {"a": 2.4, "b": 2.88}
    with pytest.raises(OptionError, match="no trial 'c'"):
        results.schedule("c")


def test_curves_break_at_an_exploit_and_the_lineage_view_data():
    state = RunState()
    state.add(pbt_log().events())
    x, y = state.trials["a"].series("acc")
    assert x == [1, 2, 3, 4, 5, 5, 6, 7, 8]
    assert math.isnan(y[4]) and [v for v in y if not math.isnan(v)] == pytest.approx(
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    )
    info = lineage_info(state)
    assert info.members == ("a", "b") and info.best == "b" and info.parameters == ("h",)
    assert [(s.member, s.level, s.x, s.config, s.on_path) for s in info.stretches] == [
        ("a", 0.0, (1, 2, 3, 4), (("h", 1),), False),
        ("a", 0.6, (5, 6, 7, 8), (("h", 2.4),), True),
        ("b", 1.0, (1, 2, 3, 4, 5, 6), (("h", 2),), True),
        ("b", 1.6, (7, 8), (("h", 2.88),), True),
    ]
    assert info.edges == (
        Edge("b", "a", 4, 4, 1.0, 0.6, "h 2 → 2.4 (* 1.2)"),
        Edge("a", "b", 6, 6, 0.6, 1.6, "h 2.4 → 2.88 (* 1.2)"),
    )
    figure = lineage_figure(info)
    assert len(figure.data) == 4 + 2 + 4  # segments, edges and their heads, h per segment
    assert "best final member: b" in figure.layout.title.text


def test_the_lineage_exports_with_its_configs_as_json(tmp_path):
    results = Results(pbt_log())
    frame = pd.read_csv(results.to_csv(tmp_path / "lineage.csv", table="lineage"))
    assert frame[["recipient", "donor", "step"]].values.tolist() == (
        results.lineage[["recipient", "donor", "step"]].values.tolist()
    )
    assert [json.loads(c) for c in frame["new_config"]] == results.lineage["new_config"].tolist()
    assert frame["trained"].tolist() == results.lineage["trained"].tolist()
    parquet = pd.read_parquet(results.to_parquet(tmp_path / "lineage.parquet", table="lineage"))
    assert [json.loads(c) for c in parquet["operations"]] == [{"h": "* 1.2"}] * len(parquet)
    records = json.loads(results.to_json(tmp_path / "lineage.json", table="lineage").read_text())
    assert [r["donor_config"] for r in records] == results.lineage["donor_config"].tolist()


def test_the_dashboard_draws_the_lineage_when_its_tab_is_shown():
    from tunebook.dashboard import Dashboard

    dashboard = Dashboard(Results(pbt_log()), start=False)  # finished: every view drawn
    assert dashboard.tabs.titles[4] == "Lineage"
    assert len(dashboard.lineage.data) == 10
    assert "best final member: b" in dashboard.lineage.layout.title.text
    # the learning curve of a breaks at the exploit: a NaN between its two segments
    ys = [y for t in dashboard.curves.data if t.name == "a" for y in t.y]
    assert sum(math.isnan(y) for y in ys) == 1


@pytest.mark.usefixtures("ray_session")
def test_keep_checkpoints_keeps_the_last_n_and_a_retry_restores_its_own_state(storage):
    def flaky(config):
        state = tb.restore() or {"step": 0}
        fresh = state["step"] == 0
        while state["step"] < 5:
            if fresh and state["step"] == 3:
                raise RuntimeError("a crash after step 3")
            state["step"] += 1
            tb.report(step=state["step"], state=dict(state))

    exp = tb.run(
        flaky,
        {"x": tb.uniform(0, 1)},
        metric="step",
        mode="max",
        keep_checkpoints=2,
        max_failures=1,
        storage_path=storage,
        wait=True,
    )
    assert exp.status == "completed"
    history = exp.results.history
    assert history["step"].tolist() == [1, 2, 3, 4, 5]  # after the retry: 4 and 5, not 1 again
    checkpoints = sorted(Path(storage, ".ray", exp.name).glob("*/checkpoint_*"))
    assert len(checkpoints) == 2
