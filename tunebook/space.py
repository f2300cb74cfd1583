"""The search-space vocabulary.

Ray Tune's own domain objects are the canonical representation, so ``tune.loguniform(...)`` and
``tb.loguniform(...)`` are interchangeable everywhere. tunebook adds what Ray leaves out:

- validation at creation with messages that name the bad value and the rule
  (Ray accepts ``tune.uniform(2, 1)`` silently);
- :class:`Space`, an ordered mapping of parameter name to domain with a readable ``repr`` and
  ``_repr_html_``, a JSON round trip and a conversion to Optuna distributions.

Example:
    >>> import tunebook as tb
    >>> space = tb.Space({"lr": tb.loguniform(1e-4, 1e-1), "depth": tb.randint(2, 10)})
    >>> space
    Space(lr=loguniform(0.0001, 0.1), depth=randint(2, 10))
"""

from __future__ import annotations

import html
import json
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ray.tune.search.sample import Categorical, Domain, Float, Function, Integer, Quantized

from tunebook.errors import SpaceTypeError, SpaceValueError
from tunebook.events import flat_space

__all__ = [
    "Space",
    "choice",
    "describe",
    "grid",
    "is_grid",
    "lograndint",
    "loguniform",
    "qloguniform",
    "quniform",
    "randint",
    "randn",
    "uniform",
    "validate_domain",
]

SPACE_FORMAT = 1  # version of the JSON written by Space.to_json


# ---------------------------------------------------------------------------------------------
# Checks shared by the domain functions and by Space (which also checks Ray's own domains)


