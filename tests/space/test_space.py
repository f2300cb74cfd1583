"""Space: Ray domains, nested dicts, grids and constants; its repr, HTML, JSON and Optuna forms."""

from __future__ import annotations

import json

import optuna.distributions as od
import pytest
from ray import tune

import tunebook as tb
from tunebook.errors import SpaceTypeError, SpaceValueError


def test_space_accepts_ray_domains_nested_dicts_grids_and_constants():
    space = tb.Space(
        {
            "lr": tune.loguniform(1e-4, 1e-1),
            "depth": tb.randint(2, 10),
            "model": {"width": tune.choice([16, 32]), "act": "relu"},
            "seed": tb.grid([0, 1]),
        }
    )
    assert list(space) == ["lr", "depth", "model", "seed"]
    assert repr(space) == (
        "Space(lr=loguniform(0.0001, 0.1), depth=randint(2, 10), "
        "model=Space(width=choice([16, 32]), act='relu'), seed=grid([0, 1]))"
    )
    assert list(space.flat()) == ["lr", "depth", "model/width", "model/act", "seed"]
    ray_space = space.to_ray()
    assert ray_space["model"]["act"] == "relu" and ray_space["seed"] == {"grid_search": [0, 1]}


def test_space_validates_ray_domains_too():
    with pytest.raises(SpaceValueError, match=r"parameter 'x': uniform\(2, 1\)"):
        tb.Space({"x": tune.uniform(2, 1)})
    with pytest.raises(SpaceValueError, match="parameter 'n'"):
        tb.Space({"outer": {"n": tune.randint(3, 3)}})


def test_space_html_is_readable():
    page = tb.Space(
        {"lr": tb.loguniform(1e-4, 1e-1), "d": {"k": tb.choice(["a", "b"])}}
    )._repr_html_()
    assert "<code>lr</code>" in page and "loguniform(0.0001, 0.1)" in page
    assert "<code>d/k</code>" in page and "choice([&#x27;a&#x27;, &#x27;b&#x27;])" in page
    assert "object at 0x" not in page


def test_json_round_trip_of_every_domain():
    space = tb.Space(
        {
            "u": tb.uniform(-1, 1.5),
            "lu": tb.loguniform(1e-5, 1),
            "qu": tb.quniform(0, 10, 0.5),
            "qlu": tb.qloguniform(1, 1000, 1),
            "ri": tb.randint(2, 10),
            "lri": tb.lograndint(1, 1024),
            "c": tb.choice(["a", 2, None, True]),
            "g": tb.grid([1, 2, 3]),
            "n": tb.randn(0.5, 2),
            "k": 7,
            "nested": {"x": tb.uniform(0, 1), "name": "m"},
        }
    )
    text = space.to_json()
    assert json.loads(text)["tunebook_space"] == 1
    again = tb.Space.from_json(text)
    assert again == space
    assert again.to_json() == text
    assert repr(again) == repr(space)


def test_json_refuses_what_it_cannot_hold():
    with pytest.raises(SpaceTypeError, match="'f' is sample_from"):
        tb.Space({"f": tune.sample_from(lambda _: 1)}).to_json()
    with pytest.raises(SpaceTypeError, match="'c'"):
        tb.Space({"c": tb.choice([object()])}).to_json()


def test_to_optuna():
    dists = tb.Space(
        {
            "lr": tb.loguniform(1e-4, 1e-1),
            "x": tb.quniform(0, 1, 0.25),
            "depth": tb.randint(2, 10),
            "width": tb.lograndint(1, 64),
            "act": tb.choice(["relu", "tanh"]),
            "fixed": 3,
            "nested": {"y": tb.uniform(0, 1)},
        }
    ).to_optuna()
    assert dists == {
        "lr": od.FloatDistribution(1e-4, 1e-1, log=True),
        "x": od.FloatDistribution(0, 1, step=0.25),
        "depth": od.IntDistribution(2, 9),  # Ray's upper bound is exclusive, Optuna's inclusive
        "width": od.IntDistribution(1, 63, log=True),
        "act": od.CategoricalDistribution(["relu", "tanh"]),
        "nested/y": od.FloatDistribution(0, 1),
    }
    with pytest.raises(SpaceTypeError, match="Optuna has no distribution for randn"):
        tb.Space({"n": tb.randn()}).to_optuna()
    with pytest.raises(SpaceTypeError, match="grid"):
        tb.Space({"g": tb.grid([1])}).to_optuna()
