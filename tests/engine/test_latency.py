"""The first trial of a run starts on an idle worker that already holds Ray Tune's import
(benchmarks/latency.py measures the time it saves)."""

from __future__ import annotations

import pytest
import ray

from tunebook.engine._cluster import refill_workers
from tunebook.engine._experiment import Experiment
from tunebook.engine._ray_internals import PRELOAD, trial_actor_env
from tunebook.events import EventLog

pytestmark = pytest.mark.usefixtures("ray_session")


def test_trial_actors_of_the_local_ray_need_no_runtime_env_of_their_own():
    # a trial actor with a runtime env of its own never gets one of the raylet's idle workers
    import os

    assert trial_actor_env() == {}
    assert os.environ["PL_DISABLE_FORK"] == "1"  # Ray Tune's setting, inherited instead


def test_refilling_leaves_workers_that_have_imported_ray_tune():
    @ray.remote(num_cpus=0)
    def loaded() -> bool:
        import sys

        return "ray.tune.trainable.function_trainable" in sys.modules

    refs = refill_workers()
    assert refs, "no worker was readied on the local Ray tunebook started"
    assert all(pid > 0 for pid in ray.get(refs, timeout=120))
    assert ray.get(loaded.remote(), timeout=120)  # the pool's workers preload it too
    assert PRELOAD["preload_python_modules"] == ["ray.tune.trainable.function_trainable"]


class _Tuner:
    def fit(self) -> None:
        pass


def test_what_runs_after_the_end_never_fails_the_experiment(tmp_path):
    calls = []

    def broken() -> None:
        calls.append(1)
        raise RuntimeError("no Ray")

    exp = Experiment(
        "x", tmp_path, EventLog(tmp_path / "events.jsonl"), _control(), _Tuner(), on_end=broken
    )._start()
    assert exp.wait(timeout=30)
    assert exp.status == "completed" and calls == [1]


def _control():
    from tunebook.engine._control import StopControl

    return StopControl()