def _real(func: str, arg: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SpaceTypeError(
            f"{func}: `{arg}` must be a number, got {value!r} ({type(value).__name__})."
        )
    number = float(value)
    if not math.isfinite(number):
        raise SpaceValueError(f"{func}: `{arg}` must be finite, got {value!r}.")
    return number


def _integer(func: str, arg: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        hint = ""
        if isinstance(value, float) and value.is_integer():
            hint = f" Write {int(value)} instead of {value!r}."
        raise SpaceTypeError(
            f"{func}: `{arg}` must be an integer, got {value!r} ({type(value).__name__}).{hint}"
        )
    return int(value)


def _ordered(func: str, lower: Any, upper: Any, *, exclusive: bool = False) -> None:
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


def _positive(func: str, arg: str, value: Any, why: str = "") -> None:
    if value <= 0:
        raise SpaceValueError(f"{func}: `{arg}` must be greater than 0, got {value!r}.{why}")


_LOG_WHY = " A log scale cannot reach 0 or negative numbers."


def _categories(func: str, values: object) -> list[Any]:
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


# ---------------------------------------------------------------------------------------------
# The domain functions: each validates, then returns Ray Tune's own domain object.


def uniform(lower: float, upper: float) -> Float:
    """A float sampled uniformly from ``[lower, upper)``.

    Example:
        >>> uniform(0.0, 0.5).upper
        0.5
    """
    low, high = _real("uniform", "lower", lower), _real("uniform", "upper", upper)
    _ordered("uniform", lower, upper)
    return Float(low, high).uniform()


def loguniform(lower: float, upper: float) -> Float:
    """A float sampled uniformly in log space from ``[lower, upper)``; both must be > 0.

    Example:
        >>> loguniform(1e-4, 1e-1).lower
        0.0001
    """
    low, high = _real("loguniform", "lower", lower), _real("loguniform", "upper", upper)
    _positive("loguniform", "lower", lower, _LOG_WHY)
    _ordered("loguniform", lower, upper)
    return Float(low, high).loguniform()


def quniform(lower: float, upper: float, q: float) -> Float:
    """A float sampled uniformly from ``[lower, upper]`` and rounded to a multiple of ``q``.

    Example:
        >>> quniform(0.0, 1.0, 0.25).sampler.q
        0.25
    """
    low, high = _real("quniform", "lower", lower), _real("quniform", "upper", upper)
    _real("quniform", "q", q)
    _ordered("quniform", lower, upper)
    _positive("quniform", "q", q)
    return Float(low, high).uniform().quantized(q)


def qloguniform(lower: float, upper: float, q: float) -> Float:
    """A float sampled log-uniformly from ``[lower, upper]`` and rounded to a multiple of ``q``.

    Example:
        >>> qloguniform(1, 1000, 1).upper
        1000.0
    """
    low, high = _real("qloguniform", "lower", lower), _real("qloguniform", "upper", upper)
    _real("qloguniform", "q", q)
    _positive("qloguniform", "lower", lower, _LOG_WHY)
    _ordered("qloguniform", lower, upper)
    _positive("qloguniform", "q", q)
    return Float(low, high).loguniform().quantized(q)


def randint(lower: int, upper: int) -> Integer:
    """An integer sampled uniformly from ``lower`` (inclusive) to ``upper`` (exclusive).

    Example:
        >>> randint(2, 10).upper
        10
    """
    low, high = _integer("randint", "lower", lower), _integer("randint", "upper", upper)
    _ordered("randint", low, high, exclusive=True)
    return Integer(low, high).uniform()


def lograndint(lower: int, upper: int) -> Integer:
    """An integer sampled log-uniformly from ``lower`` (inclusive, >= 1) to ``upper`` (exclusive).

    Example:
        >>> lograndint(1, 1024).lower
        1
    """
    low, high = _integer("lograndint", "lower", lower), _integer("lograndint", "upper", upper)
    if low < 1:
        raise SpaceValueError(f"lograndint: `lower` must be at least 1, got {low!r}.{_LOG_WHY}")
    _ordered("lograndint", low, high, exclusive=True)
    return Integer(low, high).loguniform()


def choice(categories: Sequence[Any]) -> Categorical:
    """One of ``categories``, each equally likely.

    Example:
        >>> choice([16, 32, 64]).categories
        [16, 32, 64]
    """
    return Categorical(_categories("choice", categories)).uniform()


def grid(values: Sequence[Any]) -> dict[str, list[Any]]:
    """Every one of ``values``, once (Ray Tune's ``grid_search``; grids multiply).

    Example:
        >>> grid([1, 2])
        {'grid_search': [1, 2]}
    """
    return {"grid_search": _categories("grid", values)}


def randn(mean: float = 0.0, sd: float = 1.0) -> Float:
    """A float drawn from a normal distribution with ``mean`` and standard deviation ``sd``.

    Example:
        >>> randn(0.0, 2.0).sampler.sd
        2.0
    """
    centre, spread = _real("randn", "mean", mean), _real("randn", "sd", sd)
    _positive("randn", "sd", sd)
    return Float(None, None).normal(centre, spread)


def is_grid(value: object) -> bool:
    """Whether ``value`` is a grid (``tb.grid([...])`` or Ray's ``tune.grid_search``)."""
    return isinstance(value, Mapping) and set(value) == {"grid_search"}


# ---------------------------------------------------------------------------------------------
# Reading a domain back: kind and arguments. Used by repr, JSON and validation of Ray domains.


def _spec(value: Any) -> dict[str, Any]:
    """Describe one domain (or constant) as a JSON-ready dict ``{"type": ..., ...}``."""
    if is_grid(value):
        return {"type": "grid", "values": list(value["grid_search"])}
    if isinstance(value, Function):
        return {"type": "sample_from", "func": getattr(value.func, "__name__", repr(value.func))}
    if not isinstance(value, Domain):
        return {"type": "constant", "value": value}
    sampler = value.get_sampler()
    q = None
    if isinstance(sampler, Quantized):
        q, sampler = sampler.q, sampler.sampler
    sampler_kind = type(sampler).__mro__[1].__name__  # Float._LogUniform -> LogUniform
    if isinstance(value, Categorical):
        return {"type": "choice", "values": list(value.categories)}
    if isinstance(value, Float):
        if sampler_kind == "Normal":
            spec: dict[str, Any] = {"type": "randn", "mean": sampler.mean, "sd": sampler.sd}
        else:
            kind = "loguniform" if sampler_kind == "LogUniform" else "uniform"
            spec = {"type": kind, "lower": value.lower, "upper": value.upper}
        if q is not None:
            spec["type"] = "q" + spec["type"]
            spec["q"] = q
        return spec
    if isinstance(value, Integer):
        kind = "lograndint" if sampler_kind == "LogUniform" else "randint"
        spec = {"type": kind, "lower": value.lower, "upper": value.upper}
        if q is not None and q != 1:
            spec["type"] = "q" + kind
            spec["q"] = q
        return spec
    return {"type": type(value).__name__}


_BUILDERS: dict[str, Any] = {
    "uniform": lambda s: uniform(s["lower"], s["upper"]),
    "loguniform": lambda s: loguniform(s["lower"], s["upper"]),
    "quniform": lambda s: quniform(s["lower"], s["upper"], s["q"]),
    "qloguniform": lambda s: qloguniform(s["lower"], s["upper"], s["q"]),
    "randint": lambda s: randint(s["lower"], s["upper"]),
    "lograndint": lambda s: lograndint(s["lower"], s["upper"]),
    "choice": lambda s: choice(s["values"]),
    "grid": lambda s: grid(s["values"]),
    "randn": lambda s: randn(s["mean"], s["sd"]),
}


def _build(spec: Mapping[str, Any]) -> Any:
    kind = spec.get("type")
    if kind == "constant":
        return spec["value"]
    if kind == "space":
        return Space({k: _build(v) for k, v in spec["params"].items()})
    if kind not in _BUILDERS:
        raise SpaceValueError(
            f"cannot rebuild a domain of type {kind!r}: tunebook knows "
            f"{', '.join(sorted([*_BUILDERS, 'constant', 'space']))}."
        )
    return _BUILDERS[kind](spec)


def _fmt(number: Any) -> str:
    return repr(number)


def describe(value: Any) -> str:
    """A short readable form of a domain, as you would write it: ``loguniform(0.0001, 0.1)``.

    Example:
        >>> describe(randint(2, 10))
        'randint(2, 10)'
    """
    if isinstance(value, Space):
        return repr(value)
    if isinstance(value, Mapping) and not is_grid(value):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in value.items()) + "}"
    spec = _spec(value)
    kind = spec["type"]
    if kind == "constant":
        return repr(value)
    if kind in ("choice", "grid"):
        return f"{kind}({spec['values']!r})"
    if kind in ("randn", "qrandn"):
        args = [_fmt(spec["mean"]), _fmt(spec["sd"])]
    elif kind == "sample_from":
        return f"sample_from({spec['func']})"
    else:
        args = [_fmt(spec["lower"]), _fmt(spec["upper"])]
    if "q" in spec:
        args.append(_fmt(spec["q"]))
    return f"{kind}({', '.join(args)})"


def validate_domain(name: str, value: Any) -> None:
    """Check a domain, including one made by Ray Tune directly, with tunebook's rules.

    Raises:
        SpaceValueError, SpaceTypeError: naming the parameter, the value and the rule.

    Example:
        >>> from ray import tune
        >>> validate_domain("lr", tune.uniform(2, 1))
        Traceback (most recent call last):
        ...
        tunebook.errors.SpaceValueError: parameter 'lr': uniform(2, 1): ...
    """
    spec = _spec(value)
    if spec["type"] in ("constant", "sample_from") or spec["type"] not in _BUILDERS:
        return
    try:
        _BUILDERS[spec["type"]](spec)
    except (SpaceValueError, SpaceTypeError) as err:
        raise type(err)(f"parameter {name!r}: {err}") from None


# ---------------------------------------------------------------------------------------------


class Space(Mapping[str, Any]):
    """An ordered, validated search space: parameter name -> domain, constant or nested Space.

    Accepts tunebook's domains and Ray Tune's (``tune.uniform``...), grids, constants and nested
    dicts. Every domain is checked on construction.

    Example:
        >>> space = Space({"lr": loguniform(1e-4, 1e-1), "model": {"depth": randint(2, 10)}})
        >>> list(space)
        ['lr', 'model']
        >>> Space.from_json(space.to_json()) == space
        True
    """

    def __init__(self, params: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        items = dict(params or {}, **kwargs)
        self._params: dict[str, Any] = {}
        for name, value in items.items():
            if not isinstance(name, str) or not name:
                raise SpaceTypeError(f"parameter names must be non-empty strings, got {name!r}.")
            if isinstance(value, Mapping) and not is_grid(value) and not isinstance(value, Space):
                value = Space(value)
            elif not isinstance(value, Space):
                validate_domain(name, value)
            self._params[name] = value

    # Mapping protocol
    def __getitem__(self, name: str) -> Any:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

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
        for name, value in self._params.items():
            if isinstance(value, Space):
                out.update(value.flat(f"{prefix}{name}/"))
            else:
                out[f"{prefix}{name}"] = value
        return out

    def to_ray(self) -> dict[str, Any]:
        """The ``param_space`` dict Ray Tune takes (nested Spaces become nested dicts)."""
        return {
            name: value.to_ray() if isinstance(value, Space) else value
            for name, value in self._params.items()
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: ``{name: {"type": "loguniform", "lower": ..., ...}}``."""
        out: dict[str, Any] = {}
        for name, value in self._params.items():
            if isinstance(value, Space):
                out[name] = {"type": "space", "params": value.to_dict()}
            else:
                out[name] = _spec(value)
        return out

    def to_json(self, **dumps_kwargs: Any) -> str:
        """The space as JSON text; :meth:`from_json` rebuilds an equal Space.

        Raises:
            SpaceTypeError: for what JSON cannot hold (``sample_from`` functions, objects
            among the categories), naming the parameter.
        """
        described = self.to_dict()
        for name, spec in flat_space(described).items():
            if spec["type"] == "sample_from":
                raise SpaceTypeError(
                    f"parameter {name!r} is sample_from({spec['func']}): a function cannot be "
                    "written as JSON. Replace it with a domain or a constant."
                )
            try:
                json.dumps(spec, allow_nan=False)
            except (TypeError, ValueError) as err:
                raise SpaceTypeError(
                    f"parameter {name!r} ({describe(self.flat().get(name))}) holds a value JSON "
                    f"cannot represent: {err}. Use numbers, strings, booleans or None."
                ) from None
        return json.dumps({"tunebook_space": SPACE_FORMAT, "params": described}, **dumps_kwargs)

    @classmethod
    def from_dict(cls, described: Mapping[str, Any]) -> Space:
        """Rebuild a Space from :meth:`to_dict`'s output."""
        return cls({name: _build(spec) for name, spec in described.items()})

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
            >>> Space({"depth": randint(2, 10)}).to_optuna()["depth"]
            IntDistribution(high=9, log=False, low=2, step=1)
        """
        import optuna.distributions as od

        out: dict[str, Any] = {}
        for name, value in self.flat().items():
            spec = _spec(value)
            kind = spec["type"]
            if kind == "constant":
                continue
            if kind in ("uniform", "loguniform", "quniform", "qloguniform"):
                out[name] = od.FloatDistribution(
                    spec["lower"], spec["upper"], log="log" in kind, step=spec.get("q")
                )
                if "q" in spec and "log" in kind:
                    raise SpaceTypeError(
                        f"parameter {name!r}: Optuna cannot quantize a log scale "
                        f"({describe(value)}); use loguniform or quniform."
                    )
            elif kind in ("randint", "lograndint"):
                out[name] = od.IntDistribution(
                    spec["lower"], spec["upper"] - 1, log=kind == "lograndint"
                )
            elif kind == "choice":
                out[name] = od.CategoricalDistribution(spec["values"])
            else:
                raise SpaceTypeError(
                    f"parameter {name!r}: Optuna has no distribution for {describe(value)}; "
                    "use uniform, loguniform, quniform, randint, lograndint or choice."
                )
        return out

    def __repr__(self) -> str:
        return "Space(" + ", ".join(f"{k}={describe(v)}" for k, v in self._params.items()) + ")"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='text-align:left'><code>{html.escape(name)}</code></td>"
            f"<td style='text-align:left'><code>{html.escape(describe(value))}</code></td></tr>"
            for name, value in self.flat().items()
        )
        return (
            "<table><thead><tr><th style='text-align:left'>parameter</th>"
            f"<th style='text-align:left'>domain</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<small>Space with {len(self.flat())} parameters</small>"
        )
