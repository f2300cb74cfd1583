"""Coarse to fine: the next stage's space from the best trials of a finished search.

The rule (``Results.refine`` documents it for users), per parameter of the parent space:

- a numeric range (uniform, loguniform, randint, lograndint, and their q-variants) spans the
  top trials' values, widened on each side by ``margin`` times that span (in log10 space for
  log domains), clipped to the parent's bounds; integer domains stay integer (lower rounded
  down, upper up; upper stays exclusive), a q-step stays;
- a choice (or grid) keeps the categories the top trials chose, in the parent's order;
- a parameter whose top values are all equal becomes that constant, unless ``keep`` names it
  (then it keeps its parent domain);
- constants, normal domains (``randn``) and ``sample_from`` are kept as they are.

Works on the JSON description of a space (``Space.to_dict``), so it needs no Ray.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

NUMERIC = {"uniform", "quniform", "loguniform", "qloguniform", "randint", "lograndint"}


def refine_spec(
    described: Mapping[str, Any],
    configs: Sequence[Mapping[str, Any]],
    margin: float,
    keep: Collection[str] = (),
    prefix: str = "",
) -> dict[str, Any]:
    """The refined description of a space (``Space.to_dict`` form), from the flat configs of
    the top trials (``{"outer/inner": value}``)."""
    out: dict[str, Any] = {}
    for name, spec in described.items():
        flat = f"{prefix}{name}"
        if spec.get("type") == "space":
            params = refine_spec(spec["params"], configs, margin, keep, f"{flat}/")
            out[name] = {"type": "space", "params": params}
            continue
        values = [config[flat] for config in configs if flat in config]
        out[name] = _refine_one(spec, values, margin, flat in keep) if values else dict(spec)
    return out


def _refine_one(spec: Mapping[str, Any], values: list[Any], margin: float, keep: bool) -> dict:
    kind = spec.get("type")
    if kind in ("choice", "grid"):
        chosen = [v for v in spec["values"] if any(_same(v, c) for c in values)]
        if len(chosen) == 1 and not keep:
            return {"type": "constant", "value": chosen[0]}
        if len(chosen) <= 1:
            return dict(spec)
        return {**spec, "values": chosen}
    if kind not in NUMERIC:
        return dict(spec)
    numbers = [float(v) for v in values]
    low, high = min(numbers), max(numbers)
    integer = "randint" in kind
    if low == high:
        if keep:
            return dict(spec)
        return {"type": "constant", "value": int(low) if integer else values[0]}
    log = "log" in kind
    to, back = (math.log10, lambda v: 10.0**v) if log else (float, float)
    span = to(high) - to(low)
    lower = back(to(low) - margin * span)
    upper = back(to(high) + margin * span)
    parent_upper = spec["upper"] - 1 if integer else spec["upper"]  # randint: upper exclusive
    lower, upper = max(lower, spec["lower"]), min(upper, parent_upper)
    if integer:
        return {**spec, "lower": math.floor(lower), "upper": math.ceil(upper) + 1}
    return {**spec, "lower": lower, "upper": upper}


def _same(a: Any, b: Any) -> bool:
    """Equal as values, with the types JSON keeps apart (True is not 1)."""
    return (
        type(a) is type(b)
        and a == b
        or (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and not isinstance(a, bool)
            and not isinstance(b, bool)
            and a == b
        )
    )


def fits(spec: Mapping[str, Any], value: Any) -> bool:
    """Whether ``value`` is one that a domain (``Space.to_dict`` form) can take."""
    kind = spec.get("type")
    if kind in ("choice", "grid"):
        return any(_same(value, v) for v in spec["values"])
    if kind == "constant":
        return _same(value, spec["value"])
    if kind in NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        upper_ok = value < spec["upper"] if "randint" in kind else value <= spec["upper"]
        return spec["lower"] <= value and upper_ok
    return True  # randn, sample_from: any number


def project(described: Mapping[str, Any], flat: Mapping[str, Any], prefix: str = "") -> Any:
    """A config for the space ``described`` from a flat config of its parent stage, or None
    when a value does not fit the new space (a stage that overrode a parameter)."""
    config: dict[str, Any] = {}
    for name, spec in described.items():
        key = f"{prefix}{name}"
        if spec.get("type") == "space":
            nested = project(spec["params"], flat, f"{key}/")
            if nested is None:
                return None
            config[name] = nested
        elif key in flat and fits(spec, flat[key]):
            config[name] = flat[key]
        else:
            return None
    return config
