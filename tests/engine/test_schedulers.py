"""The recorded schedulers: ASHA's rung decisions, HyperBand's and BOHB's halvings and PBT's
exploits, as a real run on the session's Ray records them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tunebook as tb
from tests.objectives import counter

pytestmark = pytest.mark.usefixtures("ray_session")


def test_asha_prunes_and_the_log_says_so(storage):
    def curves(config):
        for step in range(1, 13):
            tb.report(acc=config["q"] * (1 - 1 / (step + 1)))

    exp = tb.run(
        curves,
        {"q": tb.grid([0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])},
        metric="acc",
        mode="max",
        scheduler="asha",
        max_t=12,
        grace_period=1,
        reduction_factor=2,
        search="grid",
        storage_path=storage,
        wait=True,
    )
    trials = exp.results.trials.set_index("config/q")
    assert trials.loc[0.8, "status"] == "terminated" and trials.loc[0.8, "iterations"] == 12
    pruned = trials[trials["status"] == "pruned"]
    assert len(pruned) >= 3
    assert (pruned["iterations"] < 12).all()
    # every rung decision is an event; the stopped trials are exactly those with a stop
    decisions = exp.results.decisions
    assert list(decisions.columns) == [
        "trial_id",
        "bracket",
        "rung",
        "value",
        "cutoff",
        "decision",
        "time",
    ]
    stopped = set(decisions.loc[decisions["decision"] == "stop", "trial_id"])
    assert stopped == set(
        exp.results.trials.loc[exp.results.trials["status"] == "pruned", "trial_id"]
    )
    for _, row in decisions[decisions["decision"] == "stop"].iterrows():
        assert row["value"] < row["cutoff"]  # ASHA stops what falls below the cut-off
        trial = exp.results.trials.set_index("trial_id").loc[row["trial_id"]]
        assert trial["iterations"] == row["rung"] == trial["stopped_at"]
    assert decisions["rung"].isin([1, 2, 4, 8]).all()  # grace 1, reduction factor 2


def test_asha_decisions_in_min_mode_are_in_the_metrics_own_sign(storage):
    def losses(config):
        for step in range(1, 9):
            tb.report(loss=config["q"] / step)

    exp = tb.run(
        losses,
        {"q": tb.grid([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])},
        metric="loss",
        mode="min",
        scheduler="asha",
        max_t=8,
        grace_period=1,
        reduction_factor=2,
        search="grid",
        storage_path=storage,
        wait=True,
    )
    decisions = exp.results.decisions
    stops = decisions[decisions["decision"] == "stop"]
    assert len(stops) >= 2
    assert (stops["value"] > stops["cutoff"]).all()  # a loss above the cut-off is cut
    assert (decisions["value"] > 0).all()  # losses as reported, not Ray's negated scores


@pytest.mark.parametrize("search", ["random", "bohb"])
def test_hyperband_and_bohb_halvings_are_recorded(storage, search):
    def climb(config):
        for step in range(1, 10):
            tb.report(acc=config["q"] * step)

    scheduler = "bohb" if search == "bohb" else "hyperband"
    exp = tb.run(
        climb,
        {"q": tb.uniform(0, 1)},
        metric="acc",
        mode="max",
        num_samples=9,
        scheduler=scheduler,
        search=search,
        max_t=9,
        reduction_factor=3,
        seed=4,
        storage_path=storage,
        wait=True,
    )
    trials, decisions = exp.results.trials, exp.results.decisions
    assert len(decisions) > 0
    stopped = set(decisions.loc[decisions["decision"] == "stop", "trial_id"])
    assert stopped == set(trials.loc[trials["status"] == "pruned", "trial_id"])
    for _, row in decisions.iterrows():  # kept trials are at or above the cut-off
        if row["decision"] == "continue":
            assert row["value"] >= row["cutoff"]
        else:
            assert row["value"] <= row["cutoff"]


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
