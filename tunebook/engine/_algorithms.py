"""Schedulers and searches by name: Ray Tune's own objects, built from the options and the
space, with every extra a search needs checked before the run."""

from __future__ import annotations

import importlib.util
import warnings
from typing import Any

from tunebook.engine import _pbt
from tunebook.engine._options import KNOBS, knob_value, knobs_of
from tunebook.errors import OptionError, did_you_mean
from tunebook.space import Space, is_grid

SCHEDULERS = ("fifo", "asha", "hyperband", "median", "bohb", "pbt", "pb2")
SEARCHES = ("random", "grid", "tpe", "gp", "qmc", "cmaes", "hyperopt", "bohb", "bayesopt")
#: Search algorithms that sample through Optuna (Ray Tune's OptunaSearch), by sampler.
OPTUNA_SAMPLERS = {
    "tpe": "TPESampler",
    "gp": "GPSampler",
    "qmc": "QMCSampler",
    "cmaes": "CmaEsSampler",
}
#: The packages a search needs beyond tunebook's own, and the extra that installs them.
SEARCH_EXTRAS = {
    "gp": (("torch",), "tunebook[gp]"),
    "cmaes": (("cmaes",), "tunebook[cmaes]"),
    "hyperopt": (("hyperopt",), "tunebook[hyperopt]"),
    "bohb": (("hpbandster", "ConfigSpace"), "tunebook[bohb]"),
    "bayesopt": (("bayes_opt",), "tunebook[bayesopt]"),
}
#: Searches that can start from given configs (a warm start).
WARM_STARTS = ("random", "tpe", "gp", "qmc", "cmaes", "hyperopt", "bohb")


