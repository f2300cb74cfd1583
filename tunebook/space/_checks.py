"""The rules of each kind of domain, on its description alone (no Ray).

A domain is described as a JSON-ready dict, ``{"type": "loguniform", "lower": 1e-4,
"upper": 0.1}`` (what ``Space.to_dict`` writes and the event log keeps). :func:`check` applies
the rules the domain functions apply, with the same messages, so a description read from a
file is checked as strictly as a domain written in a cell, without importing Ray.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunebook.errors import SpaceTypeError, SpaceValueError

#: The kinds of domain the vocabulary writes, and what describes each.
FIELDS: dict[str, tuple[str, ...]] = {
    "uniform": ("lower", "upper"),
    "loguniform": ("lower", "upper"),
    "quniform": ("lower", "upper", "q"),
    "qloguniform": ("lower", "upper", "q"),
    "randint": ("lower", "upper"),
    "lograndint": ("lower", "upper"),
    "choice": ("values",),
    "grid": ("values",),
    "randn": ("mean", "sd"),
}

LOG_WHY = " A log scale cannot reach 0 or negative numbers."


def real(func: str, arg: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SpaceTypeError(
            f"{func}: `{arg}` must be a number, got {value!r} ({type(value).__name__})."
        )
    number = float(value)
    if not math.isfinite(number):
        raise SpaceValueError(f"{func}: `{arg}` must be finite, got {value!r}.")
    return number


def integer(func: str, arg: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        hint = ""
        if isinstance(value, float) and value.is_integer():
            hint = f" Write {int(value)} instead of {value!r}."
        raise SpaceTypeError(
            f"{func}: `{arg}` must be an integer, got {value!r} ({type(value).__name__}).{hint}"
        )
    return int(value)


def ordered(func: str, lower: Any, upper: Any, *, exclusive: bool = False) -> None:
    if lower < upper:
        return
    if exclusive:
        raise SpaceValueError(
            f"{func}({lower!r}, {upper!r}) is empty: `upper` is exclusive, so it must be greater "
            f"than `lower` ({lower!r}). For the single value {lower!r}, use "
            f"{func}({lower!r}, {lower + 1!r}) or the constant {lower!r}."
        )
    if lower == upper:
        raise SpaceValueError(
            f"{func}({lower!r}, {upper!r}) is a single point: `lower` must be less than `upper`. "
            f"For a fixed value, use the constant {lower!r}."
        )
    raise SpaceValueError(
        f"{func}({lower!r}, {upper!r}): `lower` must be less than `upper`, but {lower!r} > "
        f"{upper!r}. Did you mean {func}({upper!r}, {lower!r})?"
    )


def positive(func: str, arg: str, value: Any, why: str = "") -> None:
    if value <= 0:
        raise SpaceValueError(f"{func}: `{arg}` must be greater than 0, got {value!r}.{why}")


def categories(func: str, values: object) -> list[Any]:
    if isinstance(values, str | bytes) or isinstance(values, Mapping):
        raise SpaceTypeError(
            f"{func}: expects a list of values, got {values!r} ({type(values).__name__}). "
            f"Write {func}([...]) with the values in a list."
        )
    if not isinstance(values, Sequence) and not hasattr(values, "__iter__"):
        raise SpaceTypeError(
            f"{func}: expects a list of values, got {values!r} ({type(values).__name__})."
        )
    items = list(values)
    if not items:
        raise SpaceValueError(f"{func}([]) has nothing to choose from: give at least one value.")
    return items


def _float_range(kind: str, spec: Mapping[str, Any]) -> None:
    real(kind, "lower", spec["lower"])
    real(kind, "upper", spec["upper"])
    if "q" in FIELDS[kind]:
        real(kind, "q", spec["q"])
    if "log" in kind:
        positive(kind, "lower", spec["lower"], LOG_WHY)
    ordered(kind, spec["lower"], spec["upper"])
    if "q" in FIELDS[kind]:
        positive(kind, "q", spec["q"])


def _int_range(kind: str, spec: Mapping[str, Any]) -> None:
    low, high = integer(kind, "lower", spec["lower"]), integer(kind, "upper", spec["upper"])
    if kind == "lograndint" and low < 1:
        raise SpaceValueError(f"lograndint: `lower` must be at least 1, got {low!r}.{LOG_WHY}")
    ordered(kind, low, high, exclusive=True)


def _values(kind: str, spec: Mapping[str, Any]) -> None:
    categories(kind, spec["values"])


def _normal(kind: str, spec: Mapping[str, Any]) -> None:
    real(kind, "mean", spec["mean"])
    real(kind, "sd", spec["sd"])
    positive(kind, "sd", spec["sd"])


RULES: dict[str, Callable[[str, Mapping[str, Any]], None]] = {
    "uniform": _float_range,
    "loguniform": _float_range,
    "quniform": _float_range,
    "qloguniform": _float_range,
    "randint": _int_range,
    "lograndint": _int_range,
    "choice": _values,
    "grid": _values,
    "randn": _normal,
}


def check(spec: Mapping[str, Any]) -> None:
    """Apply the rules of the spec's kind (constants, nested spaces and unknown kinds pass).

    Raises:
        SpaceValueError, SpaceTypeError: the message the domain function would give.
    """
    kind = spec.get("type")
    rule = RULES.get(str(kind))
    if rule is None:
        return
    missing = [name for name in FIELDS[str(kind)] if name not in spec]
    if missing:
        raise SpaceValueError(f"a {kind} domain needs {', '.join(missing)}; got {dict(spec)!r}.")
    rule(str(kind), spec)


def describe_spec(spec: Mapping[str, Any]) -> str:
    """A domain as you would write it: ``loguniform(0.0001, 0.1)``, ``choice([1, 2])``.

    Example:
        >>> describe_spec({"type": "randint", "lower": 2, "upper": 10})
        'randint(2, 10)'
    """
    kind = spec.get("type")
    if kind == "constant":
        return repr(spec.get("value"))
    if kind in ("choice", "grid"):
        return f"{kind}({spec['values']!r})"
    if kind == "sample_from":
        return f"sample_from({spec.get('func')})"
    if kind == "randn":
        args = [spec["mean"], spec["sd"]]
    elif "lower" in spec:  # the ranges (and Ray's quantized integers, "qrandint")
        args = [spec["lower"], spec["upper"], *([spec["q"]] if "q" in spec else [])]
    else:
        return str(kind)
    return f"{kind}({', '.join(repr(a) for a in args)})"
