"""``run``: check everything, build a Ray Tune ``Tuner`` with fast defaults, start it."""

from __future__ import annotations

import datetime as dt
import importlib.util
import inspect
import math
import os
import re
import sys
import sysconfig
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ray.tune import Stopper

from tunebook.engine._cluster import check_resources, ensure_ray
from tunebook.engine._control import StopControl
from tunebook.engine._experiment import Experiment
from tunebook.engine._recorder import Recorder, SilentReporter
from tunebook.engine._schedulers import recording
from tunebook.errors import OptionError, did_you_mean
from tunebook.events import EVENTS_FILE, EventLog
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
#: The package a search algorithm needs beyond tunebook's own, and the extra that installs it.
SEARCH_EXTRAS = {
    "gp": ("torch", "tunebook[gp]"),
    "cmaes": ("cmaes", "tunebook[cmaes]"),
    "hyperopt": ("hyperopt", "tunebook[hyperopt]"),
}
#: Which knob each scheduler takes.
KNOBS = {
    "fifo": (),
    "asha": ("max_t", "grace_period", "reduction_factor", "brackets"),
    "hyperband": ("max_t", "reduction_factor"),
    "median": ("grace_period",),
    "bohb": ("max_t", "reduction_factor"),
    "pbt": ("perturbation_interval", "quantile_fraction", "hyperparam_mutations", "synch"),
    "pb2": ("perturbation_interval", "quantile_fraction", "hyperparam_bounds", "synch"),
}
#: Knobs that are numbers (the others are dicts).
NUMERIC_KNOBS = (
    "max_t",
    "grace_period",
    "reduction_factor",
    "brackets",
    "perturbation_interval",
    "quantile_fraction",
)
#: Iterations between PBT's looks at the population, unless perturbation_interval says.
PERTURBATION_INTERVAL = 5
#: Ray Tune's own files (its state is pickled) go here, beside the experiment folders, so that
#: an experiment folder holds JSON only.
RAY_STATE_DIR = ".ray"


#: Every experiment this process started, oldest first (``%tune list``, ``experiments()``).
EXPERIMENTS: list[Experiment] = []


def experiments() -> list[Experiment]:
    """The experiments started in this process (this kernel), oldest first."""
    return list(EXPERIMENTS)


def default_storage() -> Path:
    """Where experiment folders go: ``$TUNEBOOK_RESULTS``, else ``~/tunebook_results``."""
    return Path(os.environ.get("TUNEBOOK_RESULTS") or Path.home() / "tunebook_results")


