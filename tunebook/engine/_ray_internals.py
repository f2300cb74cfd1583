"""Every reach into Ray's internals, in one place, each named with the Ray it was written for.

tunebook stays on Ray Tune's machinery (its schedulers decide, its controller runs trials), and
to record what they decide it reads some of their private state and wraps some of their
private methods. Each such reach is here and nowhere else, written for Ray 2.60, and listed
in ``_ray_reaches.REACHES``, which ``tests/engine/test_ray_internals.py`` checks on the
installed Ray, so that an upgrade that removes one fails there with the attribute's name.

The scheduler hooks turn Ray's private steps into plain calls with plain data:
:class:`HalvingHook` (HyperBand halves a bracket) and :class:`ExploitHook` (PBT exploits).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

#: The Ray these reaches were written for.
WRITTEN_FOR = "Ray 2.60"

#: Ray's logger that announces token authentication at a local start (Ray 2.60).
TOKEN_NOTICE_LOGGER = "ray._private.authentication.authentication_token_setup"
#: Ray's logger that says "Started a local Ray instance" (its worker module's, Ray 2.60).
START_NOTICE_LOGGER = "ray._private.worker"
#: Where Ray Train V2's and V1's trainer classes live (Ray 2.60): a trainer is recognised
#: among the loaded modules, so that tunebook imports Ray Train for no one.
TRAINER_MODULES = {
    "v2": ("ray.train.v2.api.data_parallel_trainer", "DataParallelTrainer"),
    "v1": ("ray.train.base_trainer", "BaseTrainer"),
}


# -- the local Ray --------------------------------------------------------------------------


def enable_token_auth() -> None:
    """Speak Ray's token auth from this process, as ``ray.init`` does for a local Ray it starts
    (Ray reads ``RAY_AUTH_MODE`` into its config when it loads; its ``_enable_token_auth``
    sets it and reloads the config): to join a Ray started with token auth."""
    from ray._private.authentication import authentication_token_setup

    authentication_token_setup._enable_token_auth()


def loopback_only() -> None:
    """Make a local Ray listen on 127.0.0.1 only: on Linux Ray 2.60 turns a requested
    127.0.0.1 into the machine's address unless its ``ENABLE_RAY_CLUSTER`` switch is off."""
    from ray._private import ray_constants

    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    ray_constants.ENABLE_RAY_CLUSTER = False  # read at import: set on the loaded constant too


#: What each worker imports first (Ray 2.60 ``_system_config``): the trial actor, and the
#: engine a trial's ``report`` unpickles into.
PRELOAD = {"preload_python_modules": ["ray.tune.trainable.function_trainable", "tunebook.engine"]}


def trial_actor_env(*, take: bool = False) -> dict[str, str]:
    """Ray Tune's env vars for its trial actors (``class_cache.py``); ``take``: off them, as an
    actor with a runtime env of its own cannot start on an idle worker of the job (_warm.py)."""
    from ray.tune.execution import class_cache

    env = dict(class_cache.DEFAULT_ENV_VARS)
    if take:
        class_cache.DEFAULT_ENV_VARS.clear()
    return env


def prestart_workers(count: int, keep_alive_s: int) -> None:
    """Ask this node's raylet for ``count`` idle workers of this job, spared by Ray's idle
    worker killing for ``keep_alive_s`` (its ``PrestartWorkers``, not exposed to Python)."""
    import ray
    from ray._private.grpc_utils import init_grpc_channel
    from ray.core.generated import common_pb2, node_manager_pb2, node_manager_pb2_grpc
    from ray.core.generated.runtime_environment_pb2 import RuntimeEnvInfo  # type: ignore[attr-defined]

    worker = ray._private.worker.global_worker
    request = node_manager_pb2.PrestartWorkersRequest(  # type: ignore[attr-defined]
        language=common_pb2.Language.PYTHON,  # type: ignore[attr-defined]
        job_id=worker.current_job_id.binary(),
        runtime_env_info=RuntimeEnvInfo(serialized_runtime_env=worker.runtime_env or "{}"),
        keep_alive_duration_secs=keep_alive_s,
        num_workers=count,
    )
    node: Any = worker.node  # set: this process is connected
    with init_grpc_channel(f"{node.node_ip_address}:{node.node_manager_port}") as channel:
        node_manager_pb2_grpc.NodeManagerServiceStub(channel).PrestartWorkers(request, timeout=10)


def canonical_address(address: str) -> str:
    """Ray's own reading of a cluster address (``127.0.0.1:6379`` as the node's IP)."""
    from ray._private.services import canonicalize_bootstrap_address

    return str(canonicalize_bootstrap_address(address))


def actor_id(actor: Any) -> str:
    """A Ray actor's id (hex), from its handle."""
    return str(actor._actor_id.hex())


def actor_node(actor: Any) -> str | None:
    """The Ray node id an actor runs on (two nodes may share an IP)."""
    from ray._private import state

    info = state.actors(actor_id=actor_id(actor))
    node = (info.get("Address") or {}).get("NodeID")
    return str(node) if node else None


