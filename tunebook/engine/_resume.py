"""``resume``: a run whose driver is gone goes on where it was, through Ray Tune's
``Tuner.restore``, in the same record.

Ray Tune keeps a run's state (its trials, their checkpoints, the search and the scheduler) in
Ray's folder beside the experiment folders; it does not keep the trial function, which
``Tuner.restore`` must be given again. tunebook keeps it there too, by value, when the run
starts (``_kept.keep_trial``), so that a resume needs nothing from the process that died.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunebook.engine._control import LIVE, StopControl
from tunebook.engine._kept import TRIAL_FILE, driver
from tunebook.engine._launch import EXPERIMENTS, RAY_STATE_DIR
from tunebook.engine._local_ray import alive
from tunebook.engine._ray_internals import base_scheduler, tuner_parts
from tunebook.engine._recorder import Recorder
from tunebook.engine._schedulers import recording
from tunebook.errors import OptionError
from tunebook.events import EVENTS_FILE, SILENT_AFTER_S, EventLog, last_sign_of_life
from tunebook.results import find

#: Ray Tune's own file of a run's Tuner (``ray.tune.impl.tuner_internal._TUNER_PKL``).
TUNER_FILE = "tuner.pkl"


def check_resumable(folder: Path, log: EventLog, now: float) -> None:
    """Refuse, in one line, a run that must not be resumed: it ended, or its driver may be
    alive (in this process, or silent for less than :data:`SILENT_AFTER_S` unless it is a
    process of this host that is gone)."""
    name = folder.name
    for experiment in EXPERIMENTS:
        here = not experiment.detached  # an attached run's driver is elsewhere
        if here and Path(experiment.path).resolve() == folder.resolve() and not experiment.done:
            raise OptionError(f"experiment {name!r} is running in this process: nothing to resume.")
    events = log.events()
    ended = [e for e in events if e["event"] == "experiment_ended"]
    if ended:
        raise OptionError(
            f"experiment {name!r} ended {ended[-1].get('status')}: nothing to resume. Start a "
            "new run (parent= it, for a next stage), or read it with tb.load()."
        )
    last = last_sign_of_life(events)
    starts = [e for e in events if e["event"] in ("experiment_started", "experiment_resumed")]
    who = (starts[-1].get("driver") if starts else None) or {}
    if now - last >= SILENT_AFTER_S or _gone(who):
        return
    where = f" (pid {who.get('pid')} on {who.get('host')})" if who else ""
    raise OptionError(
        f"experiment {name!r} may still be running: its driver{where} wrote to the record "
        f"{now - last:.0f} s ago. A run whose driver is gone reads as crashed once its record "
        f"has been silent for {SILENT_AFTER_S:.0f} s; resume it then."
    )


def _gone(who: Mapping[str, Any]) -> bool:
    """Whether the driver ``who`` (host and pid) is a process of this host that is gone."""
    if who.get("host") != socket.gethostname() or not isinstance(who.get("pid"), int):
        return False
    return not alive(who["pid"])


def load_trial(ray_folder: Path, name: str, shared: Mapping[str, Any] | None) -> dict[str, Any]:
    """What ``_kept.keep_trial`` kept of run ``name``, with its trainable rebuilt around
    ``shared`` when the run took ``with_parameters``."""
    import ray.cloudpickle
    from ray import tune

    if not (ray_folder / TUNER_FILE).is_file():
        raise OptionError(
            f"experiment {name!r} cannot be resumed: Ray's state of it ({ray_folder}) is gone. "
            "What it recorded reads with tb.load()."
        )
    if not (ray_folder / TRIAL_FILE).is_file():
        raise OptionError(
            f"experiment {name!r} cannot be resumed: its trial function was not kept (a Ray "
            "Train run, a run through Ray Client, or one an older tunebook started)."
        )
    try:
        kept = ray.cloudpickle.loads((ray_folder / TRIAL_FILE).read_bytes())
    except Exception as err:  # noqa: BLE001 (a module the function needs cannot be imported)
        raise OptionError(
            f"experiment {name!r} cannot be resumed: its trial function does not load here "
            f"({type(err).__name__}: {err})."
        ) from None
    needed = sorted(kept.get("shared") or [])
    if sorted(shared or {}) != needed:
        if not needed:
            raise OptionError(f"experiment {name!r} took no with_parameters: resume it without.")
        raise OptionError(
            f"experiment {name!r} passed with_parameters {', '.join(map(repr, needed))} to its "
            "trials, which lived in the process that died: pass them again, as "
            f"tb.resume({name!r}, with_parameters={{{needed[0]!r}: ...}})."
        )
    if needed:
        kept["trainable"] = tune.with_parameters(kept["objective"], **dict(shared or {}))
        if kept.get("resources"):
            kept["trainable"] = tune.with_resources(kept["trainable"], kept["resources"])
    return kept


def resume(
    experiment: str | os.PathLike[str],
    *,
    storage_path: str | None = None,
    restart_errored: bool = False,
    with_parameters: Mapping[str, Any] | None = None,
    wait: bool = False,
) -> Any:
    """Resume a run whose driver is gone (a kernel killed or restarted, a machine stopped).

    Ray Tune's ``Tuner.restore`` goes on from Ray's state of the run: trials that ended stay
    ended, unfinished ones go on from their last checkpoint (``report(state=...)``; without
    one, from the start), errored ones stay errored unless ``restart_errored``. The record
    goes on in the same folder, after an ``experiment_resumed`` event; the Experiment
    returned covers the whole run.

    Args:
        experiment: the experiment's name in ``storage_path``, or its folder.
        storage_path: the folder of experiments (default as ``tb.run``'s).
        restart_errored: run the trials that failed again, from the start.
        with_parameters: the objects the run passed with ``with_parameters``, again.
        wait: block until the run ends.

    Raises:
        OptionError: in one line, when the run cannot be resumed and why.
    """
    from ray import tune
    from ray.tune.schedulers import FIFOScheduler

    from tunebook.engine._cluster import ensure_ray
    from tunebook.engine._experiment import Experiment
    from tunebook.engine._launch import start_experiment

    folder = find(experiment, storage_path)
    name = folder.name
    log = EventLog.continued(folder / EVENTS_FILE)  # as recorded (no end inferred): goes on
    before = log.events()
    check_resumable(folder, log, time.time())
    ray_folder = folder.parent / RAY_STATE_DIR / name
    kept = load_trial(ray_folder, name, with_parameters)
    started = next(e for e in before if e["event"] == "experiment_started")
    ensure_ray(None)
    tuner = tune.Tuner.restore(
        str(ray_folder),
        trainable=kept["trainable"],
        param_space=kept["param_space"] or None,
        resume_unfinished=True,
        resume_errored=False,
        restart_errored=restart_errored,
    )
    cut = _cut_partial_line(folder / EVENTS_FILE)  # before the log's first write
    control = LIVE[str(folder)] = StopControl(str(folder))  # Ray's unpickled one becomes it
    parts = tuner_parts(tuner)
    assert parts is not None  # a restore runs in this process
    if parts.tune_config.scheduler is None:  # Ray's default, made here to end what ended
        parts.tune_config.scheduler = FIFOScheduler()
    scheduler = base_scheduler(parts.tune_config.scheduler)  # adaptive resources wrap it
    budget = started.get("time_budget_s")  # counted again from the resume
    recorder = Recorder(log, control, started.get("metric"), scheduler, budget)
    recorder.carry_on(before)
    recording(scheduler, recorder.decision, recorder.exploit)
    ended = {  # errored ones run again if the user says so
        e["trial_id"]
        for e in before
        if e["event"] == "trial_ended" and not (restart_errored and e.get("status") == "error")
    }
    if hasattr(scheduler, "ended"):  # a scheduler tunebook records (a user's own cannot)
        scheduler.ended = frozenset(ended)
    run_config = parts.run_config
    run_config.callbacks = [
        recorder if isinstance(c, Recorder) else c for c in run_config.callbacks or []
    ]
    log.append(
        "experiment_resumed",
        driver=driver(),
        restart_errored=restart_errored,
        cut_bytes=cut,
    )
    log.flush()
    return start_experiment(Experiment(name, folder, log, control, tuner, budget), wait)


def _cut_partial_line(path: Path) -> int:
    """Cut off a last line the dead driver left unfinished (it was never acknowledged, and a
    line appended after it would make it a damaged line in the middle); the bytes cut."""
    with open(path, "rb+") as file:
        end = file.seek(0, os.SEEK_END)
        if end == 0:
            return 0
        file.seek(end - 1)
        if file.read(1) == b"\n":
            return 0  # the usual case: the last line is whole (one byte read)
        file.seek(0)
        data = file.read()
        keep = data.rfind(b"\n") + 1
        file.truncate(keep)
        return len(data) - keep
