"""``Space``: an ordered, validated search space, described first and built on demand.

A Space holds each parameter's description (``{"type": "loguniform", ...}``, what the event
log keeps) and, when it needs them, Ray Tune's domain objects. A Space made from domains keeps
the objects it was given; one rebuilt from a description (a results folder, ``refine()``)
builds them only when asked (``space["lr"]``, ``to_ray()``), so reading a folder needs no Ray.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Iterator, Mapping
from typing import Any

from tunebook.errors import SpaceTypeError, SpaceValueError
from tunebook.events import flat_space
from tunebook.space._checks import FIELDS, check, describe_spec
from tunebook.space._domains import build, is_grid, spec, validate_domain

SPACE_FORMAT = 1  # version of the JSON written by Space.to_json


def describe(value: Any) -> str:
    """A short readable form of a domain, as you would write it: ``loguniform(0.0001, 0.1)``.

    Example:
        >>> from tunebook.space import randint
        >>> describe(randint(2, 10))
        'randint(2, 10)'
    """
    if isinstance(value, Space):
        return repr(value)
    if isinstance(value, Mapping) and not is_grid(value):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in value.items()) + "}"
    return describe_spec(spec(value))


class Space(Mapping[str, Any]):
    """An ordered, validated search space: parameter name -> domain, constant or nested Space.

    Accepts tunebook's domains and Ray Tune's (``tune.uniform``...), grids, constants and nested
    dicts. Every domain is checked on construction.

    Example:
        >>> from tunebook.space import loguniform, randint
        >>> space = Space({"lr": loguniform(1e-4, 1e-1), "model": {"depth": randint(2, 10)}})
        >>> list(space)
        ['lr', 'model']
        >>> Space.from_json(space.to_json()) == space
        True
    """

    def __init__(self, params: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        items = dict(params or {}, **kwargs)
        self._params: dict[str, Any] | None = {}
        self._described: dict[str, Any] = {}
        for name, value in items.items():
            _check_name(name)
            if isinstance(value, Mapping) and not is_grid(value) and not isinstance(value, Space):
                value = Space(value)
            if isinstance(value, Space):
                self._described[name] = {"type": "space", "params": value._described}
            else:
                validate_domain(name, value)
                self._described[name] = spec(value)
            self._params[name] = value

    @classmethod
    def from_dict(cls, described: Mapping[str, Any]) -> Space:
        """Rebuild a Space from :meth:`to_dict`'s output (checked by the same rules; Ray's
        domain objects are made when first needed)."""
        space = cls.__new__(cls)
        space._params = None
        space._described = {}
        for name, item in described.items():
            _check_name(name)
            if not isinstance(item, Mapping) or "type" not in item:
                raise SpaceValueError(
                    f"parameter {name!r}: a described domain is a dict with a 'type', got {item!r}."
                )
            if item["type"] == "space":
                nested = cls.from_dict(item.get("params") or {})
                space._described[name] = {"type": "space", "params": nested._described}
                continue
            if item["type"] != "constant" and item["type"] not in FIELDS:
                build(item)  # raises: a kind tunebook cannot make (sample_from, ...)
            try:
                check(item)
            except (SpaceValueError, SpaceTypeError) as err:
                raise type(err)(f"parameter {name!r}: {err}") from None
            space._described[name] = copy.deepcopy(dict(item))
        return space

    def _objects(self) -> dict[str, Any]:
        """The parameters as Ray Tune domain objects, constants and nested Spaces."""
        if self._params is None:
            self._params = {
                name: (Space.from_dict(item["params"]) if item["type"] == "space" else build(item))
                for name, item in self._described.items()
            }
        return self._params

    # Mapping protocol
    def __getitem__(self, name: str) -> Any:
        if name not in self._described:
            raise KeyError(name)
        return self._objects()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._described)

    def __len__(self) -> int:
        return len(self._described)

    def __contains__(self, name: object) -> bool:
        return name in self._described

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Space):
            return self.to_dict() == other.to_dict()
        if isinstance(other, Mapping):
            return self == Space(other)
        return NotImplemented

    def __hash__(self) -> int:  # a Space is a value, but a mutable-looking one: no hashing
        raise TypeError("unhashable type: 'Space'")

    def flat(self, prefix: str = "") -> dict[str, Any]:
        """Parameters with nested spaces flattened to ``"outer/inner"`` names (as Ray does)."""
        out: dict[str, Any] = {}
        for name, value in self._objects().items():
            if isinstance(value, Space):
                out.update(value.flat(f"{prefix}{name}/"))
            else:
                out[f"{prefix}{name}"] = value
        return out

    def to_ray(self) -> dict[str, Any]:
        """The ``param_space`` dict Ray Tune takes (nested Spaces become nested dicts)."""
        return {
            name: value.to_ray() if isinstance(value, Space) else value
            for name, value in self._objects().items()
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: ``{name: {"type": "loguniform", "lower": ..., ...}}``."""
        return copy.deepcopy(self._described)

    def to_json(self, **dumps_kwargs: Any) -> str:
        """The space as JSON text; :meth:`from_json` rebuilds an equal Space.

        Raises:
            SpaceTypeError: for what JSON cannot hold (``sample_from`` functions, objects
            among the categories), naming the parameter.
        """
        for name, item in flat_space(self._described).items():
            if item["type"] == "sample_from":
                raise SpaceTypeError(
                    f"parameter {name!r} is sample_from({item['func']}): a function cannot be "
                    "written as JSON. Replace it with a domain or a constant."
                )
            try:
                json.dumps(item, allow_nan=False)
            except (TypeError, ValueError) as err:
                raise SpaceTypeError(
                    f"parameter {name!r} ({describe_spec(item)}) holds a value JSON cannot "
                    f"represent: {err}. Use numbers, strings, booleans or None."
                ) from None
        return json.dumps(
            {"tunebook_space": SPACE_FORMAT, "params": self._described}, **dumps_kwargs
        )

    @classmethod
    def from_json(cls, text: str) -> Space:
        """Rebuild a Space from :meth:`to_json`'s output."""
        data = json.loads(text)
        if not isinstance(data, dict) or "params" not in data:
            raise SpaceValueError("not a tunebook space: expected {'tunebook_space': 1, 'params'}.")
        return cls.from_dict(data["params"])

    def to_optuna(self) -> dict[str, Any]:
        """Optuna distributions, one per (flattened) parameter; constants are left out.

        Raises:
            SpaceTypeError: for a domain Optuna has no distribution for (``randn``, grids,
            ``sample_from``).

        Example:
            >>> from tunebook.space import randint
            >>> Space({"depth": randint(2, 10)}).to_optuna()["depth"]
            IntDistribution(high=9, log=False, low=2, step=1)
        """
        import optuna.distributions as od

        out: dict[str, Any] = {}
        for name, item in flat_space(self._described).items():
            kind = item["type"]
            if kind == "constant":
                continue
            if kind in ("uniform", "loguniform", "quniform", "qloguniform"):
                if "q" in item and "log" in kind:
                    raise SpaceTypeError(
                        f"parameter {name!r}: Optuna cannot quantize a log scale "
                        f"({describe_spec(item)}); use loguniform or quniform."
                    )
                out[name] = od.FloatDistribution(
                    item["lower"], item["upper"], log="log" in kind, step=item.get("q")
                )
            elif kind in ("randint", "lograndint"):
                out[name] = od.IntDistribution(
                    item["lower"], item["upper"] - 1, log=kind == "lograndint"
                )
            elif kind == "choice":
                out[name] = od.CategoricalDistribution(item["values"])
            else:
                raise SpaceTypeError(
                    f"parameter {name!r}: Optuna has no distribution for {describe_spec(item)}; "
                    "use uniform, loguniform, quniform, randint, lograndint or choice."
                )
        return out

    def __repr__(self) -> str:
        return "Space(" + ", ".join(_text(item) for item in self._described.items()) + ")"

    def _repr_html_(self) -> str:
        flat = flat_space(self._described)
        rows = "".join(
            f"<tr><td style='text-align:left'><code>{html.escape(name)}</code></td>"
            f"<td style='text-align:left'><code>{html.escape(describe_spec(item))}</code></td>"
            "</tr>"
            for name, item in flat.items()
        )
        return (
            "<table><thead><tr><th style='text-align:left'>parameter</th>"
            f"<th style='text-align:left'>domain</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<small>Space with {len(flat)} parameters</small>"
        )


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise SpaceTypeError(f"parameter names must be non-empty strings, got {name!r}.")


def _text(item: tuple[str, Mapping[str, Any]]) -> str:
    name, described = item
    if described["type"] == "space":
        return f"{name}=Space({', '.join(_text(i) for i in described['params'].items())})"
    return f"{name}={describe_spec(described)}"
