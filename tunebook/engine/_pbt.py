"""Population Based Training from a tunebook space: what PBT mutates, what PB2 bounds.

By default every sampled parameter of the space is explored, within the space: a number is
perturbed (x 1.2 or x 0.8) or resampled from its own domain, then clipped to its bounds (Ray
alone would let ``uniform(0, 1)`` drift to 1.44); a choice moves to a neighbouring category or
is resampled. PB2 explores the numeric ranges of the space.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ray.tune.search.sample import Categorical, Float, Integer

from tunebook.space import is_grid


def mutations(ray_space: Mapping[str, Any]) -> dict[str, Any]:
    """PBT's ``hyperparam_mutations`` for a space in Ray's form: numbers keep their domain,
    choices and grids become their list of values, constants are left out."""
    out: dict[str, Any] = {}
    for name, value in ray_space.items():
        if is_grid(value):
            out[name] = list(value["grid_search"])
        elif isinstance(value, Categorical):
            out[name] = list(value.categories)
        elif isinstance(value, Float | Integer):
            out[name] = value
        elif isinstance(value, Mapping):
            nested = mutations(value)
            if nested:
                out[name] = nested
    return out


def _range(domain: Float | Integer) -> tuple[float, float]:
    upper = float(domain.upper)
    if isinstance(domain, Integer):
        upper -= 1  # Ray's randint excludes its upper bound
    return float(domain.lower), upper


def bounds(ray_space: Mapping[str, Any]) -> dict[str, Any]:
    """PB2's ``hyperparam_bounds``: ``[low, high]`` of each numeric range (PB2 explores
    nothing else; choices keep their first value, and normal domains have no bounds)."""
    out: dict[str, Any] = {}
    for name, value in ray_space.items():
        if isinstance(value, Float | Integer):
            low, high = _range(value)
            if math.isfinite(low) and math.isfinite(high):
                out[name] = [low, high]
        elif isinstance(value, Mapping) and not is_grid(value):
            nested = bounds(value)
            if nested:
                out[name] = nested
    return out


def _limits(ray_space: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in ray_space.items():
        if isinstance(value, Float | Integer):
            out[name] = (*_range(value), isinstance(value, Integer))
        elif isinstance(value, Mapping) and not is_grid(value):
            out[name] = _limits(value)
    return out


class Clip:
    """PBT's ``custom_explore_fn``: keep explored numbers inside the space's bounds."""

    def __init__(self, ray_space: Mapping[str, Any]) -> None:
        self.limits = _limits(ray_space)

    def __call__(self, config: dict[str, Any]) -> dict[str, Any]:
        self._clip(config, self.limits)
        return config

    def _clip(self, config: dict[str, Any], limits: Mapping[str, Any]) -> None:
        for name, limit in limits.items():
            if name not in config:
                continue
            if isinstance(limit, Mapping):
                if isinstance(config[name], dict):
                    self._clip(config[name], limit)
                continue
            low, high, integer = limit
            value = config[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            clipped = min(max(value, low), high)
            config[name] = int(round(clipped)) if integer else clipped
