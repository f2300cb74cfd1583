"""``run`` and ``record``: check everything, build (or complete) a Ray Tune ``Tuner`` with fast
defaults, and start it through the one launch (``tunebook.engine._launch``)."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tunebook.engine import _algorithms, _train
from tunebook.engine._cluster import check_resources, ensure_ray
from tunebook.engine._control import StopControl, with_control
from tunebook.engine._detach import detach
from tunebook.engine._experiment import Experiment
from tunebook.engine._launch import Launch, launch, total_trials, unique_name
from tunebook.engine._objective import check_objective, check_trainer_options, ship_by_value
from tunebook.engine._options import BY_NAME, DEFAULT_STORAGE, KNOBS, RUN_OPTIONS, checked
from tunebook.engine._ray_internals import own_metric, tuner_parts
from tunebook.engine._recorder import Recorder, SilentReporter
from tunebook.errors import OptionError
from tunebook.results import storage_folder
from tunebook.space import Space

#: Trials sampled when num_samples is not given and the space has something to sample.
DEFAULT_SAMPLES = 10


def default_samples(space: Space) -> int:
    """``DEFAULT_SAMPLES`` for a space that samples anything; 1 for one that does not (grid
    values only, constants): each grid point once."""
    from tunebook.events import flat_space

    kinds = {spec["type"] for spec in flat_space(space.to_dict()).values()}
    return DEFAULT_SAMPLES if kinds - {"constant", "grid"} else 1


def check_storage(folder: Path, given: bool) -> Path:
    """Refuse, before Ray starts, a folder of experiments the run could not write in: a file,
    a path under a file, a folder (or for one still to be made, the nearest that exists) one
    cannot write to. ``given``: the folder is ``storage_path``, not the default."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent  # the folders below it, the run makes
    if not existing.is_dir():
        problem = "is a file, not a folder"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = "is a folder you cannot write to"
    else:
        return folder
    what = "storage_path" if given else f"the default storage_path ({DEFAULT_STORAGE})"
    wrong = (
        f"{problem}: the experiments' folders go in it"
        if existing == folder
        else f"cannot be made: {str(existing)!r} {problem}"
    )
    raise OptionError(
        f"{what} {str(folder)!r} {wrong}. Pass storage_path= a folder you can write to (one "
        "that does not exist yet is made)."
    )


def _own_metric(objects: list[Any], metric: str, mode: str) -> bool:
    """Whether a Ray object the user built carries its own metric and mode (Ray then refuses
    them on TuneConfig too); they must agree with ``metric`` and ``mode``."""
    own = False
    for obj in objects:
        their_metric, their_mode = own_metric(obj)
        if their_metric is None:
            continue
        if (their_metric, their_mode) != (metric, mode):
            raise OptionError(
                f"your {type(obj).__name__} optimises {their_metric!r} ({their_mode}), but "
                f"metric={metric!r}, mode={mode!r}: make them agree."
            )
        own = True
    return own


def _checkpoint_score(value: Any, metric: str, mode: str) -> tuple[str, str] | None:
    """``"acc"`` (in the experiment's mode when it is the experiment's metric) or
    ``"loss:min"`` as ``(metric, order)``."""
    if value is None:
        return None
    name, _, order = value.partition(":")  # as the options model checked it
    if not order:
        if name != metric:
            raise OptionError(
                f"checkpoint_score={value!r}: say whether more or less {name} is better, as "
                f"'{name}:max' or '{name}:min' (the experiment's mode is for {metric!r})."
            )
        order = mode
    return name, order


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
        "stages": results.stage_chain(),
    }
    if not warm_start:
        return stage, None
    described = space.to_dict()
    points = [project(described, flat_config(config)) for config in results.best_configs()]
    return stage, [p for p in points if p is not None][:num_samples]


