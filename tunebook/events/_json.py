"""Events as strict JSON: plain data in, one line out, and back."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON data: numpy scalars and arrays become numbers and lists, tuples
    lists, the rest its ``repr``. NaN and infinities stay floats (``json_line`` writes them).

    Example:
        >>> json_safe({"a": (1, 2), "f": print})
        {'a': [1, 2], 'f': '<built-in function print>'}
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    tolist = getattr(value, "tolist", None)  # numpy / torch scalars and arrays: their values
    if callable(tolist) and isinstance(getattr(value, "ndim", None), int):
        try:
            return json_safe(tolist())
        except (TypeError, ValueError):
            pass
    return repr(value)


#: Where an event's non-finite numbers went: ``[[path, token], ...]``, each path the keys and
#: indexes to a value written as ``null``, each token ``"NaN"``, ``"Infinity"`` or
#: ``"-Infinity"``: strict JSON has no such numbers (Node's ``JSON.parse`` refuses them).
NONFINITE = "nonfinite"
_TOKENS = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def json_line(event: dict[str, Any]) -> str:
    """``event`` as one line of strict JSON (non-finite numbers as :data:`NONFINITE` says)."""
    try:
        return json.dumps(event, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: the rare case
        found: list[list[Any]] = []
        plain = _without_nonfinite(event, [], found)
        plain[NONFINITE] = found
        return json.dumps(plain, allow_nan=False)


def _without_nonfinite(value: Any, path: list[Any], found: list[list[Any]]) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        found.append([path, _TOKENS[repr(value)]])
        return None
    if isinstance(value, dict):
        return {k: _without_nonfinite(v, [*path, k], found) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nonfinite(v, [*path, i], found) for i, v in enumerate(value)]
    return value


def restore_nonfinite(event: dict[str, Any]) -> dict[str, Any]:
    """An event read from a line, with the numbers :data:`NONFINITE` lists put back."""
    for path, token in event.pop(NONFINITE, None) or []:
        target: Any = event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = float(token)
    return event
