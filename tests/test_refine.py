"""Coarse to fine: refine() on hand-made results, one rule at a time, exact bounds."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import tunebook as tb
from tests.logs import finished
from tunebook.errors import MetricNotReportedError, OptionError


def test_a_range_spans_the_top_values_widened_by_the_margin_and_clipped():
    # 10 trials, top=0.3 -> the 3 best: x in {0.4, 0.5, 0.6} -> span 0.2, margin 0.25 -> 0.05
    trials = [({"x": 0.1 * i}, -abs(0.1 * i - 0.5)) for i in range(10)]
    refined = finished({"x": tb.uniform(0, 1)}, trials).refine(top=0.3, margin=0.25)
    assert refined["x"].lower == pytest.approx(0.35) and refined["x"].upper == pytest.approx(0.65)
    # near the parent's bound: clipped to it
    near = [({"x": 0.1 * i}, 0.1 * i) for i in range(10)]  # best: 0.9, 0.8, 0.7
    edge = finished({"x": tb.uniform(0, 0.95)}, near).refine(top=0.3, margin=0.5)
    assert edge["x"].lower == pytest.approx(0.6) and edge["x"].upper == pytest.approx(0.95)


def test_log_domains_widen_in_log10_space():
    trials = [({"lr": 10.0**-k}, -abs(k - 3)) for k in range(1, 6)]  # best: 1e-3, then 1e-2, 1e-4
    refined = finished({"lr": tb.loguniform(1e-6, 1)}, trials).refine(top=0.6, margin=0.25)
    assert math.log10(refined["lr"].lower) == pytest.approx(-4.5)
    assert math.log10(refined["lr"].upper) == pytest.approx(-1.5)
    assert tb.Space({"lr": refined["lr"]}).to_dict()["lr"]["type"] == "loguniform"


def test_integers_stay_integers_with_an_exclusive_upper_bound():
    trials = [({"depth": d}, -abs(d - 5)) for d in range(2, 10)]  # best 5, then 4 and 6
    refined = finished({"depth": tb.randint(2, 10)}, trials).refine(top=3 / 8, margin=0.25)
    # 4..6, span 2, widened by 0.5 -> 3.5..6.5 -> lower 3, upper 7 inclusive -> randint(3, 8)
    assert (refined["depth"].lower, refined["depth"].upper) == (3, 8)
    top = finished({"depth": tb.randint(2, 10)}, [({"depth": d}, d) for d in range(2, 10)])
    assert top.refine(top=0.25, margin=1.0)["depth"].upper == 10  # clipped: at most 9


def test_categories_never_chosen_are_dropped_and_a_single_value_becomes_a_constant():
    trials = [
        ({"opt": "adam", "act": "relu", "bs": 32}, 0.9),
        ({"opt": "sgd", "act": "relu", "bs": 32}, 0.8),
        ({"opt": "rmsprop", "act": "tanh", "bs": 64}, 0.1),
        ({"opt": "rmsprop", "act": "gelu", "bs": 16}, 0.2),
    ]
    space = {
        "opt": tb.choice(["sgd", "adam", "rmsprop"]),
        "act": tb.choice(["relu", "tanh", "gelu"]),
        "bs": tb.choice([16, 32, 64]),
    }
    refined = finished(space, trials).refine(top=0.5, min_trials=4)
    assert refined["opt"].categories == ["sgd", "adam"]  # the parent's order
    assert refined["act"] == "relu" and refined["bs"] == 32  # all equal: constants
    kept = finished(space, trials).refine(top=0.5, min_trials=4, keep=["act"])
    assert kept["act"].categories == ["relu", "tanh", "gelu"]  # kept: its parent domain


def test_equal_numbers_become_a_constant_unless_kept_and_nested_names_work():
    trials = [({"x": 0.5, "opt": {"m": 0.9}}, 0.9 - i / 10) for i in range(5)]
    space = {"x": tb.uniform(0, 1), "opt": {"m": tb.uniform(0.5, 1.0)}}
    refined = finished(space, trials).refine(top=0.4)
    assert refined["x"] == 0.5 and refined["opt"]["m"] == 0.9
    kept = finished(space, trials).refine(top=0.4, keep=["opt/m"])
    assert (kept["opt"]["m"].lower, kept["opt"]["m"].upper) == (0.5, 1.0)


def test_min_mode_ranks_the_lowest_first_and_failed_trials_do_not_count():
    trials = [({"x": 0.1 * i}, 0.1 * i) for i in range(6)]
    results = finished({"x": tb.uniform(0, 1)}, trials, mode="min", t0="error")
    refined = results.refine(top=0.4, margin=0.0)  # 5 finished -> 2 best: 0.1, 0.2
    assert refined["x"].lower == pytest.approx(0.1) and refined["x"].upper == pytest.approx(0.2)


def test_too_few_trials_or_a_metric_never_reported_is_a_clear_error():
    trials = [({"x": 0.1 * i}, 0.1 * i) for i in range(3)]
    with pytest.raises(OptionError, match="at least 5 finished trials .* has 3"):
        finished({"x": tb.uniform(0, 1)}, trials).refine()
    with pytest.raises(MetricNotReportedError, match="no trial has reported `loss`"):
        finished({"x": tb.uniform(0, 1)}, trials).refine(metric="loss", mode="min")
    with pytest.raises(OptionError, match="top must be a share"):
        finished({"x": tb.uniform(0, 1)}, trials).refine(top=0)


def peak(config):
    """A known optimum at x = 0.3, y = 0.7 (max 0); z is ignored."""
    tb.report(f=-((config["x"] - 0.3) ** 2) - (config["y"] - 0.7) ** 2)


@pytest.mark.usefixtures("ray_session")
def test_two_stages_close_in_on_a_known_optimum_and_keep_their_chain(storage, tmp_path):
    space = {"x": tb.uniform(0, 1), "y": tb.uniform(0, 1), "z": tb.choice(["a", "b", "c"])}
    common = {"metric": "f", "mode": "max", "storage_path": storage, "wait": True}
    coarse = tb.run(peak, space, num_samples=20, seed=0, **common)
    refined = coarse.results.refine(top=0.25, margin=0.5)
    assert refined["x"].lower <= 0.3 <= refined["x"].upper
    assert refined["y"].lower <= 0.7 <= refined["y"].upper
    assert refined["x"].upper - refined["x"].lower < 1  # narrower than the coarse stage
    fine = tb.run(peak, refined, num_samples=10, seed=1, parent=coarse, warm_start=True, **common)
    coarse_best = coarse.results.best().metrics["f"]
    assert fine.results.best().metrics["f"] >= coarse_best
    assert fine.results.settings["warm_start"] == 4  # best_configs(): the top 20% of 20
    stages = fine.results.stages
    assert stages["name"].tolist() == [coarse.name, fine.name]
    assert pd.isna(stages["parent"].iloc[0]) and stages["parent"].iloc[1] == coarse.name
    assert stages["space"].iloc[0] == tb.Space(space) and stages["space"].iloc[1] == refined
    assert stages["best_value"].iloc[0] == coarse_best
    exported = fine.results.export_stages(tmp_path / "stages.json")
    loaded = tb.load_stages(exported)
    pd.testing.assert_frame_equal(loaded.drop(columns="space"), stages.drop(columns="space"))
    assert list(loaded["space"]) == list(stages["space"])


def test_warm_start_needs_a_parent_and_a_search_that_takes_points(storage):
    with pytest.raises(OptionError, match="warm_start=True starts from a parent"):
        tb.run(peak, {"x": tb.uniform(0, 1), "y": 0.5}, metric="f", mode="max", warm_start=True)
    with pytest.raises(OptionError, match="parent must be the previous stage"):
        tb.run(peak, {"x": tb.uniform(0, 1), "y": 0.5}, metric="f", mode="max", parent="coarse")
