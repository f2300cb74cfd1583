"""The checks of the options' values: each takes the option's name and a value, and returns
the value (as the run uses it) or raises ``OptionError`` saying what it must be."""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from tunebook.errors import OptionError
from tunebook.results import check_mode

Check = Callable[[str, Any], Any]


def text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise OptionError(f"{name} must be a non-empty name, got {value!r}.")
    return value


def mode(name: str, value: Any) -> str:
    return check_mode(value)


def count(least: int) -> Check:
    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise OptionError(f"{name} must be an integer >= {least}, got {value!r}.")
        return value

    return check


def positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise OptionError(f"{name} must be a positive number, got {value!r}.")
    if not math.isfinite(value):
        raise OptionError(f"{name} must be finite, got {value!r}.")
    return value


def whole(name: str, value: Any) -> int:
    positive(name, value)
    if not isinstance(value, int):
        raise OptionError(f"{name} must be a whole number, got {value!r}.")
    return value


def reduction(name: str, value: Any) -> float:
    if positive(name, value) <= 1:
        raise OptionError(
            f"{name} must be greater than 1, got {value!r}: it is the factor by which each "
            "rung keeps fewer trials (2 keeps half, 4 a quarter)."
        )
    return value


def quantile(name: str, value: Any) -> float:
    if positive(name, value) > 0.5:
        raise OptionError(
            f"{name} must be at most 0.5, got {value!r}: it is the share of the population "
            "at the bottom that clones the same share at the top."
        )
    return value


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise OptionError(f"{name} must be True or False, got {value!r}.")
    return value


def mapping(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise OptionError(f"{name} must be a non-empty dict, got {value!r}.")
    return dict(value)


def failures(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise OptionError(f"{name} must be an integer >= 0 (-1: forever), got {value!r}.")
    return value


def samples(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or (value < 1 and value != -1):
        raise OptionError(
            f"{name} must be an integer >= 1 (or -1 with a time_budget_s), got {value!r}."
        )
    return value


#: The seeds numpy's random generators take (Optuna's samplers, BayesOpt's): 0 to 2**32 - 1.
SEED_LIMIT = 2**32


def seed(name: str, value: Any) -> int:
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not integral or not 0 <= int(value) < SEED_LIMIT:
        raise OptionError(
            f"{name} must be an integer from 0 to 2**32 - 1 (numpy's range, which the searches "
            f"use), got {value!r}. Write, for example, {name}=0."
        )
    return int(value)


def resources(name: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise OptionError(f"{name} must be a dict such as {{'cpu': 1, 'gpu': 0.5}}, got {value!r}.")
    out: dict[str, float] = {}
    for key, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise OptionError(f"{name}[{key!r}] must be a number >= 0, got {amount!r}.")
        out[str(key).lower() if str(key).lower() in ("cpu", "gpu") else str(key)] = amount
    return out


def experiment_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
        raise OptionError(
            f"name {value!r} must start with a letter or digit and hold only letters, digits, "
            "'.', '_' and '-' (it names the experiment's folder)."
        )
    return value


def folder(name: str, value: Any) -> str | os.PathLike[str]:
    if not isinstance(value, str | os.PathLike) or not str(value):
        raise OptionError(f"{name} must be a folder's path (a str or pathlib.Path), got {value!r}.")
    return value


def score(name: str, value: Any) -> str:
    metric, _, order = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not metric:
        raise OptionError(f"{name} must be a metric's name ('acc', or 'loss:min'), got {value!r}.")
    if order not in ("", "max", "min"):
        raise OptionError(f"{name}={value!r}: the order after ':' must be max or min.")
    return value


def anything(name: str, value: Any) -> Any:
    return value


def stop(name: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        for key, limit in value.items():
            if (
                not isinstance(key, str)
                or isinstance(limit, bool)
                or not isinstance(limit, int | float)
            ):
                raise OptionError(
                    f"{name}={value!r}: each criterion is a reported name and the number at "
                    "which a trial stops, as {'training_iteration': 10}."
                )
        return dict(value)
    if not callable(value):
        raise OptionError(
            f"{name} must be a dict such as {{'training_iteration': 10}}, a ray.tune.Stopper "
            f"or a function (trial_id, result) -> bool, got {value!r}."
        )
    return value
