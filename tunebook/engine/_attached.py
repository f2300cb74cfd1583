"""``attach``: an experiment whose driver runs elsewhere (a detached run, another kernel, a
terminal), followed through its record. Its dashboard, progress, ``wait`` and ``results`` are an
:class:`Experiment`'s; its Stop and Stop-this-trial are ``control`` events appended to the
record, which the driver takes within its ``CONTROL_POLL_S``. No Ray: any number of kernels
can follow one run."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tunebook.engine._control import control_fields
from tunebook.engine._experiment import Experiment
from tunebook.engine._launch import EXPERIMENTS
from tunebook.errors import ExperimentFailed
from tunebook.events import (
    EVENTS_FILE,
    SILENT_AFTER_S,
    EventLog,
    read_from,
    silent_end,
)
from tunebook.results import Results, find

#: How often a followed record is read for what is new.
FOLLOW_S = 0.25


class AttachedExperiment(Experiment):
    """A run recorded in ``path`` whose driver is another process, followed as it goes on.

    It ends when its record does (``experiment_ended``), or reads as ``crashed`` once the
    record has been silent for ``SILENT_AFTER_S`` (its driver is gone: ``tb.resume`` goes on
    with it).
    """

    #: Its driver runs outside this process.
    detached = True
    #: Interrupting a wait on it stops waiting, not the run (it may be another kernel's).
    stops_on_interrupt = False

    def __init__(
        self, path: Path, *, driver: Any = None, on_end: Callable[[], object] | None = None
    ) -> None:
        self.name = path.name
        self.path = path
        self._record = path / EVENTS_FILE
        self._log = EventLog()  # in memory: what the record holds, as it is read
        self._offset = 0
        self._status = "running"
        self._error: BaseException | None = None
        self._live = Results(self._log, path)
        self._done = threading.Event()
        self._started = time.monotonic()
        self._controls: set[Any] = set()
        self._driver = driver  # a detached driver started here: its actor and its call
        self._on_end = on_end
        self._life: float | None = None  # the latest sign of its driver's life in the record
        self._read()
        self.name = self._live.name or path.name
        self._thread = threading.Thread(
            target=self._follow, name=f"tunebook:{self.name}:follow", daemon=True
        )

    def _start(self) -> Experiment:
        self._thread.start()
        return self

    def _read(self) -> None:
        self._take()
        if self._done.is_set():
            return
        gone = self._driver_gone()
        if gone is not None:
            self._take()  # what it wrote last
            if self._done.is_set():
                return
        if self._life is None or (gone is None and time.time() - self._life < SILENT_AFTER_S):
            return  # the driver wrote lately: no need to look through the whole record
        for event in silent_end(self._log.events(), time.time(), gone):
            self._log.take(event)
            if event["event"] == "experiment_ended":
                self._end(event)

    def _take(self) -> None:
        events, self._offset = read_from(self._record, self._offset)
        for event in events:
            self._log.take(event)
            if event["event"] != "control":  # another process's command: no sign of life
                self._life = max(self._life or 0.0, float(event["time"]))
            if event["event"] == "experiment_ended":
                self._end(event)

    def _driver_gone(self) -> str | None:
        """How the detached driver this process started ended, if it has (killed, its node
        lost, an error of its own): its run is then crashed at once, not after the record's
        silence."""
        if self._driver is None:
            return None
        import ray

        if not ray.is_initialized():
            return None
        call = self._driver[1]
        if not ray.wait([call], timeout=0)[0]:
            return None
        return driver_end(call)[1] or "its detached driver ended before the run did"

    def _end(self, event: dict[str, Any]) -> None:
        if self._done.is_set():
            return
        self._status = str(event.get("status") or "failed")
        if self._status == "crashed":
            self._error = ExperimentFailed(
                f"experiment {self.name!r} lost its driver: {event.get('error')}. Go on with "
                f"it with tb.resume({self.name!r})."
            )
        elif self._status == "failed":
            self._error = ExperimentFailed(f"experiment {self.name!r} failed: {event.get('error')}")
        self._after_end()
        self._done.set()

    def _follow(self) -> None:
        while not self._done.wait(FOLLOW_S):
            try:
                self._read()
            except Exception:  # noqa: BLE001, S112 (the folder went away, Ray shut down: the
                continue  # record as read so far stays, and its silence still ends it)

    def _command(self, command: str, via: str, trial_id: str | None = None) -> None:
        """A control command, appended to the record for its driver to take."""
        if self.done:
            return
        fields = control_fields(command, via, trial_id)
        self._controls.add(fields["id"])
        EventLog.append_to(self._record, "control", **fields)

    def wait(self, timeout: float | None = None, *, quiet: bool = False) -> bool:
        finished = super().wait(timeout, quiet=quiet)
        if finished and self._status == "crashed" and self._error is not None:
            raise self._error
        return finished

    def __repr__(self) -> str:
        return f"<attached Experiment {self.name!r} {self.progress_line()} at {self.path}>"


def driver_end(call: Any) -> tuple[BaseException | None, str | None]:
    """How the detached driver's ended ``call`` ended: the error of its own (and its text),
    or its death's text; (None, None) when it returned or ended itself."""
    import ray

    try:
        ray.get(call, timeout=0)
    except ray.exceptions.RayTaskError as err:  # an error of the driver's own
        cause = err.cause if isinstance(err.cause, BaseException) else None
        return cause, f"its detached driver failed: {err.cause!r}"
    except Exception as err:  # noqa: BLE001 (the actor died: killed, out of memory, node)
        text = str(err).strip()
        if "exit_actor" in text or "intentionally" in text.lower():
            return None, None
        return None, f"its detached driver died ({text.splitlines()[0] if text else err!r})"
    return None, None


def attach(experiment: str | os.PathLike[str], storage_path: str | None = None) -> Experiment:
    """Follow the experiment ``experiment`` (its name in ``storage_path``, or its folder) from
    this kernel: display it for its live dashboard, whose Stop works; ``results`` once it
    ends. An experiment of this kernel is itself.

    Raises:
        OptionError: no such experiment (the message lists the latest ones).
    """
    folder = find(experiment, storage_path)
    for mine in EXPERIMENTS:
        if Path(mine.path) == folder and not mine.done:
            return mine
    attached = AttachedExperiment(folder)
    attached._start()
    EXPERIMENTS.append(attached)
    return attached