# -- trials and Tuners ------------------------------------------------------------------------


def in_trial() -> bool:
    """Whether this code runs inside a Ray Tune trial (Ray Train's session is set)."""
    from ray.train._internal.session import get_session

    return get_session() is not None


def kill_actors(ids: Iterable[str]) -> None:
    """Kill the actors of these ids (hex) now, those already gone aside. ``ray.kill`` takes a
    handle, and a handle kept to have one would keep alive an actor Ray Tune let go."""
    import ray

    core: Any = ray._private.worker.global_worker.core_worker  # type: ignore[attr-defined]
    for hex_id in ids:
        try:
            core.kill_actor(ray.ActorID.from_hex(hex_id), True)  # no restart
        except Exception:  # noqa: BLE001, S110 (gone already: nothing to kill)
            pass


def trial_actor(trial: Any) -> Any:
    """The actor running the trial now, or None."""
    return getattr(trial.temporary_state, "ray_actor", None)


def trial_folder(trial: Any) -> Path:
    """The trial's working folder, where ``RunConfig(log_to_file=True)`` writes its output."""
    return Path(trial.storage.trial_working_directory)


class TunerParts(NamedTuple):
    """What tunebook reads of a ``ray.tune.Tuner`` (and changes: ``run_config`` is the one
    the Tuner runs with)."""

    trainable: Any
    param_space: dict[str, Any]
    tune_config: Any
    run_config: Any


def tuner_parts(tuner: Any) -> TunerParts | None:
    """The Tuner's trainable, space and configs; None for a Tuner that runs through Ray
    Client, whose driver runs on the cluster."""
    inner = getattr(tuner, "_local_tuner", None)
    if inner is None:
        return None
    return TunerParts(
        inner.trainable, inner.param_space or {}, inner._tune_config, inner.get_run_config()
    )


def base_scheduler(scheduler: Any) -> Any:
    """The scheduler a ``ResourceChangingScheduler`` wraps; any other scheduler itself."""
    return getattr(scheduler, "_base_scheduler", scheduler)


def checkpoint_iteration(trial: Any) -> int | None:
    """The iteration of the checkpoint a Ray trial would start again from (None: none)."""
    result = trial.latest_checkpoint_result
    return None if result is None else result.metrics.get("training_iteration")


def start_from(trial: Any, path: str, metrics: dict[str, Any]) -> None:
    """Make a Ray trial start again from the checkpoint at ``path``, saved with ``metrics``
    (a later one than Ray's snapshot of the run knew of)."""
    from ray.train._internal.session import _TrainingResult
    from ray.tune import Checkpoint

    result = _TrainingResult(checkpoint=Checkpoint(path), metrics=metrics)
    trial.run_metadata.checkpoint_manager.register_checkpoint(result)


def end_unstarted(tune_controller: Any, trial: Any) -> None:
    """End a trial Ray has not started (yet) as terminated, as Ray's controller does."""
    from ray.tune.experiment import Trial

    if trial.status in (Trial.PENDING, Trial.PAUSED):
        tune_controller._set_trial_status(trial, Trial.TERMINATED)


def own_metric(obj: Any) -> tuple[str | None, str | None]:
    """The metric and mode a user's scheduler or searcher was built with (None, None when it
    takes them from TuneConfig)."""
    metric = getattr(obj, "metric", None) or getattr(obj, "_metric", None)
    mode = getattr(obj, "mode", None) or getattr(obj, "_mode", None)
    return (None, None) if metric in (None, "_metric") else (metric, mode)


def scheduler_budget(scheduler: Any) -> tuple[str, float] | None:
    """``(time_attr, max_t)`` of a scheduler that stops every trial at ``max_t`` (ASHA,
    HyperBand): a stop there is the end of the budget, not an early stop."""
    if scheduler is None:
        return None
    max_t = getattr(scheduler, "_max_t", None) or getattr(scheduler, "_max_t_attr", None)
    time_attr = getattr(scheduler, "_time_attr", None)
    if max_t is None or time_attr is None:
        return None
    return str(time_attr), float(max_t)


def worker_resources(scaling: Any) -> dict[str, float]:
    """What each worker of a Ray Train ``ScalingConfig`` asks for, by Ray's names."""
    return {k: float(v) for k, v in scaling._resources_per_worker_not_none.items() if v}


def trainer_with(trainer: Any, *, train_loop_config: dict[str, Any], run_config: Any) -> Any:
    """A copy of a Ray Train V2 trainer with another train_loop_config and RunConfig (and so
    a new run context: a new run id)."""
    import dataclasses

    run = copy.copy(trainer)
    run.train_loop_config = train_loop_config
    run.run_config = run_config
    run.train_run_context = dataclasses.replace(
        trainer.train_run_context, run_config=run_config, train_loop_config=train_loop_config
    )
    return run