def _choose(kind: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise OptionError(
            f"unknown {kind} {value!r}; tunebook knows {', '.join(allowed)}, or pass a Ray Tune "
            f"object.{did_you_mean(value, allowed)}"
        )
    return value


def _scheduler(scheduler: Any, knobs: dict[str, Any], space: Space) -> tuple[Any, str]:
    """The Ray Tune scheduler object for a name (or the object itself), and its label."""
    from ray.tune.schedulers import (
        ASHAScheduler,
        FIFOScheduler,
        HyperBandScheduler,
        MedianStoppingRule,
        TrialScheduler,
    )

    given = {k: v for k, v in knobs.items() if v is not None}
    if isinstance(scheduler, TrialScheduler):
        if given:
            raise OptionError(
                f"{', '.join(given)} configure a scheduler chosen by name; set them on your "
                f"{type(scheduler).__name__} object instead."
            )
        return scheduler, type(scheduler).__name__
    if not isinstance(scheduler, str):
        raise OptionError(
            f"scheduler must be a name ({', '.join(SCHEDULERS)}) or a Ray Tune TrialScheduler, "
            f"got {scheduler!r}."
        )
    name = _choose("scheduler", scheduler.lower(), SCHEDULERS)
    for knob in given:
        if knob not in KNOBS[name]:
            takes = ", ".join(KNOBS[name]) or "no knobs"
            raise OptionError(f"scheduler {name!r} takes no {knob} (it takes {takes}).")
    for knob, value in given.items():
        if knob == "synch":
            if not isinstance(value, bool):
                raise OptionError(f"synch must be True or False, got {value!r}.")
        elif knob not in NUMERIC_KNOBS:
            if not isinstance(value, Mapping) or not value:
                raise OptionError(f"{knob} must be a non-empty dict, got {value!r}.")
        elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise OptionError(f"{knob} must be a positive number, got {value!r}.")
    if given.get("quantile_fraction", 0) > 0.5:
        raise OptionError(
            f"quantile_fraction must be at most 0.5, got {given['quantile_fraction']!r}: it is "
            "the share of the population at the bottom that clones the same share at the top."
        )
    if "brackets" in given and not isinstance(given["brackets"], int):
        raise OptionError(f"brackets must be a whole number, got {given['brackets']!r}.")
    if "reduction_factor" in given and given["reduction_factor"] <= 1:
        raise OptionError(
            f"reduction_factor must be greater than 1, got {given['reduction_factor']!r}: it is "
            "the factor by which each rung keeps fewer trials (2 keeps half, 4 a quarter)."
        )
    if "max_t" in given and "grace_period" in given and given["grace_period"] > given["max_t"]:
        raise OptionError(
            f"grace_period ({given['grace_period']}) must not exceed max_t ({given['max_t']})."
        )
    time_attr = "training_iteration"  # metric and mode come from TuneConfig
    if name == "fifo":
        return FIFOScheduler(), name
    if name == "asha":
        return ASHAScheduler(
            time_attr=time_attr,
            max_t=given.get("max_t", 100),
            grace_period=given.get("grace_period", 1),
            reduction_factor=given.get("reduction_factor", 4),
            brackets=int(given.get("brackets", 1)),
        ), name
    if name in ("pbt", "pb2"):
        return _population(name, given, space), name
    if name == "bohb":
        from ray.tune.schedulers import HyperBandForBOHB

        return HyperBandForBOHB(
            time_attr=time_attr,
            max_t=given.get("max_t", 81),
            reduction_factor=given.get("reduction_factor", 3),
        ), name
    if name == "hyperband":
        return HyperBandScheduler(
            time_attr=time_attr,
            max_t=given.get("max_t", 81),
            reduction_factor=given.get("reduction_factor", 3),
        ), name
    return MedianStoppingRule(time_attr=time_attr, grace_period=given.get("grace_period", 1)), name


def _population(name: str, given: dict[str, Any], space: Space) -> Any:
    """PBT or PB2 over the space's own domains (unless hyperparam_mutations/_bounds say)."""
    from ray.tune.schedulers import PopulationBasedTraining

    from tunebook.engine import _pbt

    ray_space = space.to_ray()
    common = {
        "time_attr": "training_iteration",
        "perturbation_interval": given.get("perturbation_interval", PERTURBATION_INTERVAL),
        "quantile_fraction": given.get("quantile_fraction", 0.25),
        "synch": given.get("synch", False),
    }
    if name == "pb2":
        bounds = given.get("hyperparam_bounds") or _pbt.bounds(ray_space)
        if not bounds:
            raise OptionError(
                "scheduler='pb2' explores numeric ranges, and the space has none: give it "
                "uniform/loguniform/randint parameters, or hyperparam_bounds={name: [low, high]}."
            )
        from ray.tune.schedulers.pb2 import PB2  # imports scikit-learn

        return PB2(hyperparam_bounds=bounds, **common)
    mutations = given.get("hyperparam_mutations")
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


def _search(
    search: Any,
    space: Space,
    seed: int | None,
    max_concurrent: int | None = None,
    points: list[dict[str, Any]] | None = None,
) -> tuple[Any, str]:
    """The Ray Tune search algorithm for a name (or the object itself), and its label;
    ``points`` (a warm start) are evaluated first."""
    from ray.tune.search import SearchAlgorithm, Searcher

    if isinstance(search, Searcher | SearchAlgorithm):
        if points:
            raise OptionError(
                f"warm_start=True with your own {type(search).__name__}: give it the parent's "
                "configs yourself (points_to_evaluate=parent.results.best_configs())."
            )
        return search, type(search).__name__
    if not isinstance(search, str):
        raise OptionError(
            f"search must be a name ({', '.join(SEARCHES)}) or a Ray Tune Searcher, got {search!r}."
        )
    name = _choose("search", search.lower(), SEARCHES)
    grids = [k for k, v in space.flat().items() if is_grid(v)]
    if name == "grid" and not grids:
        raise OptionError(
            "search='grid' needs grid values: write the parameters as tb.grid([...]). "
            "For sampled parameters use search='random' or 'tpe'."
        )
    if name in SEARCH_EXTRAS:
        package, extra = SEARCH_EXTRAS[name]
        if importlib.util.find_spec(package) is None:
            raise OptionError(
                f"search={name!r} needs the {package} package, which is not installed: "
                f"pip install '{extra}'."
            )
    if points and name in ("grid", "bayesopt"):
        raise OptionError(
            f"warm_start=True does not work with search={name!r}: use random, tpe, gp, qmc, "
            "cmaes, hyperopt or bohb."
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

        optuna.logging.set_verbosity(optuna.logging.WARNING)
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


def _is_generator(search_alg: Any) -> bool:
    from ray.tune.search import BasicVariantGenerator

    return isinstance(search_alg, BasicVariantGenerator)


def _own_metric(objects: list[Any], metric: str, mode: str) -> bool:
    """Whether a Ray object the user built carries its own metric and mode (Ray then refuses
    them on TuneConfig too); they must agree with ``metric`` and ``mode``."""
    own = False
    for obj in objects:
        their_metric = getattr(obj, "metric", None) or getattr(obj, "_metric", None)
        their_mode = getattr(obj, "mode", None) or getattr(obj, "_mode", None)
        if their_metric in (None, "_metric"):
            continue
        if (their_metric, their_mode) != (metric, mode):
            raise OptionError(
                f"your {type(obj).__name__} optimises {their_metric!r} ({their_mode}), but "
                f"metric={metric!r}, mode={mode!r}: make them agree."
            )
        own = True
    return own


def _ship_by_value(objective: Any) -> None:
    """Let Ray's workers run a function whose module they cannot import by name.

    A local Ray's workers find modules in the installed packages, the driver script's folder
    and the current folder. A module found through a folder put on ``sys.path`` at run time
    (by pytest, or ``sys.path.append`` in a notebook) is pickled by value instead, as Ray does
    for functions defined in a notebook.
    """
    import ray.cloudpickle

    name = getattr(objective, "__module__", None) or ""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    if module is None or name == "__main__" or not file:
        return
    root = Path(file).resolve().parent
    for _ in range(name.count(".") + (Path(file).name == "__init__.py")):
        root = root.parent
    added = {Path(p).resolve() for p in sys.path if p} - {
        Path(p).resolve() for p in sysconfig.get_paths().values()
    }
    known = {Path.cwd().resolve(), Path(sys.argv[0] or ".").resolve().parent}
    if root in added and root not in known and "site-packages" not in root.parts:
        ray.cloudpickle.register_pickle_by_value(module)


def _objective(objective: Any, shared: Mapping[str, Any]) -> str:
    """Check the trial function (or Ray Trainable class); return a name for it.

    The function takes the config, and by keyword each name of ``shared``
    (``with_parameters``)."""
    from ray.tune import Trainable

    if inspect.isclass(objective) and issubclass(objective, Trainable):
        return objective.__name__
    if not callable(objective):
        raise OptionError(
            f"objective must be a function that takes the config dict, got {objective!r}."
        )
    try:
        signature = inspect.signature(objective)
    except (TypeError, ValueError):
        return getattr(objective, "__name__", type(objective).__name__)
    label = getattr(objective, "__name__", type(objective).__name__)
    parameters = signature.parameters
    positional = [
        p
        for p in parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.default is p.empty
        and p.name not in shared
    ]
    varargs = any(p.kind == p.VAR_POSITIONAL for p in parameters.values())
    if len(positional) > 1 or (not positional and not varargs):
        raise OptionError(
            f"objective {label}{signature} must take exactly one argument, the config dict: "
            "def objective(config): ..."
        )
    takes_any = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    missing = [name for name in shared if name not in parameters and not takes_any]
    if missing:
        raise OptionError(
            f"with_parameters passes {', '.join(missing)} by keyword, but objective "
            f"{label}{signature} takes no such argument."
        )
    return label


def _resources(resources: Mapping[str, float] | None) -> dict[str, float] | None:
    if resources is None:
        return None
    if not isinstance(resources, Mapping) or not resources:
        raise OptionError(
            f"resources_per_trial must be a dict such as {{'cpu': 1, 'gpu': 0.5}}, got "
            f"{resources!r}."
        )
    out: dict[str, float] = {}
    for key, amount in resources.items():
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise OptionError(
                f"resources_per_trial[{key!r}] must be a number >= 0, got {amount!r}."
            )
        out[str(key).lower() if str(key).lower() in ("cpu", "gpu") else str(key)] = amount
    return out


def _name(name: str | None, base: str, storage: Path) -> str:
    if name is not None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise OptionError(
                f"name {name!r} must start with a letter or digit and hold only letters, digits, "
                "'.', '_' and '-' (it names the experiment's folder)."
            )
        if (storage / name / EVENTS_FILE).exists():
            raise OptionError(
                f"an experiment named {name!r} already exists in {storage}; choose another "
                "name, or load it with tb.load()."
            )
        return name
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base).strip("_") or "experiment"
    candidate, n = f"{base}-{stamp}", 1
    while (storage / candidate).exists():
        n += 1
        candidate = f"{base}-{stamp}-{n}"
    return candidate


def _total_trials(space: Space, num_samples: int) -> int | None:
    if num_samples < 0:
        return None
    grids = [len(v["grid_search"]) for v in space.flat().values() if is_grid(v)]
    return num_samples * math.prod(grids)


def run(
    objective: Callable[[dict[str, Any]], Any] | Any,
    space: Mapping[str, Any],
    *,
    metric: str,
    mode: str,
    num_samples: int = 1,
    max_concurrent_trials: int | None = None,
    scheduler: Any = "fifo",
    search: Any = "random",
    resources_per_trial: Mapping[str, float] | None = None,
    time_budget_s: float | None = None,
    name: str | None = None,
    storage_path: str | Path | None = None,
    seed: int | None = None,
    address: str | None = None,
    wait: bool = False,
    max_t: int | None = None,
    grace_period: int | None = None,
    reduction_factor: float | None = None,
    brackets: int | None = None,
    perturbation_interval: int | None = None,
    quantile_fraction: float | None = None,
    hyperparam_mutations: Mapping[str, Any] | None = None,
    hyperparam_bounds: Mapping[str, Any] | None = None,
    synch: bool | None = None,
    keep_checkpoints: int | None = None,
    checkpoint_score: str | None = None,
    adaptive_resources: bool = False,
    max_failures: int = 0,
    with_parameters: Mapping[str, Any] | None = None,
    parent: Any = None,
    warm_start: bool = False,
) -> Experiment:
    """Tune ``objective`` over ``space`` on Ray Tune and return the running :class:`Experiment`.

    Everything is checked before any trial starts. The run goes on in a background thread
    (``wait=True`` blocks until it ends); every start, report and end is recorded in the
    experiment folder's ``events.jsonl``.

    Args:
        objective: ``def objective(config)`` that calls ``tb.report(**metrics)`` (or Ray's
            ``tune.report``) any number of times, or returns a dict of metrics once. A Ray
            ``Trainable`` class works too, and so does a Ray Train trainer
            (``TorchTrainer(train_func, scaling_config=...)``): each trial runs its ``fit()``
            with the trial's ``train_loop_config``, and the workers' ``ray.train.report``
            metrics are the trial's reports. Its space is ``{"train_loop_config": {...}}``;
            its ScalingConfig sets each trial's resources, and as many trials run at once
            as the cluster holds (unless max_concurrent_trials says).
        space: parameter name -> domain (``tb.loguniform(...)``, Ray's ``tune.*``), grid,
            constant or nested dict; or a :class:`tunebook.Space`.
        metric: the metric to optimise, as the trial reports it.
        mode: ``"max"`` or ``"min"``.
        num_samples: trials to sample (each grid value is tried ``num_samples`` times).
        max_concurrent_trials: at most this many trials at once (default: as resources allow).
        scheduler: ``"fifo"``, ``"asha"``, ``"hyperband"``, ``"median"``, ``"bohb"``,
            ``"pbt"``, ``"pb2"``, or a Ray Tune ``TrialScheduler``.
        search: ``"random"``, ``"grid"``, ``"tpe"``, ``"gp"``, ``"qmc"``, ``"cmaes"``
            (Optuna's samplers), ``"hyperopt"``, ``"bohb"``, ``"bayesopt"`` (a Gaussian
            process, through bayesian-optimization 3.x), or a Ray Tune ``Searcher``. All but
            random, grid, tpe and qmc need an extra: ``pip install 'tunebook[NAME]'``.
        resources_per_trial: e.g. ``{"cpu": 2, "gpu": 0.5}``; default one CPU. A request
            that no node of the cluster can hold is refused before the run.
        time_budget_s: stop the whole experiment after this many seconds.
        name: the experiment's name and folder (default: objective name and time).
        storage_path: the folder experiment folders go in (default ``$TUNEBOOK_RESULTS`` or
            ``~/tunebook_results``).
        seed: seeds the search, for a repeatable choice of configs.
        address: a Ray cluster to run on (default: ``RAY_ADDRESS``, else a local Ray).
        wait: block until the experiment ends.
        max_t, grace_period, reduction_factor, brackets: the early-stopping scheduler's
            knobs (iterations; see ``KNOBS`` for which scheduler takes which).
        perturbation_interval, quantile_fraction: PBT's and PB2's knobs: iterations between
            looks at the population (default 5), and the share at the bottom that clones the
            same share at the top (default 0.25).
        hyperparam_mutations: PBT's mutations (Ray's form); default: every sampled parameter
            of the space, numbers perturbed x1.2/x0.8 or resampled and kept within their
            bounds, choices shifted to a neighbour or resampled.
        hyperparam_bounds: PB2's ``{name: [low, high]}``; default: the space's numeric ranges.
        synch: PBT/PB2 compare the whole population at each interval (members wait for each
            other) instead of each member against the others' latest scores (the default,
            Ray's asynchronous PBT). Better for a small population that runs at once.
        keep_checkpoints: keep this many checkpoints per trial (``report(state=...)`` writes
            one per report; default: all), and the latest one besides (Ray resumes from it).
        checkpoint_score: which checkpoints ``keep_checkpoints`` keeps, and which one
            ``results.best().checkpoint`` is: the best by this metric (``"acc"``, in the
            experiment's mode, or ``"loss:min"``); default: the latest.
        adaptive_resources: give the CPUs (and GPUs) that finished trials free up to the
            trials still running (Ray Tune's ``ResourceChangingScheduler`` around the
            scheduler). A trial's resources change at a pause and restart: it goes on from its
            last ``report(state=...)`` (read it with ``tb.restore()``) and can read what it
            holds with ``ray.tune.get_context().get_trial_resources()``.
        max_failures: retry a failed trial this many times.
        with_parameters: large objects (data sets, arrays) the objective takes as keyword
            arguments: they go through Ray's object store once per experiment, not once per
            trial (Ray Tune's ``tune.with_parameters``).
        parent: the previous stage of a coarse-to-fine search (an ``Experiment`` or
            ``Results``; waits for it to end): recorded with this one, so that
            ``results.stages`` shows the chain. Usually with ``space=parent.results.refine()``.
        warm_start: first evaluate the parent's best configs (those of ``refine``'s top
            trials that fit this space), then search as usual; they count in num_samples.

    Returns:
        The :class:`Experiment` (already running).

    Raises:
        OptionError, SpaceValueError, SpaceTypeError: bad input, before anything runs.

    Example:
        >>> import tunebook as tb
        >>> def objective(config):
        ...     for step in range(5):
        ...         tb.report(loss=(config["x"] - 0.3) ** 2 / (step + 1))
        >>> exp = tb.run(objective, {"x": tb.uniform(0, 1)}, metric="loss", mode="min",
        ...              num_samples=8, wait=True)  # doctest: +SKIP
        >>> exp.results.best().config  # doctest: +SKIP
    """
    from ray import tune

    from tunebook.engine import _train

    shared = dict(with_parameters or {})
    trainer = _train.is_trainer(objective)
    if trainer:
        label = type(objective).__name__
        _train_options(label, space, shared, resources_per_trial, adaptive_resources)
        _ship_by_value(getattr(objective, "train_loop_per_worker", None))
    elif _train.is_legacy_trainer(objective):
        label = type(objective).__name__  # Ray Tune runs a V1 trainer itself
    else:
        label = _objective(objective, shared)
        _ship_by_value(objective)
    if not isinstance(metric, str) or not metric:
        raise OptionError(f"metric must be the name of a reported metric, got {metric!r}.")
    if mode not in ("max", "min"):
        raise OptionError(
            f"mode must be 'max' or 'min', got {mode!r}.{did_you_mean(str(mode), ['max', 'min'])}"
        )
    if not isinstance(space, Mapping):
        raise OptionError(f"space must be a dict of parameter -> domain, got {space!r}.")
    space = space if isinstance(space, Space) else Space(space)
    if (
        isinstance(num_samples, bool)
        or not isinstance(num_samples, int)
        or (num_samples < 1 and not (num_samples == -1 and time_budget_s))
    ):
        raise OptionError(
            f"num_samples must be an integer >= 1 (or -1 with a time_budget_s), got "
            f"{num_samples!r}."
        )
    if max_concurrent_trials is not None and (
        isinstance(max_concurrent_trials, bool)
        or not isinstance(max_concurrent_trials, int)
        or max_concurrent_trials < 1
    ):
        raise OptionError(
            f"max_concurrent_trials must be an integer >= 1, got {max_concurrent_trials!r}."
        )
    if time_budget_s is not None and (
        isinstance(time_budget_s, bool)
        or not isinstance(time_budget_s, int | float)
        or time_budget_s <= 0
    ):
        raise OptionError(f"time_budget_s must be a positive number, got {time_budget_s!r}.")
    if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < -1:
        raise OptionError(
            f"max_failures must be an integer >= 0 (-1: forever), got {max_failures!r}."
        )
    if search == "bohb" and scheduler == "fifo":
        scheduler = "bohb"  # BOHB is a search and its HyperBand together
    if (scheduler == "bohb") != (search == "bohb") and isinstance(scheduler, str):
        raise OptionError(
            "BOHB is a search and a scheduler that work together: pass search='bohb' (the "
            "scheduler follows), or both search='bohb' and scheduler='bohb'."
        )
    if keep_checkpoints is not None and (
        isinstance(keep_checkpoints, bool)
        or not isinstance(keep_checkpoints, int)
        or keep_checkpoints < 1
    ):
        raise OptionError(f"keep_checkpoints must be an integer >= 1, got {keep_checkpoints!r}.")
    score = _checkpoint_score(checkpoint_score, metric, mode)
    if not isinstance(adaptive_resources, bool):
        raise OptionError(f"adaptive_resources must be True or False, got {adaptive_resources!r}.")
    ray_scheduler, scheduler_label = _scheduler(
        scheduler,
        {
            "max_t": max_t,
            "grace_period": grace_period,
            "reduction_factor": reduction_factor,
            "brackets": brackets,
            "perturbation_interval": perturbation_interval,
            "quantile_fraction": quantile_fraction,
            "hyperparam_mutations": hyperparam_mutations,
            "hyperparam_bounds": hyperparam_bounds,
            "synch": synch,
        },
        space,
    )
    if scheduler_label in ("pbt", "pb2") and search not in ("random", "grid"):
        raise OptionError(
            f"scheduler={scheduler_label!r} explores configs itself, from its population: it "
            f"takes no search algorithm (search={search!r}). Use search='random' (or 'grid')."
        )
    stage, points = _parent_stage(parent, warm_start, space, num_samples)
    search_alg, search_label = _search(search, space, seed, max_concurrent_trials, points)
    own_metric = _own_metric([ray_scheduler, search_alg], metric, mode)
    resources = _resources(resources_per_trial)
    storage = Path(storage_path).expanduser().resolve() if storage_path else default_storage()
    exp_name = _name(name, label, storage)

    cluster = ensure_ray(address)
    if resources:
        check_resources(resources)
    concurrency = max_concurrent_trials
    if trainer:
        fits = _train.check_cluster(objective, label)
        concurrency = concurrency or fits
        if _is_generator(search_alg) and not search_alg.max_concurrent:
            search_alg.max_concurrent = concurrency

    path = storage / exp_name
    log = EventLog(path / EVENTS_FILE)
    control = StopControl()
    recorder = Recorder(
        log,
        control,
        metric,
        ray_scheduler,
        time_budget_s,
        resources=_train.workers_resources(objective) if trainer else None,
    )
    recording(ray_scheduler, recorder.decision, recorder.exploit)
    if trainer:
        # The trial only drives the run (Ray Train's controller takes no CPU); its workers
        # hold the resources. Ray refuses an empty request, and a sliver of a CPU would leave
        # the workers one CPU short: one byte of memory it is.
        trainable = tune.with_resources(
            _train.trainer_trial(
                objective,
                storage_path=str(storage / RAY_STATE_DIR / "train"),
                keep_checkpoints=keep_checkpoints,
                checkpoint_score=score,
            ),
            {"cpu": 0, "memory": 1},
        )
    else:
        trainable = tune.with_parameters(objective, **shared) if shared else objective
    if resources:
        trainable = tune.with_resources(trainable, resources)
    tune_scheduler = ray_scheduler
    if adaptive_resources:
        from ray.tune.schedulers import ResourceChangingScheduler
        from ray.tune.schedulers.resource_changing_scheduler import DistributeResources

        tune_scheduler = ResourceChangingScheduler(
            base_scheduler=ray_scheduler, resources_allocation_function=DistributeResources()
        )
    import ray

    log.append(
        "experiment_started",
        name=exp_name,
        metric=metric,
        mode=mode,
        space=space.to_dict(),
        num_samples=num_samples,
        total_trials=_total_trials(space, num_samples),
        scheduler=scheduler_label,
        search=search_label,
        max_concurrent_trials=concurrency,
        resources_per_trial=resources,
        adaptive_resources=adaptive_resources,
        trainer=_train.describe(objective) if trainer else None,
        keep_checkpoints=keep_checkpoints,
        checkpoint_score=None if score is None else {"metric": score[0], "mode": score[1]},
        time_budget_s=time_budget_s,
        seed=seed,
        objective=label,
        cluster=cluster,
        ray_version=ray.__version__,
        with_parameters=sorted(shared),
        parent=stage,
        warm_start=len(points or []),
    )
    log.flush()
    tuner = tune.Tuner(
        trainable,
        param_space=space.to_ray(),
        tune_config=tune.TuneConfig(
            metric=None if own_metric else metric,
            mode=None if own_metric else mode,
            num_samples=num_samples,
            max_concurrent_trials=None if _is_generator(search_alg) else concurrency,
            scheduler=tune_scheduler,
            search_alg=search_alg,
            time_budget_s=time_budget_s,
            reuse_actors=not adaptive_resources,  # Ray's ResourceChangingScheduler refuses it
        ),
        run_config=tune.RunConfig(
            name=exp_name,
            storage_path=str(storage / RAY_STATE_DIR),
            callbacks=[recorder],
            stop=control,
            verbose=0,
            progress_reporter=SilentReporter(),
            log_to_file=True,  # each trial's prints and warnings go to its record
            failure_config=tune.FailureConfig(max_failures=max_failures),
            checkpoint_config=tune.CheckpointConfig(
                num_to_keep=keep_checkpoints,
                checkpoint_score_attribute=None if score is None else score[0],
                checkpoint_score_order="max" if score is None else score[1],
            ),
        ),
    )
    experiment = Experiment(exp_name, path, log, control, tuner, time_budget_s)._start()
    EXPERIMENTS.append(experiment)
    if wait:
        experiment.wait()
    return experiment


def _checkpoint_score(value: Any, metric: str, mode: str) -> tuple[str, str] | None:
    """``"acc"`` (in the experiment's mode when it is the experiment's metric) or
    ``"loss:min"`` as ``(metric, order)``."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip(":"):
        raise OptionError(
            f"checkpoint_score must be a metric's name ('acc', or 'loss:min'), got {value!r}."
        )
    name, _, order = value.partition(":")
    if not order:
        if name != metric:
            raise OptionError(
                f"checkpoint_score={value!r}: say whether more or less {name} is better, as "
                f"'{name}:max' or '{name}:min' (the experiment's mode is for {metric!r})."
            )
        order = mode
    if order not in ("max", "min"):
        raise OptionError(f"checkpoint_score={value!r}: the order after ':' must be max or min.")
    return name, order


def _train_options(
    label: str,
    space: Any,
    shared: Mapping[str, Any],
    resources: Any,
    adaptive: Any,
) -> None:
    """What does not apply to a Ray Train trainer, refused with what to do instead."""
    from tunebook.engine import _train

    if not isinstance(space, Mapping):
        raise OptionError(f"space must be a dict of parameter -> domain, got {space!r}.")
    _train.check_space(space, label)
    if shared:
        raise OptionError(
            f"with_parameters does not apply to a {label}: give it the data as "
            f"{label}(datasets={{...}}) (Ray Data), or read it in the train function."
        )
    if resources is not None:
        raise OptionError(
            f"resources_per_trial does not apply to a {label}: its workers hold the "
            "resources; set them with ScalingConfig(num_workers=..., resources_per_worker=...)."
        )
    if adaptive:
        raise OptionError(
            f"adaptive_resources does not apply to a {label}: its ScalingConfig sets its "
            "workers (num_workers=(min, max) lets Ray Train scale them)."
        )


def _parent_stage(
    parent: Any, warm_start: bool, space: Space, num_samples: int
) -> tuple[dict[str, Any] | None, list[dict[str, Any]] | None]:
    """What the event log keeps of the parent stage (its name, folder and chain of stages),
    and the configs a warm start evaluates first."""
    from tunebook._refine import project
    from tunebook.events import flat_config
    from tunebook.results import Results

    if parent is None:
        if warm_start:
            raise OptionError(
                "warm_start=True starts from a parent stage's best configs: pass parent=... "
                "(the coarse stage's Experiment or Results)."
            )
        return None, None
    results = getattr(parent, "results", parent)  # an Experiment waits for its end
    if not isinstance(results, Results):
        raise OptionError(
            f"parent must be the previous stage's Experiment or Results, got "
            f"{type(parent).__name__}."
        )
    stage = {
        "name": results.name,
        "path": None if results.path is None else str(results.path),
        "stages": results._stage_chain(),
    }
    if not warm_start:
        return stage, None
    described = space.to_dict()
    points = [project(described, flat_config(config)) for config in results.best_configs()]
    return stage, [p for p in points if p is not None][:num_samples]


class _CriteriaStopper:
    """Ray Tune's dict stop criteria (``{"training_iteration": 10}``: stop a trial once a
    result reaches any value) as a Stopper, so that it can be combined with tunebook's."""

    def __init__(self, criteria: Mapping[str, Any]) -> None:
        self.criteria = dict(criteria)

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        from ray.tune.utils import flatten_dict

        flat = flatten_dict(result)
        return any(
            key in flat and flat[key] is not None and flat[key] >= value
            for key, value in self.criteria.items()
        )

    def stop_all(self) -> bool:
        return False