def run(
    objective: Callable[[dict[str, Any]], Any] | Any,
    space: Mapping[str, Any],
    **options: Any,
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
        **options: the options below (``metric`` and ``mode`` are required); each is
            also a ``%%tune`` flag, named with dashes.

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

    o = checked(options)
    metric, mode = o["metric"], o["mode"]
    shared = dict(o["with_parameters"] or {})
    trainer = _train.is_trainer(objective)
    if trainer:
        label = type(objective).__name__
        check_trainer_options(
            label, space, shared, o["resources_per_trial"], o["adaptive_resources"]
        )
        ship_by_value(getattr(objective, "train_loop_per_worker", None))
    elif _train.is_legacy_trainer(objective):
        label = type(objective).__name__  # Ray Tune runs a V1 trainer itself
    else:
        label = check_objective(objective, shared)
        ship_by_value(objective)
    if not isinstance(space, Mapping):
        raise OptionError(f"space must be a dict of parameter -> domain, got {space!r}.")
    space = space if isinstance(space, Space) else Space(space)
    num_samples = o["num_samples"] or default_samples(space)
    if num_samples == -1 and not o["time_budget_s"]:
        raise OptionError("num_samples=-1 (sample until stopped) needs a time_budget_s.")
    scheduler, search = o["scheduler"], o["search"]
    if search == "bohb" and scheduler == "fifo":
        scheduler = "bohb"  # BOHB is a search and its HyperBand together
    if (scheduler == "bohb") != (search == "bohb") and isinstance(scheduler, str):
        raise OptionError(
            "BOHB is a search and a scheduler that work together: pass search='bohb' (the "
            "scheduler follows), or both search='bohb' and scheduler='bohb'."
        )
    score = _checkpoint_score(o["checkpoint_score"], metric, mode)
    knobs = {option.name: o[option.name] for option in KNOBS}
    ray_scheduler, scheduler_label = _algorithms.scheduler(scheduler, knobs, space)
    if scheduler_label in ("pbt", "pb2") and search not in ("random", "grid"):
        raise OptionError(
            f"scheduler={scheduler_label!r} explores configs itself, from its population: it "
            f"takes no search algorithm (search={search!r}). Use search='random' (or 'grid')."
        )
    stage, points = _parent_stage(o["parent"], o["warm_start"], space, num_samples)
    o = {**o, "parent": None}  # the stage is in the record; a detached driver gets no Experiment
    search_alg, search_label = _algorithms.search(
        search, space, o["seed"], o["max_concurrent_trials"], points
    )
    own = _own_metric([ray_scheduler, search_alg], metric, mode)
    resources = o["resources_per_trial"]
    storage = check_storage(storage_folder(o["storage_path"]), given=bool(o["storage_path"]))
    name = unique_name(o["name"], label, storage)  # a name taken: refused before Ray starts
    cluster = ensure_ray(o["address"], outlive=o["detach"])
    if resources:
        check_resources(resources)
    concurrency = o["max_concurrent_trials"]
    if trainer:
        concurrency = concurrency or _train.check_cluster(objective, label)
        if _algorithms.is_generator(search_alg) and not search_alg.max_concurrent:
            search_alg.max_concurrent = concurrency
    adaptive = o["adaptive_resources"]

    def build(recorder: Recorder, control: StopControl, name: str, ray_storage: Path) -> Any:
        if trainer:
            # The trial only drives the run (Ray Train's controller takes no CPU); its workers
            # hold the resources. Ray refuses an empty request, and a sliver of a CPU would
            # leave the workers one CPU short: one byte of memory it is.
            trainable = tune.with_resources(
                _train.trainer_trial(
                    objective,
                    storage_path=str(ray_storage / "train"),
                    keep_checkpoints=o["keep_checkpoints"],
                    checkpoint_score=score,
                ),
                {"cpu": 0, "memory": 1},
            )
        else:
            trainable = tune.with_parameters(objective, **shared) if shared else objective
        if resources:
            trainable = tune.with_resources(trainable, resources)
        tune_scheduler = ray_scheduler
        if adaptive:
            from ray.tune.schedulers import ResourceChangingScheduler
            from ray.tune.schedulers.resource_changing_scheduler import DistributeResources

            tune_scheduler = ResourceChangingScheduler(
                base_scheduler=ray_scheduler, resources_allocation_function=DistributeResources()
            )
        generator = _algorithms.is_generator(search_alg)
        return tune.Tuner(
            trainable,
            param_space=space.to_ray(),
            tune_config=tune.TuneConfig(
                metric=None if own else metric,
                mode=None if own else mode,
                num_samples=num_samples,
                max_concurrent_trials=None if generator else concurrency,
                scheduler=tune_scheduler,
                search_alg=search_alg,
                time_budget_s=o["time_budget_s"],
                reuse_actors=not adaptive,  # Ray's ResourceChangingScheduler refuses it
            ),
            run_config=tune.RunConfig(
                name=name,
                storage_path=str(ray_storage),
                callbacks=[recorder],
                stop=with_control(o["stop"], control),
                verbose=0,
                progress_reporter=SilentReporter(),
                log_to_file=True,  # each trial's prints and warnings go to its record
                failure_config=tune.FailureConfig(max_failures=o["max_failures"]),
                checkpoint_config=tune.CheckpointConfig(
                    num_to_keep=o["keep_checkpoints"],
                    checkpoint_score_attribute=None if score is None else score[0],
                    checkpoint_score_order="max" if score is None else score[1],
                ),
            ),
        )

    fields = {
        "metric": metric,
        "mode": mode,
        "space": space.to_dict(),
        "num_samples": num_samples,
        "total_trials": total_trials(space.to_ray(), num_samples),
        "scheduler": scheduler_label,
        "search": search_label,
        "max_concurrent_trials": concurrency,
        "resources_per_trial": resources,
        "adaptive_resources": adaptive,
        "trainer": _train.describe(objective) if trainer else None,
        "keep_checkpoints": o["keep_checkpoints"],
        "checkpoint_score": None if score is None else {"metric": score[0], "mode": score[1]},
        "time_budget_s": o["time_budget_s"],
        "seed": o["seed"],
        "objective": label,
        "with_parameters": sorted(shared),
        "parent": stage,
        "warm_start": len(points or []),
        "watched": False,
    }
    start = detach if o["detach"] else launch
    return start(
        Launch(
            name=name,
            storage=storage,
            cluster=cluster,
            fields=fields,
            scheduler=ray_scheduler,
            build=build,
            wait=o["wait"],
            worker_resources=_train.workers_resources(objective) if trainer else None,
            rebuild={"objective": objective, "shared": sorted(shared), "resources": resources}
            if shared and not trainer
            else None,
        )
    )


def _signature() -> inspect.Signature:
    """``run(objective, space, *, metric, mode, num_samples=None, ...)``: what ``help(tb.run)``
    and a notebook's ``tb.run?`` show, from the options model."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature(
        [
            inspect.Parameter("objective", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("space", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            *(
                inspect.Parameter(
                    option.name,
                    keyword,
                    default=inspect.Parameter.empty
                    if option.name in ("metric", "mode")
                    else option.default,
                )
                for option in RUN_OPTIONS
            ),
        ],
        return_annotation="Experiment",
    )


def _options_doc() -> str:
    lines = ["", "    Options:"]
    for option in RUN_OPTIONS:
        defaults = ", ".join(f"{s} {d!r}" for s, d in option.defaults.items() if d is not None)
        default = f" (default: {defaults})" if defaults else ""
        if option.default is not None and not option.defaults:
            default = f" (default {option.default!r})"
        lines.append(f"        {option.name}: {option.help}{default}.")
    return "\n".join(lines) + "\n"


run.__signature__ = _signature()  # type: ignore[attr-defined]
run.__doc__ = (run.__doc__ or "") + _options_doc()


def record(
    tuner: Any, *, name: str | None = None, storage_path: str | Path | None = None
) -> Experiment:
    """Start a plain ``ray.tune.Tuner`` (written as in Ray's docs) with tunebook recording it.

    Adds the event-log callback and the stop flags to the Tuner's own ``RunConfig`` (its
    callbacks and stop criteria are kept), silences Ray's progress output, and runs ``fit()``
    in the background through the same launch as ``tb.run``, recording the same fields.
    Returns the :class:`Experiment` (``tb.watch`` also shows the dashboard and waits).
    """
    from ray import tune

    if not isinstance(tuner, tune.Tuner):
        raise OptionError(f"expected a ray.tune.Tuner, got {type(tuner).__name__}.")
    parts = tuner_parts(tuner)
    if parts is None:
        raise OptionError(
            "this Tuner runs through Ray Client (ray://), where Ray Tune's driver runs on the "
            "cluster and tunebook cannot record it. Run it on a machine of the cluster."
        )
    tune_config, run_config = parts.tune_config, parts.run_config
    label = getattr(parts.trainable, "__name__", None) or type(parts.trainable).__name__
    if name is not None:
        BY_NAME["name"].check("name", name)
    storage = check_storage(storage_folder(storage_path), given=bool(storage_path))
    name = unique_name(name, str(run_config.name or label), storage)
    cluster = ensure_ray()
    ship_by_value(parts.trainable)
    try:
        described = Space(parts.param_space).to_dict()
    except Exception:  # a space tunebook cannot describe (e.g. a Train trainer's): keep going
        described = {}
    checkpoints = run_config.checkpoint_config
    score = checkpoints.checkpoint_score_attribute if checkpoints else None
    scheduler = tune_config.scheduler
    fields = {
        "metric": tune_config.metric,
        "mode": tune_config.mode,
        "space": described,
        "num_samples": tune_config.num_samples,
        "total_trials": total_trials(parts.param_space, tune_config.num_samples),
        "scheduler": type(scheduler).__name__ if scheduler else "fifo",
        "search": type(tune_config.search_alg).__name__ if tune_config.search_alg else "random",
        "max_concurrent_trials": tune_config.max_concurrent_trials,
        "resources_per_trial": None,
        "adaptive_resources": type(scheduler).__name__ == "ResourceChangingScheduler",
        "trainer": None,
        "keep_checkpoints": checkpoints.num_to_keep if checkpoints else None,
        "checkpoint_score": None
        if score is None
        else {"metric": score, "mode": checkpoints.checkpoint_score_order},
        "time_budget_s": tune_config.time_budget_s,
        "seed": None,
        "objective": label,
        "with_parameters": [],
        "parent": None,
        "warm_start": 0,
        "watched": True,
    }

    def build(recorder: Recorder, control: StopControl, name: str, ray_storage: Path) -> Any:
        run_config.callbacks = [*(run_config.callbacks or []), recorder]
        run_config.stop = with_control(run_config.stop, control)
        run_config.verbose = 0
        run_config.progress_reporter = SilentReporter()
        run_config.log_to_file = run_config.log_to_file or True
        return tuner

    return launch(
        Launch(
            name=name,
            storage=storage,
            cluster=cluster,
            fields=fields,
            scheduler=scheduler,
            build=build,
        )
    )
