"""The event log in memory and its file: append, sync, read back."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tunebook.events._json import json_line, json_safe
from tunebook.events._kinds import KINDS, REPORT_COLUMNS
from tunebook.events._read import read_events, silent_end


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
        self.written = 0  # bytes this log wrote to its file (other processes may append too)

    # -- writing ---------------------------------------------------------------------------

    def append(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Record one event and return it (as stored: plain JSON data).

        ``time`` defaults to the clock's current value.
        """
        event, line = _event(kind, fields, self._clock)
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
        self.written += len(line.encode()) + 1
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

    @staticmethod
    def append_to(path: str | Path, kind: str, **fields: Any) -> dict[str, Any]:
        """Append one event to the record ``path`` from another process than its writer (a
        control command from a terminal): one line in one write, which the file system does
        not interleave with the writer's lines (both append). Returns the event."""
        event, line = _event(kind, fields, time.time)
        with open(path, "a", encoding="utf-8") as file:
            file.write(line + "\n")
        return event

    def take(self, event: dict[str, Any]) -> None:
        """Add to the log in memory an event another process appended to its file."""
        with self._lock:
            self._add(event)

    @classmethod
    def continued(cls, path: str | Path) -> EventLog:
        """The log of the ``events.jsonl`` file ``path``, read as it is (no end inferred), and
        appended to from here on: a resumed run's record goes on in the same file."""
        log = cls(path)
        for event in read_events(Path(path)):
            log._add(event)
        log.last_time = max((float(e["time"]) for e in log._events), default=None)
        return log

    @classmethod
    def read(cls, path: str | Path, *, now: float | None = None) -> EventLog:
        """Load an ``events.jsonl`` file, or the experiment folder that holds one.

        Damaged lines (a last line cut short by a writer that died mid-line, a line that is
        not JSON or not UTF-8, an event whose fields are not what tunebook writes) and events
        of kinds a newer tunebook added are skipped, with one warning that names them;
        everything else is loaded. A record with no end whose latest event is
        :data:`SILENT_AFTER_S` older than ``now`` (default: the clock) is of a run whose driver
        is gone: it reads as ended ``crashed``, its unfinished trials ``interrupted`` (events
        added to the log read, marked ``inferred``; the file is left as it is).

        Raises:
            ResultsFolderError: when there is no such file, or nothing in it is an event.
        """
        log = cls.from_events(read_events(Path(path)))
        for event in silent_end(log._events, time.time() if now is None else now):
            log._add(event)
        return log


def _event(kind: str, fields: dict[str, Any], clock: Callable[[], float]) -> tuple[dict, str]:
    """An event of ``kind`` (its ``time`` the clock's unless given) as stored, and its line."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}; the kinds are {', '.join(KINDS)}")
    when = fields.pop("time", None)
    event = {"event": kind, "time": clock() if when is None else when}
    event.update(json_safe(fields))
    return event, json_line(event)
