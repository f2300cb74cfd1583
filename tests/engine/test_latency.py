"""A run's first trial starts on an idle worker kept ready for it, on the Ray tunebook started
and on one it joined (benchmarks/latency.py measures the time it saves)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
import ray

from tunebook.engine import _warm
from tunebook.engine._experiment import Experiment
from tunebook.engine._ray_internals import trial_actor_env
from tunebook.events import EventLog

pytestmark = pytest.mark.usefixtures("ray_session")


def test_trial_actors_need_no_runtime_env_of_their_own():
    # a trial actor with a runtime env of its own never gets one of the raylet's idle workers
    assert trial_actor_env() == {}
    assert os.environ["PL_DISABLE_FORK"] == "1"  # Ray Tune's setting, inherited instead


#: Whether a worker had tunebook's engine loaded before its task (defined in a module workers
#: cannot import, so that unpickling it imports nothing of tunebook).
LOADED = "def loaded():\n    import sys\n    return 'tunebook.engine' in sys.modules\n"


def test_a_new_worker_has_the_engine_a_trial_unpickles_into_already_loaded():
    scope: dict = {"__name__": "__not_importable__"}
    exec(LOADED, scope)
    # an env of its own: a worker process of its own, as the raylet starts one for a trial
    fresh = ray.remote(runtime_env={"env_vars": {"TUNEBOOK_PROBE": str(time.time())}})
    assert ray.get(fresh(scope["loaded"]).remote(), timeout=120)


def test_the_workers_a_run_took_are_replaced_and_no_more():
    wanted = _warm.wanted()
    assert wanted == int(ray.cluster_resources()["CPU"])  # one per CPU of the one node
    _warm.ready()  # whatever earlier tests left: topped up
    assert _warm.ready() == 0  # all there: none more
    assert _warm.ready(taken=1) == 1  # a run's trials took one
    assert _warm.ready(taken=wanted + 5) == wanted  # never more than wanted


#: A second process joins the session's Ray (a kernel on a Ray another process started), runs
#: once, waits for the workers kept ready, and runs a trial that says which process it ran in.
JOINED = textwrap.dedent(
    """
    import json, os, subprocess, sys, time
    from ray import tune
    import tunebook as tb

    def where(config):
        tune.report({"worker_pid": os.getpid()})

    def idle():
        ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        return {int(line.split()[0]) for line in ps.splitlines() if "ray::IDLE" in line}

    storage = sys.argv[1]
    tb.run(where, {"x": 1}, metric="worker_pid", mode="max", storage_path=storage, wait=True)
    deadline = time.monotonic() + 90
    while len(idle()) < 2 and time.monotonic() < deadline:  # the workers readied register
        time.sleep(0.5)
    time.sleep(1)
    before = idle()
    exp = tb.run(where, {"x": 2}, metric="worker_pid", mode="max", storage_path=storage, wait=True)
    trial = exp.results.best_result.metrics["worker_pid"]
    print(json.dumps({"trial": int(trial), "idle": sorted(before)}))
    """
)


def test_a_process_that_joined_the_ray_starts_its_trial_on_a_worker_kept_ready(storage):
    env = {**os.environ, "RAY_ADDRESS": ray.get_runtime_context().gcs_address}
    ran = subprocess.run(
        [sys.executable, "-c", JOINED, storage],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    # without the job's env and the workers kept ready, Ray starts a new process for the trial
    assert seen["trial"] in seen["idle"], seen


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