# -- schedulers ---------------------------------------------------------------------------------


def metric_sign(scheduler: Any) -> float:
    """+1 when the scheduler maximises, -1 when it minimises (Ray keeps scores signed)."""
    return float(scheduler._metric_op or 1)


class RungView(NamedTuple):
    """One ASHA rung of a trial's bracket: the milestone and the signed values recorded."""

    milestone: float
    recorded: dict[str, float]


def asha_rungs(scheduler: Any, trial_id: str) -> tuple[int, Any, list[RungView]] | None:
    """(bracket index, bracket, its rungs) of the ASHA bracket ``trial_id`` is in."""
    bracket = scheduler._trial_info.get(trial_id)
    if bracket is None:
        return None
    rungs = [RungView(milestone, recorded) for milestone, recorded in bracket._rungs]
    return scheduler._brackets.index(bracket), bracket, rungs


def asha_cutoff(bracket: Any, recorded: dict[str, float]) -> float | None:
    """Ray's own cut-off of an ASHA rung over ``recorded`` (signed values)."""
    cutoff = bracket.cutoff(recorded)
    return None if cutoff is None else float(cutoff)


class HalvingView(NamedTuple):
    """One halving of a HyperBand bracket: of the trials ``live`` (each with its result at
    ``milestone``), Ray kept the best ``kept`` by ``metric`` (``sign`` +1 max, -1 min)."""

    bracket: int
    milestone: float
    live: dict[Any, dict[str, Any]]
    kept: int
    metric: str
    sign: float


class HalvingHook:
    """Put before ``HyperBandScheduler`` (or ``HyperBandForBOHB``) in a class's bases: when Ray
    halves a bracket, :meth:`on_halving` gets the trials and results it ranked."""

    def _process_bracket(self, tune_controller: Any, bracket: Any) -> str:
        halves, live = bracket._halves, dict(bracket._live_trials)
        milestone = bracket._cumul_r  # the iterations the trials reached: the rung
        action: str = super()._process_bracket(tune_controller, bracket)  # type: ignore[misc]
        if bracket._halves != halves and live:
            brackets = [b for band in self._hyperbands for b in band]  # type: ignore[attr-defined]
            index = next((i for i, b in enumerate(brackets) if b is bracket), 0)
            metric = self._metric  # type: ignore[attr-defined]
            self.on_halving(
                HalvingView(index, milestone, live, bracket._n, metric, metric_sign(self))
            )
        return action

    def on_halving(self, view: HalvingView) -> None:
        """A bracket was halved: the view says which, where, and what Ray ranked."""


class ExploitView(NamedTuple):
    """What one PBT exploit did, read around Ray's ``_exploit``."""

    recipient: Any
    donor: Any
    step: int
    donor_step: Any
    recipient_score: float | None
    donor_score: float | None
    old_config: dict[str, Any]
    donor_config: dict[str, Any]
    new_config: dict[str, Any]
    operations: dict[str, Any]


class ExploitHook:
    """Put before ``PopulationBasedTraining`` (or PB2) in a class's bases: each exploit is
    given to :meth:`on_exploit` as an :class:`ExploitView`. Read before Ray's ``_exploit``:
    the recipient's step and score and its old config; after it: the new config, and the
    donor's checkpoint step (Ray resolves the donor's pending save into ``last_result``
    first). The recipient continues from that step.
    """

    _operations: dict[str, Any] | None = None

    def _get_new_config(self, trial: Any, trial_to_clone: Any) -> tuple[dict, dict]:
        new_config, operations = super()._get_new_config(trial, trial_to_clone)  # type: ignore[misc]
        self._operations = operations
        return new_config, operations

    def _exploit(self, tune_controller: Any, trial: Any, trial_to_clone: Any) -> None:
        states = self._trial_state  # type: ignore[attr-defined]
        recipient, donor = states[trial], states[trial_to_clone]
        sign = metric_sign(self)
        step = recipient.last_train_time
        recipient_score = None if recipient.last_score is None else recipient.last_score * sign
        donor_score = None if donor.last_score is None else donor.last_score * sign
        old_config = copy.deepcopy(trial.config)
        donor_config = copy.deepcopy(trial_to_clone.config)
        self._operations = None
        super()._exploit(tune_controller, trial, trial_to_clone)  # type: ignore[misc]
        time_attr = self._time_attr  # type: ignore[attr-defined]
        self.on_exploit(
            ExploitView(
                recipient=trial,
                donor=trial_to_clone,
                step=step,
                donor_step=(donor.last_result or {}).get(time_attr, donor.last_train_time),
                recipient_score=recipient_score,
                donor_score=donor_score,
                old_config=old_config,
                donor_config=donor_config,
                new_config=copy.deepcopy(trial.config),
                operations=self._operations or {},
            )
        )

    def on_exploit(self, view: ExploitView) -> None:
        """A member exploited another: the view says who, when and with what config."""
