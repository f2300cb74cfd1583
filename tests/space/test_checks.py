"""The rules of each kind of domain on its description alone: the same messages as the domain
functions, and each description written as you would write the domain."""

from __future__ import annotations

import pytest

import tunebook as tb
from tunebook.errors import SpaceTypeError, SpaceValueError
from tunebook.space._checks import check, describe_spec


@pytest.mark.parametrize(
    ("spec", "make"),
    [
        ({"type": "uniform", "lower": 2, "upper": 1}, lambda: tb.uniform(2, 1)),
        ({"type": "loguniform", "lower": 0, "upper": 1}, lambda: tb.loguniform(0, 1)),
        ({"type": "quniform", "lower": 0, "upper": 1, "q": 0}, lambda: tb.quniform(0, 1, 0)),
        ({"type": "randint", "lower": 5, "upper": 5}, lambda: tb.randint(5, 5)),
        ({"type": "randint", "lower": 1.0, "upper": 4}, lambda: tb.randint(1.0, 4)),
        ({"type": "lograndint", "lower": 0, "upper": 10}, lambda: tb.lograndint(0, 10)),
        ({"type": "choice", "values": []}, lambda: tb.choice([])),
        ({"type": "choice", "values": "abc"}, lambda: tb.choice("abc")),
        ({"type": "grid", "values": []}, lambda: tb.grid([])),
        ({"type": "randn", "mean": 0, "sd": 0}, lambda: tb.randn(0, 0)),
        ({"type": "uniform", "lower": "a", "upper": 1}, lambda: tb.uniform("a", 1)),
    ],
    ids=[
        "uniform-reversed",
        "loguniform-zero",
        "quniform-zero-q",
        "randint-empty",
        "randint-float",
        "lograndint-zero",
        "choice-empty",
        "choice-text",
        "grid-empty",
        "randn-zero-sd",
        "uniform-text",
    ],
)
def test_a_description_breaks_the_rule_with_the_domain_functions_message(spec, make):
    with pytest.raises((SpaceValueError, SpaceTypeError)) as from_function:
        make()
    with pytest.raises(type(from_function.value)) as from_description:
        check(spec)
    assert str(from_description.value) == str(from_function.value)


def test_what_a_description_lacks_is_named_and_what_has_no_rule_passes():
    with pytest.raises(SpaceValueError, match="a uniform domain needs upper"):
        check({"type": "uniform", "lower": 0})
    with pytest.raises(SpaceValueError, match="a quniform domain needs upper, q"):
        check({"type": "quniform", "lower": 0})
    for spec in ({"type": "constant", "value": 3}, {"type": "sample_from"}, {}):
        check(spec)  # constants, nested spaces, unknown kinds: nothing to check
    check({"type": "loguniform", "lower": 1e-4, "upper": 0.1})  # a good one passes


@pytest.mark.parametrize(
    ("spec", "written"),
    [
        ({"type": "loguniform", "lower": 0.0001, "upper": 0.1}, "loguniform(0.0001, 0.1)"),
        ({"type": "randint", "lower": 2, "upper": 10}, "randint(2, 10)"),
        ({"type": "quniform", "lower": 0, "upper": 1, "q": 0.25}, "quniform(0, 1, 0.25)"),
        ({"type": "choice", "values": ["a", 2]}, "choice(['a', 2])"),
        ({"type": "grid", "values": [1, 2]}, "grid([1, 2])"),
        ({"type": "randn", "mean": 0.5, "sd": 2}, "randn(0.5, 2)"),
        ({"type": "constant", "value": "relu"}, "'relu'"),
        ({"type": "sample_from", "func": "<lambda>"}, "sample_from(<lambda>)"),
        ({"type": "mystery"}, "mystery"),
    ],
    ids=[
        "loguniform",
        "randint",
        "quniform",
        "choice",
        "grid",
        "randn",
        "constant",
        "sample_from",
        "unknown",
    ],
)
def test_describe_spec_writes_the_domain_as_you_would(spec, written):
    assert describe_spec(spec) == written
