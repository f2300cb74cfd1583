"""Coarse to fine: refine() on hand-made results, one rule at a time, exact bounds."""

from __future__ import annotations

import math

import pytest

import tunebook as tb
from tunebook.errors import MetricNotReportedError, OptionError
from tunebook.events import EventLog
from tunebook.results import Results


def finished(space: dict, trials: list[tuple[dict, float]], mode: str = "max", **status) -> Results:
    """An experiment over ``space`` whose trials ended with these configs and values."""
    log = EventLog()
    log.append(
        "experiment_started",
        name="coarse",
        metric="acc",
        mode=mode,
        space=tb.Space(space).to_dict(),
    )
    for i, (config, value) in enumerate(trials):
        trial = f"t{i}"
        log.append("trial_started", trial_id=trial, config=config)
        log.append("result", trial_id=trial, iteration=1, metrics={"acc": value})
        log.append("trial_ended", trial_id=trial, status=status.get(trial, "terminated"))
    log.append("experiment_ended", status="completed")
    return Results(log)


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
