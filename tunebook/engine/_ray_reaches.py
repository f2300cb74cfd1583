"""The table of Ray internals that ``tests/engine/test_ray_internals.py`` checks on the installed
Ray: every private attribute that ``_ray_internals`` (written for Ray 2.60) reaches, each with a
reader that raises AttributeError or ImportError when an upgrade removed it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from tunebook.engine._ray_internals import (
    START_NOTICE_LOGGER,
    TOKEN_NOTICE_LOGGER,
    TRAINER_MODULES,
)


class Reach(NamedTuple):
    """One private attribute tunebook relies on, and how to read it on the installed Ray
    (``read`` raises AttributeError or ImportError when it is gone)."""

    name: str
    read: Callable[[], Any]


def _attribute(module: str, path: str) -> Callable[[], Any]:
    """A reader of ``module``'s attribute ``path`` (dotted: a class's attribute too)."""
    import importlib

    return _on(lambda: importlib.import_module(module), path)


def _made(module: str, factory: str, path: str) -> Callable[[], Any]:
    """A reader of ``path`` on an object that ``module``'s ``factory()`` makes."""
    return _on(lambda: _attribute(module, factory)()(), path)


def _scheduler(name: str, **options: Any) -> Callable[[], Any]:
    """A maker of Ray's scheduler ``name`` (metric m, max)."""

    def make() -> Any:
        from ray.tune import schedulers

        return getattr(schedulers, name)(metric="m", mode="max", **options)

    return make


_asha = _scheduler("AsyncHyperBandScheduler")
_hyperband = _scheduler("HyperBandScheduler")
_pbt = _scheduler("PopulationBasedTraining", hyperparam_mutations={"x": [1, 2]})


def _pbt_trial_state() -> Any:
    from ray.tune.schedulers.pbt import _PBTTrialState

    class Tagged:  # what Ray reads of a trial to make its state
        experiment_tag = "reach"

    return _PBTTrialState(Tagged())  # type: ignore[arg-type]


def _tuner() -> Any:
    import tempfile

    from ray import tune

    storage = tempfile.mkdtemp(prefix="tunebook-reach-")
    return tune.Tuner(lambda config: None, run_config=tune.RunConfig(storage_path=storage))


def _trainer() -> Any:
    import ray.train
    from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

    return DataParallelTrainer(lambda: None, scaling_config=ray.train.ScalingConfig())


def _trial() -> Any:
    from ray.tune.experiment import Trial

    return Trial("reach", stub=True)


def _on(make: Callable[[], Any], path: str) -> Callable[[], Any]:
    """A reader of ``path`` (dotted) on what ``make()`` returns."""

    def read() -> Any:
        value = make()
        for name in path.split("."):
            value = getattr(value, name)
        return value

    return read


#: Module attributes read as they are (``module``, dotted path).
ATTRIBUTES = (
    ("ray._private.ray_constants", "ENABLE_RAY_CLUSTER"),
    ("ray._private.authentication.authentication_token_setup", "_enable_token_auth"),
    ("ray._private.services", "canonicalize_bootstrap_address"),
    ("ray._private.state", "actors"),
    ("ray.tune.execution.class_cache", "DEFAULT_ENV_VARS"),
    ("ray._private.grpc_utils", "init_grpc_channel"),
    ("ray._private.worker", "Worker.runtime_env"),
    ("ray._private.node", "Node.node_manager_port"),
    ("ray.actor", "ActorHandle._actor_id"),
    ("ray._raylet", "CoreWorker.kill_actor"),
    ("ray.train._internal.session", "get_session"),
    ("ray.train._internal.storage", "StorageContext.trial_working_directory"),
    ("ray.tune.schedulers", "HyperBandScheduler._process_bracket"),
    ("ray.tune.schedulers", "HyperBandScheduler._create_bracket"),
    *TRAINER_MODULES.values(),
)

#: Attributes of objects made with no arguments (``module``, class, dotted path).
MADE = (
    ("ray.tune.experiment.trial", "_TemporaryTrialState", "ray_actor"),  # Trial.temporary_state
    ("ray.train", "ScalingConfig", "_resources_per_worker_not_none"),
    ("ray.tune.search", "Searcher", "_metric"),
    ("ray.tune.search", "Searcher", "_mode"),
    *(
        ("ray.core.generated.node_manager_pb2", "PrestartWorkersRequest", field)
        for field in ("language", "job_id", "runtime_env_info", "keep_alive_duration_secs")
    ),
)

REACHES = (
    *(Reach(f"{module}.{path}", _attribute(module, path)) for module, path in ATTRIBUTES),
    *(Reach(f"{cls}().{path}", _made(module, cls, path)) for module, cls, path in MADE),
    *(
        Reach(f"the module of logger {name}", _attribute(name, "logger"))
        for name in (TOKEN_NOTICE_LOGGER, START_NOTICE_LOGGER)
    ),
    Reach("DataParallelTrainer.train_run_context", _on(_trainer, "train_run_context")),
    *(
        Reach(f"Tuner._local_tuner.{name}", _on(_tuner, f"_local_tuner.{name}"))
        for name in ("trainable", "param_space", "_tune_config", "get_run_config")
    ),
    *(
        Reach(f"AsyncHyperBandScheduler.{name}", _on(_asha, name))
        for name in ("_trial_info", "_brackets", "_metric_op", "_max_t", "_time_attr")
    ),
    Reach(
        "train._internal.session._TrainingResult",
        _attribute("ray.train._internal.session", "_TrainingResult"),
    ),
    Reach(
        "Trial.run_metadata.checkpoint_manager.register_checkpoint",
        _on(_trial, "run_metadata.checkpoint_manager.register_checkpoint"),
    ),
    Reach("Trial.latest_checkpoint_result", _on(_trial, "latest_checkpoint_result")),
    Reach(
        "TuneController._set_trial_status",
        _attribute("ray.tune.execution.tune_controller", "TuneController._set_trial_status"),
    ),
    Reach(
        "ResourceChangingScheduler._base_scheduler",
        _made("ray.tune.schedulers", "ResourceChangingScheduler", "_base_scheduler"),
    ),
    Reach("ASHA bracket._rungs", lambda: _asha()._brackets[0]._rungs),
    Reach("ASHA bracket.cutoff", lambda: _asha()._brackets[0].cutoff),
    *(
        Reach(f"HyperBandScheduler.{name}", _on(_hyperband, name))
        for name in ("_hyperbands", "_max_t_attr", "_time_attr", "_metric", "_metric_op")
    ),
    *(
        Reach(f"HyperBand bracket.{name}", _on(lambda: _hyperband()._create_bracket(0), name))
        for name in ("_halves", "_live_trials", "_cumul_r", "_n")
    ),
    *(
        Reach(f"PopulationBasedTraining.{name}", _on(_pbt, name))
        for name in ("_exploit", "_get_new_config", "_trial_state", "_time_attr", "_metric_op")
    ),
    *(
        Reach(f"_PBTTrialState.{name}", _on(_pbt_trial_state, name))
        for name in ("last_score", "last_train_time", "last_result")
    ),
)
