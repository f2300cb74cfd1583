"""The options model: every option declared once; tb.run's keywords, its signature and docs,
%%tune's flags and the README's table all come from it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import tunebook as tb
from tests.objectives import counter
from tunebook.engine import OPTIONS
from tunebook.engine._options import RUN_OPTIONS, knob_defaults, markdown_table
from tunebook.errors import OptionError

ROOT = Path(__file__).resolve().parents[2]


def objective(config):
    tb.report(loss=config["x"])


@pytest.mark.parametrize(
    ("given", "meant"),
    [("grace", "grace_period"), ("samples", "num_samples"), ("time_budget", "time_budget_s")],
)
def test_an_unknown_keyword_says_which_option_was_meant(given, meant):
    with pytest.raises(
        OptionError, match=f"tb.run has no option '{given}'. Did you mean '{meant}'"
    ):
        tb.run(objective, {"x": tb.uniform(0, 1)}, metric="loss", mode="min", **{given: 2})


def test_metric_and_mode_are_required_and_say_what_they_are():
    with pytest.raises(OptionError, match="metric is required: the metric to optimise"):
        tb.run(objective, {"x": tb.uniform(0, 1)}, mode="min")
    with pytest.raises(OptionError, match="mode is required: max or min"):
        tb.run(objective, {"x": tb.uniform(0, 1)}, metric="loss")


def test_the_signature_and_the_docstring_come_from_the_model():
    parameters = inspect.signature(tb.run).parameters
    assert list(parameters)[:2] == ["objective", "space"]
    assert list(parameters)[2:] == [option.name for option in RUN_OPTIONS]
    assert parameters["scheduler"].default == "fifo"
    assert parameters["metric"].default is inspect.Parameter.empty
    for option in RUN_OPTIONS:
        assert f"        {option.name}: {option.help}" in tb.run.__doc__


def test_flags_are_unique_and_the_keyword_with_dashes_comes_first():
    flags = [flag for option in OPTIONS for flag in (option.flag, *option.flags)]
    assert len(flags) == len(set(flags))
    assert {o.flag for o in OPTIONS} >= {"--num-samples", "--grace-period", "--time-budget-s"}
    aliases = {flag for option in OPTIONS for flag in option.flags}
    assert {"-n", "--samples", "-c", "--concurrency", "--grace", "--interval"} <= aliases


def test_each_schedulers_knob_defaults():
    defaults = knob_defaults()
    assert defaults["asha"] == {
        "max_t": 100,
        "grace_period": 1,
        "reduction_factor": 4,
        "brackets": 1,
    }
    assert defaults["hyperband"] == {"max_t": 81, "reduction_factor": 3}
    assert defaults["pbt"]["perturbation_interval"] == 5 and "hyperparam_bounds" in defaults["pb2"]


def test_the_readme_holds_the_options_table_the_model_makes():
    readme = (ROOT / "README.md").read_text()
    table = re.search(r"<!-- options -->\n(.*?)\n<!-- /options -->", readme, flags=re.S)
    assert table, "the README's options table sits between <!-- options --> markers"
    assert table.group(1).strip() == markdown_table()


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


def test_none_given_is_the_default_and_every_value_is_checked_once():
    from tunebook.engine._options import checked

    values = checked({"metric": "acc", "mode": "max", "max_failures": None, "scheduler": None})
    assert values["max_failures"] == 0 and values["scheduler"] == "fifo"
    assert values["num_samples"] is None  # its default depends on the space (tb.run says)
    with pytest.raises(OptionError, match="time_budget_s must be a positive number, got 0"):
        checked({"metric": "acc", "mode": "max", "time_budget_s": 0})