def choose(kind: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise OptionError(
            f"unknown {kind} {value!r}; tunebook knows {', '.join(allowed)}, or pass a Ray Tune "
            f"object.{did_you_mean(value, allowed)}"
        )
    return value


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module set to None
        return False


def check_extras(search: str) -> None:
    """Refuse, before the run, a search whose packages are not installed, naming the extra."""
    if search not in SEARCH_EXTRAS:
        return
    packages, extra = SEARCH_EXTRAS[search]
    missing = [package for package in packages if not _installed(package)]
    if missing:
        raise OptionError(
            f"search={search!r} needs the {' and '.join(missing)} package"
            f"{'s' if len(missing) > 1 else ''}, which {'are' if len(missing) > 1 else 'is'} "
            f"not installed: pip install '{extra}'."
        )


def scheduler(chosen: Any, knobs: dict[str, Any], space: Space) -> tuple[Any, str]:
    """The Ray Tune scheduler object for a name (or the object itself), and its label."""
    from ray.tune.schedulers import (
        ASHAScheduler,
        FIFOScheduler,
        HyperBandForBOHB,
        HyperBandScheduler,
        MedianStoppingRule,
        TrialScheduler,
    )

    given = {k: v for k, v in knobs.items() if v is not None}
    if isinstance(chosen, TrialScheduler):
        if given:
            raise OptionError(
                f"{', '.join(given)} configure a scheduler chosen by name; set them on your "
                f"{type(chosen).__name__} object instead."
            )
        return chosen, type(chosen).__name__
    if not isinstance(chosen, str):
        raise OptionError(
            f"scheduler must be a name ({', '.join(SCHEDULERS)}) or a Ray Tune TrialScheduler, "
            f"got {chosen!r}."
        )
    name = choose("scheduler", chosen.lower(), SCHEDULERS)
    takes = knobs_of(name)
    for knob in given:
        if knob not in takes:
            raise OptionError(
                f"scheduler {name!r} takes no {knob} (it takes {', '.join(takes) or 'no knobs'})."
            )
    value = {knob: knob_value(knob, name, given) for knob in takes}
    if "max_t" in value and "grace_period" in value and value["grace_period"] > value["max_t"]:
        raise OptionError(
            f"grace_period ({value['grace_period']}) must not exceed max_t ({value['max_t']})."
        )
    time_attr = "training_iteration"  # metric and mode come from TuneConfig
    if name == "fifo":
        return FIFOScheduler(), name
    if name == "asha":
        return ASHAScheduler(time_attr=time_attr, **value), name
    if name in ("pbt", "pb2"):
        return _population(name, value, space), name
    if name == "median":
        return MedianStoppingRule(time_attr=time_attr, **value), name
    kind = HyperBandForBOHB if name == "bohb" else HyperBandScheduler
    return kind(time_attr=time_attr, **value), name


def _population(name: str, value: dict[str, Any], space: Space) -> Any:
    """PBT or PB2 over the space's own domains (unless hyperparam_mutations/_bounds say)."""
    from ray.tune.schedulers import PopulationBasedTraining

    ray_space = space.to_ray()
    common = {
        "time_attr": "training_iteration",
        "perturbation_interval": value["perturbation_interval"],
        "quantile_fraction": value["quantile_fraction"],
        "synch": value["synch"],
    }
    if name == "pb2":
        bounds = value["hyperparam_bounds"] or _pbt.bounds(ray_space)
        if not bounds:
            raise OptionError(
                "scheduler='pb2' explores numeric ranges, and the space has none: give it "
                "uniform/loguniform/randint parameters, or hyperparam_bounds={name: [low, high]}."
            )
        from ray.tune.schedulers.pb2 import PB2  # imports scikit-learn

        return PB2(hyperparam_bounds=bounds, **common)
    mutations = value["hyperparam_mutations"]
    if mutations:  # the user's own: Ray's rules, unclipped
        return PopulationBasedTraining(hyperparam_mutations=dict(mutations), **common)
    mutations = _pbt.mutations(ray_space)
    if not mutations:
        raise OptionError(
            "scheduler='pbt' has nothing to explore: the space has only constants. Sample "
            "some parameters (uniform, choice, ...) or give hyperparam_mutations=."
        )
    return PopulationBasedTraining(
        hyperparam_mutations=mutations, custom_explore_fn=_pbt.Clip(ray_space), **common
    )


def search(
    chosen: Any,
    space: Space,
    seed: int | None,
    max_concurrent: int | None = None,
    points: list[dict[str, Any]] | None = None,
) -> tuple[Any, str]:
    """The Ray Tune search algorithm for a name (or the object itself), and its label;
    ``points`` (a warm start) are evaluated first."""
    from ray.tune.search import SearchAlgorithm, Searcher

    if isinstance(chosen, Searcher | SearchAlgorithm):
        if points:
            raise OptionError(
                f"warm_start=True with your own {type(chosen).__name__}: give it the parent's "
                "configs yourself (points_to_evaluate=parent.results.best_configs())."
            )
        return chosen, type(chosen).__name__
    if not isinstance(chosen, str):
        raise OptionError(
            f"search must be a name ({', '.join(SEARCHES)}) or a Ray Tune Searcher, got {chosen!r}."
        )
    name = choose("search", chosen.lower(), SEARCHES)
    grids = [k for k, v in space.flat().items() if is_grid(v)]
    if name == "grid" and not grids:
        raise OptionError(
            "search='grid' needs grid values: write the parameters as tb.grid([...]). "
            "For sampled parameters use search='random' or 'tpe'."
        )
    check_extras(name)
    if points and name not in WARM_STARTS:
        raise OptionError(
            f"warm_start=True does not work with search={name!r}: use {', '.join(WARM_STARTS)}."
        )
    points = points or None
    if name not in ("random", "grid"):
        if grids:
            raise OptionError(
                f"search={name!r} cannot take grid values ({', '.join(grids)}): it samples "
                "from distributions. Use tb.choice([...]) instead of tb.grid([...]), or "
                "search='grid'."
            )
        space.to_optuna()  # a clear error for what a model cannot sample (randn, ...)
    if name in OPTUNA_SAMPLERS:
        import optuna
        from ray.tune.search.optuna import OptunaSearch

        from tunebook._optuna import install

        install()  # its study's INFO lines, logged in the driver thread, stay out
        with warnings.catch_warnings():  # "... is experimental": tunebook tests them
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = getattr(optuna.samplers, OPTUNA_SAMPLERS[name])(seed=seed)
        return OptunaSearch(sampler=sampler, points_to_evaluate=points), name
    if name == "hyperopt":
        from ray.tune.search.hyperopt import HyperOptSearch

        return HyperOptSearch(random_state_seed=seed, points_to_evaluate=points), name
    if name == "bohb":
        from ray.tune.search.bohb import TuneBOHB

        return TuneBOHB(seed=seed, points_to_evaluate=points), name
    if name == "bayesopt":
        from tunebook.engine._bayesopt import BayesOptSearcher

        return BayesOptSearcher(space, seed), name
    from ray.tune.search import BasicVariantGenerator

    # Ray ignores TuneConfig(max_concurrent_trials) for a generator: it takes the limit itself
    return BasicVariantGenerator(
        random_state=seed, max_concurrent=max_concurrent or 0, points_to_evaluate=points
    ), name


def is_generator(search_alg: Any) -> bool:
    from ray.tune.search import BasicVariantGenerator

    return isinstance(search_alg, BasicVariantGenerator)


def describe_knobs() -> str:
    """Each scheduler's knobs and their defaults, one line each (for ``%%tune?``)."""
    lines = []
    for name in SCHEDULERS:
        knobs = [o for o in KNOBS if name in o.defaults]
        shown = ", ".join(
            f"{o.name}={o.defaults[name]!r}" if o.defaults[name] is not None else o.name
            for o in knobs
        )
        lines.append(f"{name}: {shown or 'no knobs'}")
    return "\n".join(lines)
