"""Configs, spaces and resources as the tables show them, and what counts as a number."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def flat_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config with its keys joined by ``/``, as Ray Tune names nested parameters.

    Example:
        >>> flat_config({"lr": 0.1, "model": {"depth": 3}})
        {'lr': 0.1, 'model/depth': 3}
    """
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            out.update(flat_config(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = value
    return out


def flat_space(described: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """A space as the log records it (``Space.to_dict()``: ``{"type": ..., ...}`` per
    parameter, ``{"type": "space", "params": ...}`` when nested), flattened to ``"outer/inner"``
    names as :func:`flat_config` flattens a config.

    Example:
        >>> flat_space({"m": {"type": "space", "params": {"d": {"type": "randint"}}}})
        {'m/d': {'type': 'randint'}}
    """
    out: dict[str, dict[str, Any]] = {}
    for name, spec in described.items():
        if not isinstance(spec, Mapping):
            continue
        if spec.get("type") == "space":
            out.update(flat_space(spec.get("params") or {}, f"{prefix}{name}/"))
        else:
            out[f"{prefix}{name}"] = dict(spec)
    return out


def resources_text(resources: Mapping[str, float] | None) -> str | None:
    """A trial's recorded resources as text: ``{"cpu": 2.0, "gpu": 0.5}`` is
    ``"cpu=2, gpu=0.5"``; None when there are none."""
    if not resources:
        return None
    return ", ".join(f"{name}={amount:g}" for name, amount in resources.items())


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number that can be ranked (not bool, not NaN)."""
    kind = type(value)  # the common cases first: this runs once per reported value
    if kind is float:
        return value == value  # NaN is the one float unequal to itself
    if kind is int:
        return True
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
    )
