"""Hand-made event logs that several test files replay, with exact times and values."""

from __future__ import annotations

import tunebook as tb
from tunebook.events import EventLog
from tunebook.results import ExperimentState, Results


def make_log(path=None) -> EventLog:
    """Three trials: a finishes, b is pruned after 2 reports, c fails; times are exact."""
    log = EventLog(path)
    space = tb.Space({"lr": tb.loguniform(1e-4, 1e-1), "model": {"depth": tb.randint(2, 10)}})
    log.append(
        "experiment_started",
        time=100.0,
        name="exp",
        metric="acc",
        mode="max",
        space=space.to_dict(),
        total_trials=4,
    )
    log.append(
        "trial_started", time=100.5, trial_id="a", config={"lr": 0.01, "model": {"depth": 3}}
    )
    log.append(
        "trial_started", time=100.5, trial_id="b", config={"lr": 0.001, "model": {"depth": 5}}
    )
    log.append("result", time=101.0, trial_id="a", iteration=1, metrics={"acc": 0.5, "phase": "a"})
    log.append("result", time=101.0, trial_id="b", iteration=1, metrics={"acc": 0.6})
    log.append("result", time=102.0, trial_id="a", iteration=2, metrics={"acc": 0.9, "phase": "b"})
    log.append("result", time=102.0, trial_id="b", iteration=2, metrics={"acc": 0.4})
    log.append("trial_ended", time=102.0, trial_id="b", status="pruned")
    log.append("result", time=103.0, trial_id="a", iteration=3, metrics={"acc": 0.8})
    log.append("trial_ended", time=103.5, trial_id="a", status="terminated")
    log.append(
        "trial_started", time=103.5, trial_id="c", config={"lr": 0.05, "model": {"depth": 9}}
    )
    log.append(
        "trial_ended",
        time=104.0,
        trial_id="c",
        status="error",
        error="Traceback (most recent call last):\nValueError: lr too high",
    )
    log.append("experiment_ended", time=105.0, status="completed")
    return log


def pbt_log() -> EventLog:
    """Two members: a clones b at 4, b clones a at 6, a clones b at its last step (never
    trained). Ray logs an exploit before the report that caused it; a restart follows."""
    log = EventLog()
    log.append("experiment_started", name="pbt", metric="acc", mode="max", scheduler="pbt")

    def results(trial, iterations, bonus=0.0):
        for i in iterations:
            log.append("result", trial_id=trial, iteration=i, metrics={"acc": i / 10 + bonus})

    def exploit(recipient, donor, step, donor_config, new_config):
        log.append(
            "exploit",
            recipient=recipient,
            donor=donor,
            step=step,
            donor_step=step,
            recipient_score=0.0,
            donor_score=1.0,
            old_config={},
            donor_config=donor_config,
            new_config=new_config,
            operations={"h": "* 1.2"},
        )

    log.append("trial_started", trial_id="a", config={"h": 1})
    log.append("trial_started", trial_id="b", config={"h": 2})
    results("a", [1, 2, 3])
    results("b", [1, 2, 3, 4], 0.01)
    exploit("a", "b", 4, {"h": 2}, {"h": 2.4})
    results("a", [4])
    log.append("trial_started", trial_id="a", config={"h": 2.4})
    results("a", [5, 6])
    results("b", [5], 0.01)
    exploit("b", "a", 6, {"h": 2.4}, {"h": 2.88})
    results("b", [6], 0.01)
    log.append("trial_started", trial_id="b", config={"h": 2.88})
    results("b", [7, 8], 0.01)
    results("a", [7])
    exploit("a", "b", 8, {"h": 2.88}, {"h": 3.456})
    results("a", [8])
    log.append("trial_ended", trial_id="a", status="terminated")
    log.append("trial_ended", trial_id="b", status="terminated")
    log.append("experiment_ended", status="completed")
    return log


def finished(space: dict, trials: list[tuple[dict, float]], mode: str = "max", **status) -> Results:
    """An experiment over ``space`` whose trials ended with these configs and values."""
    log = EventLog()
    log.append(
        "experiment_started",
        name="coarse",
        metric="acc",
        mode=mode,
        space=tb.Space(space).to_dict(),
    )
    for i, (config, value) in enumerate(trials):
        trial = f"t{i}"
        log.append("trial_started", trial_id=trial, config=config)
        log.append("result", trial_id=trial, iteration=1, metrics={"acc": value})
        log.append("trial_ended", trial_id=trial, status=status.get(trial, "terminated"))
    log.append("experiment_ended", status="completed")
    return Results(log)


def events() -> list[dict]:
    out = [
        {
            "event": "experiment_started",
            "time": 0.0,
            "name": "e",
            "metric": "acc",
            "mode": "max",
            "total_trials": 4,
        }
    ]
    configs = {
        "a": {"lr": 0.1, "act": "relu"},
        "b": {"lr": 0.01, "act": "tanh"},
        "c": {"lr": 0.001, "act": "relu"},
    }
    for t, config in configs.items():
        out.append({"event": "trial_started", "time": 1.0, "trial_id": t, "config": config})
    curves = {"a": [0.5, 0.7, 0.9], "b": [0.6, 0.65], "c": [0.2]}
    for t, values in curves.items():
        for i, v in enumerate(values, start=1):
            out.append(
                {
                    "event": "result",
                    "time": 1.0 + i,
                    "trial_id": t,
                    "iteration": i,
                    "metrics": {"acc": v, "loss": 1 - v, "phase": "x"},
                }
            )
    out.append({"event": "trial_ended", "time": 5.0, "trial_id": "b", "status": "pruned"})
    out.append({"event": "trial_output", "time": 5.0, "trial_id": "c", "text": "hi\n"})
    out.append(
        {
            "event": "trial_ended",
            "time": 6.0,
            "trial_id": "c",
            "status": "error",
            "error": "ValueError: x",
        }
    )
    return out


def state() -> ExperimentState:
    s = ExperimentState()
    s.add(events())
    return s


def started_log(trials: str = "abc") -> EventLog:
    log = EventLog()
    log.append(
        "experiment_started", name="demo", metric="acc", mode="max", total_trials=len(trials)
    )
    for t in trials:
        log.append("trial_started", trial_id=t, config={"lr": 0.01 * (ord(t) - 96)})
    return log


def report(log: EventLog, trial: str, iteration: int) -> None:
    log.append(
        "result",
        trial_id=trial,
        iteration=iteration,
        metrics={"acc": iteration * (ord(trial) - 96) / 1000},
    )


def quiet_record(folder, silent_for: float) -> float:
    """A run's record with no end: trial a finished, b was running, and the driver's last
    event (a heartbeat) came ``silent_for`` seconds ago. Returns that last event's time."""
    import time

    last = time.time() - silent_for
    log = EventLog(folder / "events.jsonl")
    log.append("experiment_started", time=last - 20, name=folder.name, metric="acc", mode="max")
    for trial in ("a", "b"):
        log.append("trial_started", time=last - 19, trial_id=trial, config={"lr": 0.1})
        log.append("result", time=last - 18, trial_id=trial, iteration=1, metrics={"acc": 0.5})
    log.append("trial_ended", time=last - 17, trial_id="a", status="terminated")
    log.append("heartbeat", time=last)
    log.close()
    return last
