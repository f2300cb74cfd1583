"""The event log: the single source of truth of an experiment.

Every fact tunebook knows about a run is an event: the experiment started (its settings and
space), a trial started (its config and resources), a trial reported (iteration, metrics,
time, and on its first report of an attempt the Ray node it runs on), a trial saved a
checkpoint (its path), a trial failed and will be retried, a trial ended (terminated /
pruned / stopped / error with the traceback text; the checkpoints kept), the experiment
ended. Everything else (Results, figures, the dashboard) is
computed from these events.

In memory the log is a list of events plus a columnar table of the reports (cheap to append
to, cheap to turn into a DataFrame). On disk it is an append-only JSON Lines file,
``events.jsonl``, in the experiment folder, written in small batches (at least once a second
while the experiment runs, and at the end), so a crash of the kernel loses nothing that was
written. Loading never executes code: it is plain JSON.

This module needs neither Ray nor pandas.

Example:
    >>> log = EventLog()
    >>> _ = log.append("trial_started", trial_id="t1", config={"lr": 0.1})
    >>> _ = log.append("result", trial_id="t1", iteration=1, metrics={"acc": 0.5})
    >>> log.reports["acc"]
    [0.5]
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tunebook.errors import ResultsFolderError

__all__ = [
    "EVENTS_FILE",
    "EventLog",
    "KINDS",
    "flat_config",
    "flat_space",
    "is_number",
    "json_safe",
    "resources_text",
]

EVENTS_FILE = "events.jsonl"
FORMAT = 1

#: The kinds of event, in the order they usually happen.
KINDS = (
    "experiment_started",
    "trial_started",
    "result",
    "decision",
    "exploit",
    "checkpoint",
    "trial_retried",
    "trial_output",
    "trial_ended",
    "experiment_ended",
)

#: Columns of the report table that every report has; metrics get a column each.
REPORT_COLUMNS = ("trial_id", "iteration", "time")


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON data: numpy scalars become numbers, tuples lists, and anything
    JSON cannot hold its ``repr``. NaN and infinities stay floats (Python's json reads them back).

    Example:
        >>> json_safe({"a": (1, 2), "f": print})
        {'a': [1, 2], 'f': '<built-in function print>'}
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item) and getattr(value, "ndim", None) == 0:
        try:
            return json_safe(item())
        except (TypeError, ValueError):
            pass
    return repr(value)


class EventLog:
    """An append-only, thread-safe log of experiment events, mirrored to a JSON Lines file.

    Args:
        path: the ``events.jsonl`` file to append to; ``None`` keeps the log in memory only.
        sync_every: each event is written to the file as it is appended (a killed process
            loses none of them), and the file is synced to the disk at most this often (a
            machine that stops loses at most the last ``sync_every`` seconds): by
            :meth:`append` when due, by :meth:`tick` when due, by :meth:`flush` and
            :meth:`close` at once.
        clock: seconds, as ``time.time``; injectable for tests.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        sync_every: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.sync_every = sync_every
        self._clock = clock
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self._reports: dict[str, list[Any]] = {name: [] for name in REPORT_COLUMNS}
        self._unsynced = False  # written since the last sync
        self._last_sync = clock()
        self.syncs = 0  # times the file was synced to the disk
        self._file: Any = None  # opened at the first write: a run that never starts leaves none
        self._closed = False

    # -- writing ---------------------------------------------------------------------------

    def append(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Record one event and return it (as stored: plain JSON data).

        ``time`` defaults to the clock's current value.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}; the kinds are {', '.join(KINDS)}")
        when = fields.pop("time", None)
        event = {"event": kind, "time": self._clock() if when is None else when}
        event.update(json_safe(fields))
        line = json.dumps(event)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the event log {self.path} is closed")
            self._add(event)
            if self.path is not None:
                self._write_locked(line)
        return event

    def _add(self, event: dict[str, Any]) -> None:
        self._events.append(event)
        if event["event"] != "result":
            return
        reports = self._reports
        n = len(reports["trial_id"])
        reports["trial_id"].append(event.get("trial_id"))
        reports["iteration"].append(event.get("iteration"))
        reports["time"].append(event["time"])
        metrics = event.get("metrics") or {}
        for name, value in metrics.items():
            if name in REPORT_COLUMNS:
                continue  # a metric named like a built-in column stays in the event only
            column = reports.get(name)
            if column is None:
                column = reports[name] = [None] * n
            column.append(value)
        for column in reports.values():
            if len(column) == n:  # metric not in this report
                column.append(None)

    def tick(self) -> None:
        """Sync the file to the disk if something was written and the last sync is
        ``sync_every`` seconds old."""
        with self._lock:
            if self._unsynced and self._clock() - self._last_sync >= self.sync_every:
                self._sync_locked()

    def flush(self) -> None:
        """Sync what was written to the disk now."""
        with self._lock:
            if self._unsynced:
                self._sync_locked()

    def _write_locked(self, line: str) -> None:
        if self._file is None:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
        self._file.write(line + "\n")
        self._file.flush()  # in the operating system's hands: a killed process loses nothing
        self._unsynced = True
        if self._clock() - self._last_sync >= self.sync_every:
            self._sync_locked()

    def _sync_locked(self) -> None:
        if self._file is not None:
            os.fsync(self._file.fileno())
            self.syncs += 1
        self._unsynced = False
        self._last_sync = self._clock()

    def close(self) -> None:
        """Write what is pending and close the file; the in-memory log stays readable."""
        with self._lock:
            if self._closed:
                return
            if self._unsynced:
                self._sync_locked()
            if self._file is not None:
                self._file.close()
            self._closed = True

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.events())

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        """The events from position ``since`` on (a copy of the list; events are not copied).

        A reader that keeps ``len(log)`` as a cursor gets only what is new on its next call.
        """
        with self._lock:
            return self._events[since:]

    @property
    def reports(self) -> dict[str, list[Any]]:
        """The reports as columns: ``trial_id``, ``iteration``, ``time``, one per metric."""
        with self._lock:
            return {name: list(column) for name, column in self._reports.items()}

    def snapshot(self) -> EventLog:
        """An independent in-memory copy of the log as it is now."""
        copy = EventLog()
        for event in self.events():
            copy._add(event)
        return copy

    @classmethod
    def from_events(cls, events: list[dict[str, Any]]) -> EventLog:
        """An in-memory log holding ``events`` (as read from a file)."""
        log = cls()
        for event in events:
            log._add(event)
        return log

    @classmethod
    def read(cls, path: str | Path) -> EventLog:
        """Load an ``events.jsonl`` file, or the experiment folder that holds one.

        A last line cut short (the writer died mid-line) is skipped with a warning; a damaged
        line anywhere else is an error.
        """
        path = Path(path)
        if path.is_dir():
            path = path / EVENTS_FILE
        if not path.is_file():
            raise ResultsFolderError(
                f"{path} does not exist: a tunebook experiment folder holds {EVENTS_FILE}. "
                "Pass the folder that Experiment.path names."
            )
        lines = path.read_text(encoding="utf-8").splitlines()
        events: list[dict[str, Any]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as err:
                if number == len(lines):
                    warnings.warn(
                        f"{path}: the last line was cut short and is skipped ({err}).",
                        stacklevel=2,
                    )
                    continue
                raise ResultsFolderError(f"{path}, line {number}: not JSON ({err}).") from None
            if not isinstance(event, dict) or event.get("event") not in KINDS:
                raise ResultsFolderError(f"{path}, line {number}: not a tunebook event.")
            events.append(event)
        return cls.from_events(events)


def flat_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config with its keys joined by ``/``, as Ray Tune names nested parameters.

    Example:
        >>> flat_config({"lr": 0.1, "model": {"depth": 3}})
        {'lr': 0.1, 'model/depth': 3}
    """
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            out.update(flat_config(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = value
    return out


def flat_space(described: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """A space as the log records it (``Space.to_dict()``: ``{"type": ..., ...}`` per
    parameter, ``{"type": "space", "params": ...}`` when nested), flattened to ``"outer/inner"``
    names as :func:`flat_config` flattens a config.

    Example:
        >>> flat_space({"m": {"type": "space", "params": {"d": {"type": "randint"}}}})
        {'m/d': {'type': 'randint'}}
    """
    out: dict[str, dict[str, Any]] = {}
    for name, spec in described.items():
        if not isinstance(spec, Mapping):
            continue
        if spec.get("type") == "space":
            out.update(flat_space(spec.get("params") or {}, f"{prefix}{name}/"))
        else:
            out[f"{prefix}{name}"] = dict(spec)
    return out


def resources_text(resources: Mapping[str, float] | None) -> str | None:
    """A trial's recorded resources as text: ``{"cpu": 2.0, "gpu": 0.5}`` is
    ``"cpu=2, gpu=0.5"``; None when there are none."""
    if not resources:
        return None
    return ", ".join(f"{name}={amount:g}" for name, amount in resources.items())


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number that can be ranked (not bool, not NaN)."""
    kind = type(value)  # the common cases first: this runs once per reported value
    if kind is float:
        return value == value  # NaN is the one float unequal to itself
    if kind is int:
        return True
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
    )
