"""What a resume needs that Ray does not keep, kept when a run starts: the trial function
(by value) beside Ray's state of the run, and where its driver runs."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunebook.engine._ray_internals import tuner_parts

#: The file beside Ray's state of a run that keeps what ``Tuner.restore`` needs again.
TRIAL_FILE = "tunebook_trial.pkl"


def driver() -> dict[str, Any]:
    """Where this process runs, as ``experiment_started`` records the driver of a run: a
    resume on the same host tells at once whether that driver is still alive."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def keep_trial(tuner: Any, folder: Path, rebuild: Mapping[str, Any] | None = None) -> str | None:
    """Keep, by value, the trial function and space of ``tuner`` in Ray's ``folder`` of the
    run. A run that takes ``with_parameters`` keeps ``rebuild`` instead (its objective, the
    names of the objects and its resources): the objects live in Ray's object store only while
    the driver does, and a resume is given them again. Returns why nothing could be kept, or
    None."""
    import ray.cloudpickle

    parts = tuner_parts(tuner)
    if parts is None:
        return "it runs through Ray Client"
    kept = {"trainable": parts.trainable, "param_space": parts.param_space}
    if rebuild:
        kept = {**kept, "trainable": None, **rebuild}
    try:
        data = ray.cloudpickle.dumps(kept)
    except Exception as err:  # noqa: BLE001 (the run goes on; only a resume is lost)
        return f"its trial function cannot be pickled ({type(err).__name__}: {err})"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{TRIAL_FILE}.partial"
    partial.write_bytes(data)
    partial.replace(folder / TRIAL_FILE)  # whole or absent, should the driver die mid-write
    return None
