"""Record the event logs the fold's tests replay (tests/results/test_state.py): real runs on a
local Ray, each a kind of run the fold must read right. Run it again when the record changes:

    .venv/bin/python tests/data/record_logs.py

Each log is a run's ``events.jsonl``, copied here as ``NAME.jsonl``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import tunebook as tb

HERE = Path(__file__).resolve().parent


def curve(config):
    """A learning curve that rises to config["q"]; q < 0.15 fails at its fifth step."""
    for step in range(1, 13):
        if config["q"] < 0.15 and step == 5:
            raise ValueError(f"q={config['q']:.3f} diverged")
        tb.report(acc=config["q"] * (1 - 0.8**step), loss=1 - config["q"])
        time.sleep(0.01)


def member(config):
    """A PBT member with state: it climbs at rate h."""
    state = tb.restore() or {"theta": 0.0, "step": 0}
    while state["step"] < 16:
        state["theta"] += config["h"] * (1 - state["theta"])
        state["step"] += 1
        tb.report(q=state["theta"], state=dict(state))
        time.sleep(0.02)


def flaky(config):
    """Fails once after its third report; the retry goes on from its checkpoint."""
    state = tb.restore() or {"step": 0}
    fresh = state["step"] == 0
    while state["step"] < 6:
        if fresh and state["step"] == 3 and config["x"] > 0.5:
            raise RuntimeError("a lost worker")
        state["step"] += 1
        tb.report(v=state["step"] * config["x"], state=dict(state))


def slow(config):
    for step in range(1, 200):
        tb.report(v=step * config["x"])
        time.sleep(0.05)


def main() -> None:
    space = {"q": tb.uniform(0.05, 1.0)}
    runs = {
        "asha": lambda: tb.run(
            curve,
            space,
            metric="acc",
            mode="max",
            num_samples=10,
            seed=3,
            scheduler="asha",
            max_t=12,
            grace_period=2,
            reduction_factor=2,
        ),
        "hyperband": lambda: tb.run(
            curve,
            space,
            metric="acc",
            mode="max",
            num_samples=9,
            seed=4,
            scheduler="hyperband",
            max_t=9,
        ),
        "pbt": lambda: tb.run(
            member,
            {"h": tb.uniform(0.01, 0.3)},
            metric="q",
            mode="max",
            num_samples=4,
            seed=5,
            scheduler="pbt",
            perturbation_interval=4,
            synch=True,
        ),
        "retries": lambda: tb.run(
            flaky, {"x": tb.grid([0.2, 0.9])}, metric="v", mode="max", max_failures=1
        ),
        "budget": lambda: tb.run(
            slow, {"x": tb.uniform(0, 1)}, metric="v", mode="max", num_samples=6, time_budget_s=6
        ),
    }
    for name, start in runs.items():
        experiment = start()
        experiment.wait()
        shutil.copy(experiment.path / "events.jsonl", HERE / f"{name}.jsonl")
        print(name, experiment.status, len(experiment.results), "trials")
    stopped = tb.run(slow, {"x": tb.uniform(0, 1)}, metric="v", mode="max", num_samples=4)
    time.sleep(6)
    stopped.stop().wait()
    shutil.copy(stopped.path / "events.jsonl", HERE / "stopped.jsonl")
    print("stopped", stopped.status, len(stopped.results), "trials")


if __name__ == "__main__":
    storage = tempfile.mkdtemp(prefix="tunebook-logs-")
    os.environ["TUNEBOOK_RESULTS"] = storage
    try:
        main()
    finally:
        shutil.rmtree(storage, ignore_errors=True)
