"""Detached runs: the driver of a run (Ray Tune's controller, tunebook's recorder) as a detached
Ray actor, so the run goes on to its end when the kernel that started it dies, restarts or
closes. The actor runs the same launch as an in-kernel run and writes the same record; the
kernel follows that record (``AttachedExperiment``), as any other kernel can."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from tunebook.engine import _warm
from tunebook.engine._attached import AttachedExperiment, driver_end
from tunebook.engine._launch import EXPERIMENTS, Launch, launch
from tunebook.errors import ExperimentFailed, OptionError, TunebookError
from tunebook.events import EVENTS_FILE

#: Seconds a detached driver has to write its experiment's start.
START_TIMEOUT = 120.0
#: The Ray namespace of the drivers: each is the actor ``tunebook:NAME`` in it.
NAMESPACE = "tunebook"


class Driver:
    """The driver of one detached run, in a Ray worker: it runs the launch, then ends."""

    def run(self, plan_data: bytes) -> str:
        import ray
        from ray import cloudpickle

        from tunebook.engine._cluster import as_driver

        try:
            as_driver()
            plan = cloudpickle.loads(plan_data)
            experiment = launch(dataclasses.replace(plan, wait=False))
            experiment._done.wait()
            return experiment.status
        finally:
            ray.actor.exit_actor()  # a detached actor lives until it ends itself, error or not


def detach(plan: Launch) -> AttachedExperiment:
    """Start the run ``plan`` describes on a detached driver, and follow it from here."""
    import ray
    from ray import cloudpickle

    try:
        data = cloudpickle.dumps(plan)
    except Exception as err:  # noqa: BLE001 (what could not be sent is in the message)
        raise OptionError(
            f"this run cannot be detached: its objective, space or options cannot be sent to "
            f"a driver outside the kernel ({type(err).__name__}: {err}). Run it with "
            "detach=False."
        ) from err
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = ray.get_runtime_context().get_node_id()  # the record goes to this node's disk
    try:
        actor: Any = (
            ray.remote(Driver)
            .options(
                name=f"tunebook:{plan.name}",
                namespace=NAMESPACE,
                lifetime="detached",
                num_cpus=0,
                max_restarts=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False),
            )
            .remote()
        )
    except ValueError as err:  # the name is taken: a run of that name is on this Ray
        raise OptionError(
            f"a detached run named {plan.name!r} is already running on this Ray (from another "
            f"storage folder): choose another name ({err})."
        ) from err
    call = actor.run.remote(data)
    folder = plan.storage / plan.name
    deadline = time.monotonic() + START_TIMEOUT
    while not _started(folder / EVENTS_FILE):
        ready, _ = ray.wait([call], timeout=0.05)
        if ready:
            ray.kill(actor)  # ended without starting the run: it must not linger
            _raise_driver_error(call, plan.name)
        if time.monotonic() > deadline:
            ray.kill(actor)
            raise ExperimentFailed(
                f"the detached driver of {plan.name!r} did not start the run within "
                f"{START_TIMEOUT:g} s (the cluster may have no room for it)."
            )
    experiment = AttachedExperiment(
        folder,
        driver=(actor, call),
        on_end=lambda: _warm.ready(taken=_warm.wanted()),  # its driver's and trials' workers
    )
    experiment._start()
    EXPERIMENTS.append(experiment)
    if plan.wait:
        experiment.wait()
    return experiment


def _started(record: Any) -> bool:
    try:
        return bool(record.stat().st_size)
    except OSError:
        return False


def _raise_driver_error(call: Any, name: str) -> None:
    """The error that ended the driver before the run started, as the user's own error."""
    cause, how = driver_end(call)
    if isinstance(cause, TunebookError):
        raise cause from None  # tunebook's own message, as an in-kernel run gives it
    raise ExperimentFailed(
        f"the detached driver of {name!r} ended before the run started: "
        f"{how or 'it returned without starting it'}."
    ) from cause
