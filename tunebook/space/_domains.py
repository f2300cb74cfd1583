"""The domain functions: each checks its arguments, then returns Ray Tune's own domain object.

Ray Tune's domains are the canonical representation, so ``tune.loguniform(...)`` and
``tb.loguniform(...)`` are interchangeable everywhere. Ray is imported when a domain is made,
not when this module is: reading a described space (a results folder) needs no Ray.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tunebook.errors import SpaceTypeError, SpaceValueError
from tunebook.space._checks import FIELDS, check, describe_spec

if TYPE_CHECKING:
    from ray.tune.search.sample import Categorical, Float, Integer

#: Ray Tune's module of domain classes (``Float``, ``Integer``, ``Categorical``...).
RAY_DOMAINS = "ray.tune.search.sample"


def _ray() -> ModuleType:
    import ray.tune.search.sample as sample

    readable(sample)
    return sample


def _domain_text(domain: Any) -> str:
    try:
        return describe_spec(spec(domain))
    except Exception:  # a repr never raises: Ray's own form, then
        return object.__repr__(domain)


def readable(sample: ModuleType) -> None:
    """Ray's domain objects print as ``<ray.tune.search.sample.Float object at 0x..>``, alone,
    in a Space's values and in a DataFrame of stages alike: give them the text the vocabulary
    writes them in (``loguniform(0.0001, 0.1)``), unless Ray has a repr of its own."""
    if sample.Domain.__repr__ is object.__repr__:
        sample.Domain.__repr__ = _domain_text


def uniform(lower: float, upper: float) -> Float:
    """A float sampled uniformly from ``[lower, upper)``.

    Example:
        >>> uniform(0.0, 0.5).upper
        0.5
    """
    check({"type": "uniform", "lower": lower, "upper": upper})
    return _ray().Float(float(lower), float(upper)).uniform()


def loguniform(lower: float, upper: float) -> Float:
    """A float sampled uniformly in log space from ``[lower, upper)``; both must be > 0.

    Example:
        >>> loguniform(1e-4, 1e-1).lower
        0.0001
    """
    check({"type": "loguniform", "lower": lower, "upper": upper})
    return _ray().Float(float(lower), float(upper)).loguniform()


def quniform(lower: float, upper: float, q: float) -> Float:
    """A float sampled uniformly from ``[lower, upper]`` and rounded to a multiple of ``q``.

    Example:
        >>> quniform(0.0, 1.0, 0.25).sampler.q
        0.25
    """
    check({"type": "quniform", "lower": lower, "upper": upper, "q": q})
    return _ray().Float(float(lower), float(upper)).uniform().quantized(q)


def qloguniform(lower: float, upper: float, q: float) -> Float:
    """A float sampled log-uniformly from ``[lower, upper]`` and rounded to a multiple of ``q``.

    Example:
        >>> qloguniform(1, 1000, 1).upper
        1000.0
    """
    check({"type": "qloguniform", "lower": lower, "upper": upper, "q": q})
    return _ray().Float(float(lower), float(upper)).loguniform().quantized(q)


def randint(lower: int, upper: int) -> Integer:
    """An integer sampled uniformly from ``lower`` (inclusive) to ``upper`` (exclusive).

    Example:
        >>> randint(2, 10).upper
        10
    """
    check({"type": "randint", "lower": lower, "upper": upper})
    return _ray().Integer(int(lower), int(upper)).uniform()


def lograndint(lower: int, upper: int) -> Integer:
    """An integer sampled log-uniformly from ``lower`` (inclusive, >= 1) to ``upper`` (exclusive).

    Example:
        >>> lograndint(1, 1024).lower
        1
    """
    check({"type": "lograndint", "lower": lower, "upper": upper})
    return _ray().Integer(int(lower), int(upper)).loguniform()


def choice(categories: Sequence[Any]) -> Categorical:
    """One of ``categories``, each equally likely.

    Example:
        >>> choice([16, 32, 64]).categories
        [16, 32, 64]
    """
    check({"type": "choice", "values": categories})
    return _ray().Categorical(list(categories)).uniform()


def grid(values: Sequence[Any]) -> dict[str, list[Any]]:
    """Every one of ``values``, once (Ray Tune's ``grid_search``; grids multiply).

    Example:
        >>> grid([1, 2])
        {'grid_search': [1, 2]}
    """
    check({"type": "grid", "values": values})
    return {"grid_search": list(values)}


def randn(mean: float = 0.0, sd: float = 1.0) -> Float:
    """A float drawn from a normal distribution with ``mean`` and standard deviation ``sd``.

    Example:
        >>> randn(0.0, 2.0).sampler.sd
        2.0
    """
    check({"type": "randn", "mean": mean, "sd": sd})
    return _ray().Float(None, None).normal(float(mean), float(sd))


def is_grid(value: object) -> bool:
    """Whether ``value`` is a grid (``tb.grid([...])`` or Ray's ``tune.grid_search``)."""
    return isinstance(value, Mapping) and set(value) == {"grid_search"}


def spec(value: Any) -> dict[str, Any]:
    """Describe one domain (or constant) as a JSON-ready dict ``{"type": ..., ...}``.

    Example:
        >>> spec(randint(2, 10))
        {'type': 'randint', 'lower': 2, 'upper': 10}
    """
    if is_grid(value):
        return {"type": "grid", "values": list(value["grid_search"])}
    sample = sys.modules.get(RAY_DOMAINS)  # without Ray loaded, nothing is a Ray domain
    if sample is None or not isinstance(value, sample.Domain):
        return {"type": "constant", "value": value}
    readable(sample)  # also a domain made by Ray Tune directly (tune.uniform)
    if isinstance(value, sample.Function):
        return {"type": "sample_from", "func": getattr(value.func, "__name__", repr(value.func))}
    sampler = value.get_sampler()
    q = None
    if isinstance(sampler, sample.Quantized):
        q, sampler = sampler.q, sampler.sampler
    sampler_kind = type(sampler).__mro__[1].__name__  # Float._LogUniform -> LogUniform
    if isinstance(value, sample.Categorical):
        return {"type": "choice", "values": list(value.categories)}
    if isinstance(value, sample.Float):
        if sampler_kind == "Normal":
            described: dict[str, Any] = {"type": "randn", "mean": sampler.mean, "sd": sampler.sd}
        else:
            kind = "loguniform" if sampler_kind == "LogUniform" else "uniform"
            described = {"type": kind, "lower": value.lower, "upper": value.upper}
        if q is not None:
            described["type"] = "q" + described["type"]
            described["q"] = q
        return described
    if isinstance(value, sample.Integer):
        kind = "lograndint" if sampler_kind == "LogUniform" else "randint"
        described = {"type": kind, "lower": value.lower, "upper": value.upper}
        if q is not None and q != 1:
            described["type"] = "q" + kind
            described["q"] = q
        return described
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
assert set(_BUILDERS) == set(FIELDS)


def build(described: Mapping[str, Any]) -> Any:
    """The domain (or constant) a spec describes: the inverse of :func:`spec`.

    Raises:
        SpaceValueError: a kind the vocabulary cannot make (``sample_from``: a function is not
            written down), or values that break the kind's rules.
    """
    kind = described.get("type")
    if kind == "constant":
        return described["value"]
    if kind not in _BUILDERS:
        raise SpaceValueError(
            f"cannot rebuild a domain of type {kind!r}: tunebook knows "
            f"{', '.join(sorted([*_BUILDERS, 'constant', 'space']))}."
        )
    return _BUILDERS[str(kind)](described)


def validate_domain(name: str, value: Any) -> None:
    """Check a domain, including one made by Ray Tune directly, with tunebook's rules; or a
    constant: the domains inside its lists and tuples, and that JSON holds what it holds.

    Raises:
        SpaceValueError, SpaceTypeError: naming the parameter (``x[0]`` inside a list), the
            value and the rule.

    Example:
        >>> from ray import tune
        >>> validate_domain("lr", tune.uniform(2, 1))
        Traceback (most recent call last):
        ...
        tunebook.errors.SpaceValueError: parameter 'lr': uniform(2, 1): ...
    """
    described = spec(value)
    if described["type"] == "constant":
        _constant(name, value)
        return
    try:
        check(described)
    except (SpaceValueError, SpaceTypeError) as err:
        raise type(err)(f"parameter {name!r}: {err}") from None


#: What a constant may hold besides lists, tuples and dicts: what the record keeps as JSON
#: (numpy arrays and scalars of these kinds become its numbers, strings and lists).
_JSON_SCALARS = (type(None), bool, int, float, str)
_NUMPY_KINDS = "biufU"  # bool, int, unsigned, float, str (not object, complex, dates, bytes)


def _constant(name: str, value: Any) -> None:
    """A constant reaches the trial as it is and the record as JSON: refuse what the two
    would not agree on (a set, a function, an object), and check the domains Ray samples
    inside lists and tuples (``{"x": [tune.uniform(0, 1)]}``) as a dict's are."""
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            validate_domain(f"{name}[{index}]", item)
    elif isinstance(value, Mapping):  # a dict inside a list: Ray samples its domains too
        for key, item in value.items():
            validate_domain(f"{name}[{key!r}]", item)
    elif isinstance(value, set | frozenset):
        try:
            items = sorted(value)
        except TypeError:
            items = list(value)
        raise SpaceTypeError(
            f"parameter {name!r}: {value!r} is a set, and a set cannot be a constant: it has no "
            "order, so the record (JSON) could not say what the trial got. Write a list or "
            f"tuple, {items!r}; to search over its values, use tb.choice({items!r}) or "
            f"tb.grid({items!r})."
        )
    elif not isinstance(value, _JSON_SCALARS) and not _numpy_data(value):
        root = name.split("[")[0]
        raise SpaceTypeError(
            f"parameter {name!r}: {_shown(value)} cannot be a constant: constants are recorded "
            "as JSON, so they are numbers, strings, booleans, None, numpy arrays, or lists, "
            "tuples and dicts of these. Use it in the trial function by name instead (a "
            f"closure), or pass it with tb.run(..., with_parameters={{{root!r}: ...}}) and "
            "take it as a keyword argument."
        )


def _numpy_data(value: Any) -> bool:
    """A numpy array or scalar of numbers, booleans or strings (without numpy loaded,
    nothing is one)."""
    numpy = sys.modules.get("numpy")
    return (
        numpy is not None
        and isinstance(value, numpy.ndarray | numpy.generic)
        and value.dtype.kind in _NUMPY_KINDS
    )


def _shown(value: Any) -> str:
    """``the function make_model``, ``the class Model``, else the value's repr and type."""
    if inspect.isclass(value):
        return f"the class {value.__name__}"
    if inspect.isroutine(value):
        return f"the function {getattr(value, '__name__', repr(value))}"
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{text} ({type(value).__name__})"


if RAY_DOMAINS in sys.modules:  # Ray came first: its domains read well from now on too
    readable(sys.modules[RAY_DOMAINS])
