"""Reading a record back: every event that reads, a word on what did not, and the end of a
run whose driver is gone."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

from tunebook.errors import ResultsFolderError
from tunebook.events._json import restore_nonfinite
from tunebook.events._kinds import EVENTS_FILE, FIELDS, SILENT_AFTER_S

#: How many damaged lines a warning names one by one.
NAMED = 5


def read_events(path: Path) -> list[dict[str, Any]]:
    """The events of an ``events.jsonl`` file (or of the folder holding one), as
    :meth:`EventLog.read` says."""
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
    lines = raw.split(b"\n")
    if not lines[-1]:
        lines.pop()  # the newline that ends the last line
    events: list[dict[str, Any]] = []
    damaged: list[tuple[int, str]] = []  # (line number, what is wrong with it)
    unknown: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        event, problem = _event(line)
        if problem is not None:
            damaged.append((number, problem))
        elif event["event"] not in FIELDS:  # written by a newer tunebook: the rest still reads
            unknown[event["event"]] = unknown.get(event["event"], 0) + 1
        else:
            events.append(restore_nonfinite(event))
    if not events:
        raise ResultsFolderError(
            f"{path} holds no tunebook event ({_listed(damaged) or 'only unknown kinds'}): "
            "the file was damaged or is not a tunebook record."
        )
    last = max(n for n, line in enumerate(lines, start=1) if line.strip())
    if [n for n, _ in damaged] == [last]:
        warnings.warn(
            f"{path}: the last line was cut short and is skipped (the run's driver died while "
            f"writing it: {damaged[0][1]}). Everything else is loaded.",
            stacklevel=3,
        )
    elif damaged:
        warnings.warn(
            f"{path}: skipped {len(damaged)} damaged line{'s' if len(damaged) > 1 else ''} "
            f"({_listed(damaged)}). Everything else is loaded.",
            stacklevel=3,
        )
    if unknown:
        kinds = ", ".join(f"{kind!r} ({n})" for kind, n in unknown.items())
        warnings.warn(
            f"{path}: skipped events of kinds this version of tunebook does not know: "
            f"{kinds}; a newer tunebook wrote them. Everything else is loaded.",
            stacklevel=3,
        )
    return events


def read_from(path: Path, offset: int, end: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """The events on the whole lines of the record ``path`` from byte ``offset`` on (to byte
    ``end``, else to its end), and the offset after them: a follower of a growing record reads
    each line once, when it is whole.
    A damaged line or an unknown kind is skipped (``read_events`` names them on a load)."""
    with open(path, "rb") as file:
        file.seek(offset)
        data = file.read(-1 if end is None else end - offset)
    whole = data.rfind(b"\n") + 1
    events = []
    for line in data[:whole].split(b"\n"):
        if not line.strip():
            continue
        event, problem = _event(line)
        if problem is None and event["event"] in FIELDS:
            events.append(restore_nonfinite(event))
    return events, offset + whole


def _event(line: bytes) -> tuple[dict[str, Any], str | None]:
    """The event on one line, or what is wrong with the line."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as err:
        return {}, f"not UTF-8 text (byte {line[err.start]:#04x} at column {err.start + 1})"
    try:
        event = json.loads(text)
    except json.JSONDecodeError as err:
        return {}, f"not JSON ({err.msg}, column {err.colno})"
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        return {}, "not a tunebook event (no event kind)"
    kind = event["event"]
    when = event.get("time")
    if not isinstance(when, int | float) or isinstance(when, bool):
        return {}, f"a {kind} event without a number time"
    fields = FIELDS.get(kind, {})
    if "trial_id" in fields and not isinstance(event.get("trial_id"), str):
        return {}, f"a {kind} event without a trial_id"
    for name, types in fields.items():
        value = event.get(name)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            return {}, f"a {kind} event whose {name} is {type(value).__name__}"
    return event, None


def _listed(damaged: list[tuple[int, str]]) -> str:
    named = "; ".join(f"line {number}: {problem}" for number, problem in damaged[:NAMED])
    return named + (f"; and {len(damaged) - NAMED} more" if len(damaged) > NAMED else "")


def silent_end(
    events: list[dict[str, Any]], now: float, gone: str | None = None
) -> list[dict[str, Any]]:
    """The events that end a record with no end and no event in :data:`SILENT_AFTER_S`
    before ``now`` (or whose driver is known to be ``gone``, saying how): each unfinished
    trial ``interrupted``, the experiment ``crashed``; none for a record that ended or is
    recent."""
    if not events or any(e["event"] == "experiment_ended" for e in events):
        return []
    last = last_sign_of_life(events)
    if now - last < SILENT_AFTER_S and gone is None:
        return []
    unfinished: dict[str, None] = {}
    for event in events:
        if event["event"] == "trial_started":
            unfinished[event["trial_id"]] = None
        elif event["event"] == "trial_ended":
            unfinished.pop(event["trial_id"], None)
    ended = {"event": "trial_ended", "time": last, "status": "interrupted", "inferred": True}
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last))
    why = gone or (
        f"its record has no end and no sign of life since {when} ({now - last:.0f} s before "
        "it was read)"
    )
    error = (
        f"the run's driver is gone: {why}; the trials that were running are interrupted, and "
        "everything they reported before is kept"
    )
    return [
        *({**ended, "trial_id": trial_id} for trial_id in unfinished),
        {**ended, "event": "experiment_ended", "status": "crashed", "error": error},
    ]


def last_sign_of_life(events: list[dict[str, Any]]) -> float:
    """The time of the latest event its driver wrote (a ``control`` event another process
    appended is not one)."""
    return max((float(e["time"]) for e in events if e["event"] != "control"), default=0.0)
