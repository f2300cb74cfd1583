"""Ray Train trainers as trials: each trial runs the trainer's ``fit()`` with its config.

Ray 2.60 runs Ray Train V2 by default, and its Tuner refuses a V2 trainer ("Improper 'run'
- not string nor trainable"). Ray's V2 guide instead calls ``trainer.fit()`` inside a Tune
function, with Ray's ``TuneReportCallback`` passing each ``ray.train.report`` of the workers'
rank 0 to Tune. tunebook does exactly that for the trainer it is given, so the seed's
``Tuner(TorchTrainer(...), param_space={"train_loop_config": {...}})`` works as
``tb.run(TorchTrainer(...), {"train_loop_config": {...}}, ...)``.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

from tunebook.engine._ray_internals import TRAINER_MODULES, trainer_with, worker_resources
from tunebook.errors import OptionError

#: The trial's own key in the config: what the trainer's train function receives.
LOOP_KEY = "train_loop_config"


def is_trainer(objective: Any) -> bool:
    """Whether ``objective`` is a Ray Train V2 trainer (``TorchTrainer`` and the like).

    Looked up in the loaded modules only: a user who built a trainer has imported Ray Train,
    and tunebook does not import it for anyone else.
    """
    return _is_instance(objective, *TRAINER_MODULES["v2"])


def is_legacy_trainer(objective: Any) -> bool:
    """A Ray Train V1 trainer (``RAY_TRAIN_V2_ENABLED=0``): Ray Tune runs it as it is."""
    return _is_instance(objective, *TRAINER_MODULES["v1"])


def _is_instance(objective: Any, module_name: str, class_name: str) -> bool:
    module = sys.modules.get(module_name)
    return module is not None and isinstance(objective, getattr(module, class_name))


def check_space(space: Mapping[str, Any], label: str) -> None:
    """A trainer is tuned over ``{"train_loop_config": {...}}``, as in Ray's docs."""
    others = [key for key in space if key != LOOP_KEY]
    if others or not isinstance(space.get(LOOP_KEY, {}), Mapping):
        raise OptionError(
            f"a {label} is tuned over its train_loop_config: write the space as "
            f"{{'{LOOP_KEY}': {{'lr': tb.loguniform(1e-4, 1e-2), ...}}}}"
            + (f"; {', '.join(map(repr, others))} would reach no one." if others else ".")
        )


def _per_worker(trainer: Any) -> dict[str, float]:
    return worker_resources(trainer.scaling_config)


def check_cluster(trainer: Any, label: str) -> int:
    """Refuse, before the run, a trainer whose workers the cluster cannot all hold (its
    controller would wait for them forever); return how many trials fit at once."""
    from tunebook.engine._cluster import alive_nodes

    scaling = trainer.scaling_config
    per_worker = _per_worker(trainer)
    workers = int(scaling.max_workers)
    nodes = alive_nodes()
    total = {key: sum(node.get(key, 0.0) for node in nodes) for key in per_worker}
    for key, amount in per_worker.items():
        largest = max((node.get(key, 0.0) for node in nodes), default=0.0)
        if amount > largest:
            raise OptionError(
                f"the {label}'s ScalingConfig asks for {key}={amount:g} per worker, but the "
                f"largest node has {largest:g}: no worker could ever start. Lower "
                "resources_per_worker (or use_gpu), or connect to a cluster that has more."
            )
        if amount * int(scaling.min_workers) > total[key]:
            raise OptionError(
                f"the {label}'s ScalingConfig asks for {scaling.min_workers} workers with "
                f"{key}={amount:g} each ({amount * scaling.min_workers:g} in all), but the "
                f"cluster has {total[key]:g}: the run would wait forever. Use "
                f"ScalingConfig(num_workers={max(1, int(total[key] // amount))}), or connect "
                "to a cluster that has more."
            )
    fits = [math.floor(total[key] / (amount * workers)) for key, amount in per_worker.items()]
    return max(1, min(fits, default=1))


def trainer_trial(
    trainer: Any,
    *,
    storage_path: str,
    keep_checkpoints: int | None,
    checkpoint_score: tuple[str, str] | None,
) -> Callable[[dict[str, Any]], None]:
    """The Tune function that runs ``trainer`` once per trial, with the trial's
    ``train_loop_config`` over the trainer's own, its run named after the trial (a retried
    trial's run resumes from its own latest Ray Train checkpoint), and its reports passed to
    Tune by Ray's ``TuneReportCallback``."""
    label = type(trainer).__name__

    def trial(config: dict[str, Any]) -> None:
        import ray.train
        import ray.tune
        from ray.tune.integration.ray_train import TuneReportCallback

        context = ray.tune.get_context()
        loop = {**(trainer.train_loop_config or {}), **(config.get(LOOP_KEY) or {})}
        own = trainer.run_config
        checkpoints = own.checkpoint_config
        if keep_checkpoints is not None or checkpoint_score is not None:
            attribute, order = checkpoint_score or (None, "max")
            checkpoints = ray.train.CheckpointConfig(
                num_to_keep=keep_checkpoints,
                checkpoint_score_attribute=attribute,
                checkpoint_score_order=order,
            )
        run_config = dataclasses.replace(
            own,
            name=f"{context.get_experiment_name()}-{context.get_trial_id()}",
            storage_path=storage_path,
            checkpoint_config=checkpoints,
            callbacks=[*(own.callbacks or []), TuneReportCallback()],
        )
        run = trainer_with(trainer, train_loop_config=loop, run_config=run_config)
        run.fit()

    trial.__name__ = trial.__qualname__ = label
    return trial


def workers_resources(trainer: Any) -> dict[str, float]:
    """What a trial's workers hold together (at most), e.g. ``{"cpu": 2.0}``."""
    workers = int(trainer.scaling_config.max_workers)
    return {k.lower(): v * workers for k, v in _per_worker(trainer).items()}


def describe(trainer: Any) -> dict[str, Any]:
    """What the event log keeps of a trainer: its class and its workers."""
    scaling = trainer.scaling_config
    return {
        "class": type(trainer).__name__,
        "num_workers": scaling.num_workers,
        "resources_per_worker": {k.lower(): v for k, v in _per_worker(trainer).items()},
    }