class _Witnessed(Stopper):
    """The user's own stop criteria, noting in the StopControl which trials they ended (so
    those count as terminated, not as stopped early by a scheduler)."""

    def __init__(self, stopper: Any, control: StopControl) -> None:
        self.stopper = stopper
        self.control = control

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        if self.stopper(trial_id, result):
            self.control.criteria_met(trial_id)
            return True
        return False

    def stop_all(self) -> bool:
        return bool(getattr(self.stopper, "stop_all", lambda: False)())


def _with_control(stop: Any, control: StopControl) -> Any:
    from ray.tune.stopper import CombinedStopper

    if stop is None:
        return control
    if isinstance(stop, Mapping):
        stop = _CriteriaStopper(stop)
    elif not isinstance(stop, Stopper) and not callable(stop):
        raise OptionError(f"RunConfig(stop={stop!r}) is neither a dict, a Stopper nor a function.")
    return CombinedStopper(_Witnessed(stop, control), control)


def record(
    tuner: Any, *, name: str | None = None, storage_path: str | Path | None = None
) -> Experiment:
    """Start a plain ``ray.tune.Tuner`` (written as in Ray's docs) with tunebook recording it.

    Adds the event-log callback and the stop flags to the Tuner's own ``RunConfig`` (its
    callbacks and stop criteria are kept), silences Ray's progress output, and runs ``fit()``
    in the background. Returns the :class:`Experiment` (``tb.watch`` also shows the dashboard
    and waits).
    """
    from ray import tune

    if not isinstance(tuner, tune.Tuner):
        raise OptionError(f"expected a ray.tune.Tuner, got {type(tuner).__name__}.")
    inner = getattr(tuner, "_local_tuner", None)
    if inner is None:
        raise OptionError(
            "this Tuner runs through Ray Client (ray://), where Ray Tune's driver runs on the "
            "cluster and tunebook cannot record it. Run it on a machine of the cluster."
        )
    ensure_ray()
    _ship_by_value(inner.trainable)
    run_config = inner.get_run_config()
    tune_config = inner._tune_config
    storage = Path(storage_path).expanduser().resolve() if storage_path else default_storage()
    exp_name = _name(name, str(run_config.name or "tuner"), storage)
    path = storage / exp_name
    log = EventLog(path / EVENTS_FILE)
    control = StopControl()
    recorder = Recorder(
        log, control, tune_config.metric, tune_config.scheduler, tune_config.time_budget_s
    )
    recording(tune_config.scheduler, recorder.decision, recorder.exploit)
    run_config.callbacks = [*(run_config.callbacks or []), recorder]
    run_config.stop = _with_control(run_config.stop, control)
    run_config.verbose = 0
    run_config.progress_reporter = SilentReporter()
    run_config.log_to_file = run_config.log_to_file or True
    import ray

    param_space = inner.param_space or {}
    try:
        space_description = Space(param_space).to_dict()
    except Exception:  # a space tunebook cannot describe (e.g. a Train trainer's): keep going
        space_description = {}
    log.append(
        "experiment_started",
        name=exp_name,
        metric=tune_config.metric,
        mode=tune_config.mode,
        space=space_description,
        num_samples=tune_config.num_samples,
        total_trials=_total_trials(
            Space(space_description) if space_description else Space(), tune_config.num_samples
        ),
        scheduler=type(tune_config.scheduler).__name__ if tune_config.scheduler else "fifo",
        search=type(tune_config.search_alg).__name__ if tune_config.search_alg else "random",
        max_concurrent_trials=tune_config.max_concurrent_trials,
        time_budget_s=tune_config.time_budget_s,
        objective=str(run_config.name),
        cluster=ray.get_runtime_context().gcs_address,
        ray_version=ray.__version__,
        watched=True,
    )
    log.flush()
    experiment = Experiment(exp_name, path, log, control, tuner, tune_config.time_budget_s)
    experiment._start()
    EXPERIMENTS.append(experiment)
    return experiment
