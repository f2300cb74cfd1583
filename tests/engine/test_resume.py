"""tb.resume: a run whose driver was killed goes on where it was, in the same record (the
driver a process of its own on the session's Ray, killed with SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import ray

import tunebook as tb
from tunebook.engine._launch import RAY_STATE_DIR
from tunebook.errors import OptionError
from tunebook.events import EventLog

pytestmark = pytest.mark.usefixtures("ray_session")

STEPS = 12

#: Four trials of STEPS steps, each saving its state at every step (``report(state=...)``),
#: given an object by ``with_parameters``: the driver prints the folder and runs until it is
#: killed.
DRIVER = textwrap.dedent(
    f"""
    import sys, time
    import tunebook as tb

    def trial(config, offset):
        state = tb.restore() or {{"step": 0}}
        for step in range(state["step"] + 1, {STEPS} + 1):
            time.sleep(0.15)
            tb.report(score=step * config["k"] + offset, state={{"step": step}})

    exp = tb.run(trial, {{"k": tb.grid([1, 2, 3, 4])}}, metric="score", mode="max",
                 storage_path=sys.argv[1], name="long", with_parameters={{"offset": 100}})
    print(exp.path, flush=True)
    exp.wait()
    """
)


def _killed_run(storage: str) -> Path:
    """The folder of a run whose driver was killed mid-run, once Ray had saved its state
    with trials part done."""
    env = {**os.environ, "RAY_ADDRESS": ray.get_runtime_context().gcs_address}
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, storage], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        path = Path(driver.stdout.readline().strip())
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # killed as soon as two trials checkpointed:
            events = _events(path)  # Ray's own snapshot of the run may not know it yet
            saved = {e["trial_id"] for e in events if e["event"] == "checkpoint"}
            if len(saved) >= 2:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the run did not get going")
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
    return path


def _events(path: Path) -> list[dict]:
    try:
        return EventLog.read(path, now=0.0).events()
    except Exception:  # noqa: BLE001 (not written yet)
        return []


def test_a_killed_run_resumes_from_its_checkpoints_to_its_end(storage):
    path = _killed_run(storage)
    before = EventLog.read(path, now=0.0).events()
    saved = {}  # each trial's latest checkpoint in the record
    for event in before:
        if event["event"] == "checkpoint":
            saved[event["trial_id"]] = event["iteration"]
    time.sleep(2)  # Ray ends the dead driver's trials
    with pytest.raises(OptionError) as caught:  # the object lived in the driver that died
        tb.resume("long", storage_path=storage)
    assert str(caught.value) == (
        "experiment 'long' passed with_parameters 'offset' to its trials, which lived in the "
        "process that died: pass them again, as tb.resume('long', with_parameters={'offset': "
        "...})."
    )
    exp = tb.resume("long", storage_path=storage, with_parameters={"offset": 100})
    assert exp.wait(timeout=120)
    assert exp.status == "completed"
    results = exp.results
    assert set(results.trials.status) == {"terminated"} and len(results.trials) == 4
    assert results.trials.iterations.min() >= STEPS
    log = results.log.events()
    resumed = next(i for i, e in enumerate(log) if e["event"] == "experiment_resumed")
    assert log[:resumed] == before  # the record goes on: nothing before the resume changed
    after = [e for e in log[resumed:] if e["event"] == "result"]
    first = {}
    for event in after:
        first.setdefault(event["trial_id"], event["iteration"])
    # each trial goes on from its latest checkpoint, as the record has it; the others from 1
    assert first == {t: saved.get(t, 0) + 1 for t in first}, (first, saved)
    every = {(e["trial_id"], e["iteration"]) for e in log if e["event"] == "result"}
    assert every == {(t, i) for t in results.trials.trial_id for i in range(1, STEPS + 1)}
    assert [e["event"] for e in log].count("experiment_ended") == 1
    assert results.history.score.min() > 100  # the object given again reached the trials
    with pytest.raises(OptionError, match="ended completed: nothing to resume"):
        tb.resume(path)


def test_a_resumed_run_stops_when_asked(storage):
    # Ray's controller unpickles the dead run's stopper over the one it is given: tunebook's
    # stop must reach the resumed run all the same
    path = _killed_run(storage)
    exp = tb.resume(path, with_parameters={"offset": 100})
    resumed = len(exp.snapshot().log)
    deadline = time.monotonic() + 60
    while not any(e["event"] == "result" for e in exp.snapshot().log.events(resumed)):
        assert time.monotonic() < deadline, "the resumed run reported nothing"
        time.sleep(0.05)
    exp.stop()
    assert exp.wait(timeout=15) and exp.status == "stopped"
    log = exp.results.log.events()
    asked = next(i for i, e in enumerate(log) if e["event"] == "control")
    assert not [e for e in log[asked:] if e["event"] == "trial_started"]  # Ray took the stop
    assert "stopped" in set(exp.results.trials.status) and not exp.results.errors


def test_what_cannot_be_resumed_says_why_in_one_line(storage, tmp_path):
    with pytest.raises(OptionError) as caught:
        tb.resume("nothing-here", storage_path=storage)
    assert str(caught.value).startswith(f"no experiment 'nothing-here' in {storage}")


def _record(storage: str, name: str, *, age: float, pid: int) -> Path:
    """A record of a run started ``age`` seconds ago by process ``pid`` of this host, with
    no end."""
    import socket

    folder = Path(storage) / name
    log = EventLog(folder / "events.jsonl")
    when = time.time() - age
    driver = {"host": socket.gethostname(), "pid": pid}
    log.append("experiment_started", time=when, name=name, metric="v", mode="max", driver=driver)
    log.close()
    return folder


def test_a_run_whose_driver_may_be_alive_is_not_resumed(storage):
    _record(storage, "alive", age=2, pid=os.getpid())  # this very process: alive
    with pytest.raises(OptionError) as caught:
        tb.resume("alive", storage_path=storage)
    assert str(caught.value).startswith(
        f"experiment 'alive' may still be running: its driver (pid {os.getpid()} on "
    )


def test_a_run_without_rays_state_says_it_cannot_be_resumed(storage):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    folder = _record(storage, "stateless", age=2, pid=int(gone.stdout))  # a driver gone
    with pytest.raises(OptionError) as caught:
        tb.resume(folder)
    assert str(caught.value) == (
        f"experiment 'stateless' cannot be resumed: Ray's state of it "
        f"({Path(storage) / RAY_STATE_DIR / 'stateless'}) is gone. What it recorded reads "
        "with tb.load()."
    )


def test_the_terminal_says_it_in_one_line(storage, capsys):
    from tunebook.cli import main

    assert main(["resume", "nothing", "--storage", storage]) == 2
    assert capsys.readouterr().err.startswith(f"tunebook: no experiment 'nothing' in {storage}")


#: Eight trials of 20 steps from a seeded random search, a checkpoint at each step.
MANY = textwrap.dedent(
    """
    import sys, time
    import tunebook as tb

    def trial(config):
        state = tb.restore() or {"step": 0}
        for step in range(state["step"] + 1, 21):
            time.sleep(0.05)
            tb.report(score=step * config["k"], state={"step": step})

    exp = tb.run(trial, {"k": tb.uniform(0, 1)}, metric="score", mode="max", num_samples=8,
                 seed=7, storage_path=sys.argv[1], name="many")
    print(exp.path, flush=True)
    exp.wait()
    """
)


def test_a_run_killed_three_times_at_random_moments_ends_whole(storage):
    """As Ray tests its restore (test_tuner_restore.py): the driver is SIGKILLed at random
    moments, three times, and resumed each time (from a terminal: ``tunebook resume``)."""
    import random

    env = {**os.environ, "RAY_ADDRESS": ray.get_runtime_context().gcs_address}
    chance = random.Random()
    seed = chance.randrange(2**16)
    chance.seed(seed)
    path = Path(storage) / "many"
    command = [sys.executable, "-c", MANY, storage]
    reached: dict[str, int] = {}
    for kill in range(3):
        driver = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        before = sum(1 for e in _events(path) if e["event"] == "result")
        wait_for = before + chance.randrange(5, 40)  # kill after this many reports, and a bit
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if sum(1 for e in _events(path) if e["event"] == "result") >= wait_for:
                break
            time.sleep(0.02)
        time.sleep(chance.uniform(0, 0.5))
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
        now = _progress(_events(path))
        assert all(now.get(t, 0) >= n for t, n in reached.items()), (seed, kill)  # never back
        reached = now
        command = [sys.executable, "-m", "tunebook.cli", "resume", "many", "--storage", storage]
    exp = tb.resume("many", storage_path=storage)
    assert exp.wait(timeout=180) and exp.status == "completed", seed
    results = exp.results
    log = results.log.events()
    assert set(results.trials.status) == {"terminated"} and len(results.trials) == 8, seed
    rows = results.history.groupby("trial_id").iteration.apply(list).to_dict()
    assert rows == {t: list(range(1, 21)) for t in results.trials.trial_id}, seed  # once each
    ended: set[str] = set()
    for event in log:  # a trial that ended is not started again
        if event["event"] == "trial_ended":
            ended.add(event["trial_id"])
        elif event["event"] == "trial_started":
            assert event["trial_id"] not in ended, (seed, event)
    configs = [e["config"]["k"] for e in log if e["event"] == "trial_started"]
    assert len(set(configs)) == 8, (seed, configs)  # the seeded search ran no config twice
    # (a trial started again after a crash is started with its own config)
    checkpoints: dict[str, int] = {}
    for event in log:  # each attempt goes on from the trial's latest checkpoint in the record
        if event["event"] == "checkpoint":
            checkpoints[event["trial_id"]] = event["iteration"]
        elif event["event"] == "experiment_resumed":
            first: dict[str, int] = {}
            goes_on = dict(checkpoints)
        elif event["event"] == "result" and "first" in dir() and event["trial_id"] not in first:
            first[event["trial_id"]] = event["iteration"]
            assert event["iteration"] == goes_on.get(event["trial_id"], 0) + 1, (seed, event)


def _progress(events: list[dict]) -> dict[str, int]:
    """Each trial's latest iteration in the record."""
    reached: dict[str, int] = {}
    for event in events:
        if event["event"] == "result":
            reached[event["trial_id"]] = max(reached.get(event["trial_id"], 0), event["iteration"])
    return reached
