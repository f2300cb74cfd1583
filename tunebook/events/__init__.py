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
tool reads it; loading never executes code, and skips with a warning what it cannot read (a
line cut short or damaged, events of kinds a newer tunebook added); everything else loads.

This module needs neither Ray nor pandas.

Example:
    >>> log = EventLog()
    >>> _ = log.append("trial_started", trial_id="t1", config={"lr": 0.1})
    >>> _ = log.append("result", trial_id="t1", iteration=1, metrics={"acc": 0.5})
    >>> log.reports["acc"]
    [0.5]
"""

from tunebook.events._flat import flat_config, flat_space, is_number, resources_text
from tunebook.events._json import json_safe
from tunebook.events._kinds import EVENTS_FILE, HEARTBEAT_S, KINDS, SILENT_AFTER_S
from tunebook.events._log import EventLog
from tunebook.events._read import last_sign_of_life, read_from, silent_end

__all__ = [
    "EVENTS_FILE",
    "HEARTBEAT_S",
    "KINDS",
    "SILENT_AFTER_S",
    "EventLog",
    "flat_config",
    "flat_space",
    "is_number",
    "json_safe",
    "last_sign_of_life",
    "read_from",
    "resources_text",
    "silent_end",
]
