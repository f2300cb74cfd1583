"""What is run: the trial function checked before the run, and shipped by value when Ray's
workers could not import its module by name (no Ray started here)."""

from __future__ import annotations

import importlib
import json
import sys

import pytest
import ray.cloudpickle
from ray import tune

from tunebook.engine._objective import check_objective, ship_by_value
from tunebook.errors import OptionError


def test_the_trial_function_takes_the_config_and_the_shared_names_by_keyword():
    def objective(config):
        pass

    def with_data(config, data, *, labels=None):
        pass

    def two(a, b):
        pass

    class Model(tune.Trainable):
        pass

    assert check_objective(objective, {}) == "objective"
    assert check_objective(with_data, {"data": [1]}) == "with_data"
    assert check_objective(Model, {}) == "Model"
    with pytest.raises(OptionError, match=r"objective two\(a, b\) must take exactly one"):
        check_objective(two, {})
    with pytest.raises(OptionError, match="must take exactly one argument, the config dict"):
        check_objective(lambda: None, {})
    with pytest.raises(OptionError, match="passes data by keyword, but objective objective"):
        check_objective(objective, {"data": [1]})
    with pytest.raises(OptionError, match="objective must be a function"):
        check_objective(3, {})


@pytest.fixture
def module_in(tmp_path, monkeypatch):
    """Import a module of one trial function from ``tmp_path`` put on sys.path."""
    (tmp_path / "shipped_objective.py").write_text("def objective(config):\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("shipped_objective")
    yield module
    if "shipped_objective" in ray.cloudpickle.list_registry_pickle_by_value():
        ray.cloudpickle.unregister_pickle_by_value(module)
    del sys.modules["shipped_objective"]


def test_a_module_found_through_a_folder_added_at_run_time_is_shipped_by_value(module_in):
    ship_by_value(module_in.objective)
    assert "shipped_objective" in ray.cloudpickle.list_registry_pickle_by_value()


def test_what_workers_can_import_by_name_is_not(module_in, tmp_path, monkeypatch):
    ship_by_value(json.dumps)  # the standard library
    monkeypatch.chdir(tmp_path)  # the current folder: the workers find it too
    ship_by_value(module_in.objective)
    registered = ray.cloudpickle.list_registry_pickle_by_value()
    assert "json" not in registered and "shipped_objective" not in registered
