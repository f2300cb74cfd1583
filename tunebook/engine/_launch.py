"""One launch for ``tb.run``, ``tb.watch`` and ``%%tune``: name the experiment and its folder,
open its record, wire the recorder and the stop flags into the Tuner, write
``experiment_started`` with the same fields whichever way the run came, and start it."""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunebook.engine import _warm
from tunebook.engine._control import StopControl
from tunebook.engine._experiment import Experiment
from tunebook.engine._kept import driver, keep_trial
from tunebook.engine._recorder import Recorder
from tunebook.engine._schedulers import recording
from tunebook.errors import OptionError
from tunebook.events import EVENTS_FILE, EventLog
from tunebook.space import is_grid

#: What ``experiment_started`` records of every run, beside its name, cluster and Ray version.
FIELDS = (
    "metric",
    "mode",
    "space",
    "num_samples",
    "total_trials",
    "scheduler",
    "search",
    "max_concurrent_trials",
    "resources_per_trial",
    "adaptive_resources",
    "trainer",
    "keep_checkpoints",
    "checkpoint_score",
    "time_budget_s",
    "seed",
    "objective",
    "with_parameters",
    "parent",
    "warm_start",
    "watched",
)
#: Ray Tune's own files (its state is pickled) go here, beside the experiment folders, so that
#: an experiment folder holds JSON only.
RAY_STATE_DIR = ".ray"

#: Every experiment this process started, oldest first (``%tune list``, ``experiments()``).
EXPERIMENTS: list[Experiment] = []


def experiments() -> list[Experiment]:
    """The experiments started (or attached to) in this process (this kernel), oldest first."""
    return list(EXPERIMENTS)


def listing(storage_path: str | None = None) -> list[dict[str, Any]]:
    """This process's experiments, then the other records of the storage folder (run by
    another kernel, a detached driver or a terminal: running, ended, or ``crashed`` once their
    driver is gone), one row each (``tunebook.results.LISTING``)."""
    from tunebook.results import row, storage_folder, stored

    now = time.time()
    rows = [row(e.live, e.path, None if e.done else now) for e in EXPERIMENTS]
    skip = [Path(e.path) for e in EXPERIMENTS]
    return rows + stored(storage_folder(storage_path), skip=skip)


def unique_name(name: str | None, base: str, storage: Path) -> str:
    """``name`` if no experiment in ``storage`` has it, else an error; without a name,
    ``base`` and the time (and a number when that is taken too)."""
    if name is not None:
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


def total_trials(param_space: Mapping[str, Any], num_samples: int) -> int | None:
    """How many trials Ray Tune makes of a space in its own form: ``num_samples`` times the
    product of the grids' sizes (nested ones too); None with ``num_samples=-1``."""
    if num_samples < 0:
        return None
    return num_samples * math.prod(_grid_sizes(param_space))


def _grid_sizes(space: Mapping[str, Any]) -> list[int]:
    sizes = []
    for value in space.values():
        if is_grid(value):
            sizes.append(len(value["grid_search"]))
        elif isinstance(value, Mapping):
            sizes.extend(_grid_sizes(value))
    return sizes


@dataclass
class Launch:
    """What a run needs to start, however it came (``tb.run``, ``tb.watch``, ``%%tune``).

    Attributes:
        name: the experiment's name, free in ``storage`` (``unique_name`` made it).
        storage: the folder of experiment folders.
        cluster: the address of the Ray cluster it runs on.
        fields: what ``experiment_started`` records (every one of :data:`FIELDS`).
        scheduler: the Ray scheduler, made to record its decisions.
        build: makes (or completes) the Tuner, with the recorder among its callbacks and the
            stop flags among its stoppers; gets the experiment's name and Ray's storage folder.
        worker_resources: what a trial holds when Ray's request for it is not that (a Ray
            Train trial, whose workers hold the resources).
        rebuild: what a resume rebuilds the trainable from, for a run whose trainable holds
            ``with_parameters`` objects (``_kept.keep_trial``).
    """

    name: str
    storage: Path
    cluster: str
    fields: dict[str, Any]
    scheduler: Any
    build: Callable[[Recorder, StopControl, str, Path], Any]
    wait: bool = False
    worker_resources: dict[str, float] | None = None
    rebuild: dict[str, Any] | None = None


def launch(plan: Launch) -> Experiment:
    """Start the run ``plan`` describes and return its :class:`Experiment`."""
    missing = set(FIELDS) - set(plan.fields)
    extra = set(plan.fields) - set(FIELDS)
    if missing or extra:  # the record's fields are one list, whichever way the run came
        raise AssertionError(f"experiment_started fields: missing {missing}, extra {extra}")
    storage, name = plan.storage, plan.name
    path = storage / name
    log = EventLog(path / EVENTS_FILE)
    control = StopControl(str(path))
    fields = plan.fields
    recorder = Recorder(
        log,
        control,
        fields["metric"],
        plan.scheduler,
        fields["time_budget_s"],
        resources=plan.worker_resources,
    )
    recording(plan.scheduler, recorder.decision, recorder.exploit)
    tuner = plan.build(recorder, control, name, storage / RAY_STATE_DIR)
    import ray

    unresumable = (
        "it is a Ray Train run"
        if fields["trainer"]
        else keep_trial(tuner, storage / RAY_STATE_DIR / name, plan.rebuild)
    )
    log.append(
        "experiment_started",
        name=name,
        cluster=plan.cluster,
        ray_version=ray.__version__,
        driver=driver(),
        unresumable=unresumable,  # why tb.resume cannot go on with it, if it cannot
        **fields,
    )
    log.flush()
    experiment = Experiment(
        name,
        path,
        log,
        control,
        tuner,
        fields["time_budget_s"],
        on_end=lambda: _warm.ready(taken=len(recorder.actors)),  # workers for the next run
    )
    return start_experiment(experiment, plan.wait)


def start_experiment(experiment: Experiment, wait: bool) -> Experiment:
    """Start ``experiment``'s run, list it among this process's, and wait for its end if
    ``wait``."""
    experiment._start()
    EXPERIMENTS.append(experiment)
    if wait:
        experiment.wait()
    return experiment
