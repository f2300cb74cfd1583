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
``events.jsonl``, in the experiment folder: each event is written as it is appended (a killed
process loses nothing it acknowledged) and synced to the disk at most once a second. Each line
is strict JSON (NaN and infinities as ``null``, listed in the event's ``nonfinite``), so any
tool reads it; loading never executes code, and events of kinds a newer tunebook added are
skipped with a warning.

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
    "heartbeat",
    "experiment_ended",
)
#: The driver writes a ``heartbeat`` when it has written nothing else for this many seconds, so
#: that a quiet run (trials in a long step) still shows signs of life.
HEARTBEAT_S = 5.0
#: A record read with no end and no event in this many seconds is of a run whose driver is
#: gone (killed, its machine stopped): six heartbeats missed.
SILENT_AFTER_S = 30.0

#: Columns of the report table that every report has; metrics get a column each.
REPORT_COLUMNS = ("trial_id", "iteration", "time")


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON data: numpy scalars and arrays become numbers and lists, tuples
    lists, the rest its ``repr``. NaN and infinities stay floats (``json_line`` writes them).

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
    tolist = getattr(value, "tolist", None)  # numpy / torch scalars and arrays: their values
    if callable(tolist) and isinstance(getattr(value, "ndim", None), int):
        try:
            return json_safe(tolist())
        except (TypeError, ValueError):
            pass
    return repr(value)


#: Where an event's non-finite numbers went: ``[[path, token], ...]``, each path the keys and
#: indexes to a value written as ``null``, each token ``"NaN"``, ``"Infinity"`` or
#: ``"-Infinity"``: strict JSON has no such numbers (Node's ``JSON.parse`` refuses them).
NONFINITE = "nonfinite"
_TOKENS = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def json_line(event: dict[str, Any]) -> str:
    """``event`` as one line of strict JSON (non-finite numbers as :data:`NONFINITE` says)."""
    try:
        return json.dumps(event, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: the rare case
        found: list[list[Any]] = []
        plain = _without_nonfinite(event, [], found)
        plain[NONFINITE] = found
        return json.dumps(plain, allow_nan=False)


def _without_nonfinite(value: Any, path: list[Any], found: list[list[Any]]) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        found.append([path, _TOKENS[repr(value)]])
        return None
    if isinstance(value, dict):
        return {k: _without_nonfinite(v, [*path, k], found) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nonfinite(v, [*path, i], found) for i, v in enumerate(value)]
    return value


def _restore_nonfinite(event: dict[str, Any]) -> dict[str, Any]:
    """An event read from a line, with the numbers :data:`NONFINITE` lists put back."""
    for path, token in event.pop(NONFINITE, None) or []:
        target: Any = event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = float(token)
    return event


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
        self.last_time: float | None = None  # the time of the latest event appended

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
        line = json_line(event)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the event log {self.path} is closed")
            self._add(event)
            self.last_time = float(event["time"])
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
    def read(cls, path: str | Path, *, now: float | None = None) -> EventLog:
        """Load an ``events.jsonl`` file, or the experiment folder that holds one.

        A last line cut short (the writer died mid-line) is skipped with a warning; a damaged
        line anywhere else is an error. A record with no end whose latest event is
        :data:`SILENT_AFTER_S` older than ``now`` (default: the clock) is of a run whose driver
        is gone: it reads as ended ``crashed``, its unfinished trials ``interrupted`` (events
        added to the log read, marked ``inferred``; the file is left as it is).
        """
        path = Path(path)
        if path.is_dir():
            path = path / EVENTS_FILE
        if not path.is_file():
            raise ResultsFolderError(
                f"{path} does not exist: a tunebook experiment folder holds {EVENTS_FILE}. "
                "Pass the folder that Experiment.path names."
            )
        raw = path.read_bytes()
        if not raw.strip():
            raise ResultsFolderError(
                f"{path} is empty: no event of an experiment was recorded in it (the run never "
                "wrote its start, or the file was emptied). Nothing can be loaded from it."
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            number = raw.count(b"\n", 0, err.start) + 1
            raise ResultsFolderError(
                f"{path}, line {number}: not UTF-8 text (byte {raw[err.start]:#04x} at offset "
                f"{err.start}); tunebook writes its record as UTF-8 JSON, so this file was "
                "damaged or is not a tunebook record."
            ) from None
        lines = text.splitlines()
        events: list[dict[str, Any]] = []
        unknown: dict[str, int] = {}
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
            if not isinstance(event, dict) or not isinstance(event.get("event"), str):
                raise ResultsFolderError(f"{path}, line {number}: not a tunebook event.")
            if event["event"] not in KINDS:  # written by a newer tunebook: the rest still reads
                unknown[event["event"]] = unknown.get(event["event"], 0) + 1
                continue
            events.append(_restore_nonfinite(event))
        if unknown:
            kinds = ", ".join(f"{kind!r} ({n})" for kind, n in unknown.items())
            warnings.warn(
                f"{path}: skipped events of kinds this version of tunebook does not know: "
                f"{kinds}; a newer tunebook wrote them. Everything else is loaded.",
                stacklevel=2,
            )
        log = cls.from_events(events)
        log._end_if_silent(time.time() if now is None else now)
        return log

    def _end_if_silent(self, now: float) -> None:
        events = self._events
        if not events or any(e["event"] == "experiment_ended" for e in events):
            return
        last = max(float(e.get("time") or 0.0) for e in events)
        if now - last < SILENT_AFTER_S:
            return
        unfinished: dict[str, None] = {}
        for event in events:
            if event["event"] == "trial_started":
                unfinished[str(event.get("trial_id"))] = None
            elif event["event"] == "trial_ended":
                unfinished.pop(str(event.get("trial_id")), None)
        ended = {"event": "trial_ended", "time": last, "status": "interrupted", "inferred": True}
        for trial_id in unfinished:
            self._add({**ended, "trial_id": trial_id})
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last))
        error = (
            f"the run's driver is gone: its record has no end and no sign of life since {when} "
            f"({now - last:.0f} s before it was read); the trials that were running are "
            "interrupted, and everything they reported before is kept"
        )
        self._add({**ended, "event": "experiment_ended", "status": "crashed", "error": error})


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
