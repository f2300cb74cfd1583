"""The domain functions: checked arguments, Ray Tune's own domain objects."""

from __future__ import annotations

import numpy as np
import pytest
from ray import tune

import tunebook as tb
from tunebook.errors import SpaceTypeError, SpaceValueError, TunebookError


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (
            lambda: tb.uniform(2, 1),
            SpaceValueError,
            ["uniform(2, 1)", "less than", "uniform(1, 2)"],
        ),
        (lambda: tb.uniform(1, 1), SpaceValueError, ["single point", "constant 1"]),
        (
            lambda: tb.loguniform(0, 1),
            SpaceValueError,
            ["`lower` must be greater than 0", "got 0", "log scale"],
        ),
        (lambda: tb.loguniform(-1, 1), SpaceValueError, ["greater than 0"]),
        (lambda: tb.choice([]), SpaceValueError, ["choice([])", "at least one value"]),
        (lambda: tb.choice("abc"), SpaceTypeError, ["list of values", "'abc'"]),
        (
            lambda: tb.randint(5, 5),
            SpaceValueError,
            ["randint(5, 5) is empty", "exclusive", "randint(5, 6)"],
        ),
        (lambda: tb.randint(1.5, 4), SpaceTypeError, ["integer", "1.5"]),
        (lambda: tb.randint(1.0, 4), SpaceTypeError, ["Write 1 instead of 1.0"]),
        (lambda: tb.uniform("a", 1), SpaceTypeError, ["must be a number", "'a'", "str"]),
        (lambda: tb.uniform(0, float("inf")), SpaceValueError, ["finite"]),
        (lambda: tb.uniform(True, 2), SpaceTypeError, ["must be a number"]),
        (lambda: tb.quniform(0, 1, 0), SpaceValueError, ["`q` must be greater than 0"]),
        (lambda: tb.qloguniform(0, 10, 1), SpaceValueError, ["`lower` must be greater than 0"]),
        (lambda: tb.lograndint(0, 10), SpaceValueError, ["at least 1"]),
        (lambda: tb.randn(0, 0), SpaceValueError, ["`sd` must be greater than 0"]),
        (lambda: tb.grid([]), SpaceValueError, ["at least one value"]),
    ],
)
def test_bad_domains_name_the_value_and_the_rule(make, error, words):
    with pytest.raises(error) as caught:
        make()
    assert isinstance(caught.value, TunebookError)
    assert isinstance(caught.value, ValueError if error is SpaceValueError else TypeError)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


def test_domains_are_ray_tune_domains():
    assert isinstance(tb.loguniform(1e-4, 1e-1), tune.search.sample.Float)
    assert isinstance(tb.randint(2, 10), tune.search.sample.Integer)
    assert isinstance(tb.choice([1, 2]), tune.search.sample.Categorical)
    assert tb.grid([1, 2]) == tune.grid_search([1, 2])
    assert tb.randint(2, 10).sample() in range(2, 10)
    assert 1e-4 <= tb.loguniform(1e-4, 1e-1).sample() < 1e-1


def test_numpy_bounds_are_accepted():
    assert tb.randint(np.int64(1), np.int64(4)).upper == 4
    assert tb.uniform(np.float32(0), 1).lower == 0.0


def test_a_domain_prints_as_it_is_written():
    assert repr(tb.loguniform(1e-4, 0.1)) == "loguniform(0.0001, 0.1)"
    assert str(tb.quniform(0, 1, 0.25)) == "quniform(0.0, 1.0, 0.25)"
    assert repr(tune.choice([1, "a"])) == "choice([1, 'a'])"  # made by Ray directly
    assert repr(dict(tb.Space({"d": tb.randint(2, 10)}))) == "{'d': randint(2, 10)}"
