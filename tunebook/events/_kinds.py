"""The names of the record: its file, the kinds of event, and the fields each kind holds."""

from __future__ import annotations

EVENTS_FILE = "events.jsonl"

_TEXT = (str,)
_WHOLE = (int,)
_NUMBER = (int, float)
_OBJECT = (dict,)
_LIST = (list,)
_TRIAL = {"trial_id": _TEXT}

#: The kinds of event, in the order they usually happen, each with the fields whose JSON type
#: tunebook relies on when it reads (a field may be absent or null unless it is ``trial_id``,
#: which every event of a trial has; other fields are free). Every event has a number
#: ``time``. A line whose fields break this is damaged: reading skips it.
FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "experiment_started": {
        "name": _TEXT,
        "metric": _TEXT,
        "mode": _TEXT,
        "space": _OBJECT,
        "total_trials": _WHOLE,
    },  # fmt: skip
    "trial_started": {**_TRIAL, "config": _OBJECT, "resources": _OBJECT},
    "result": {**_TRIAL, "iteration": _WHOLE, "metrics": _OBJECT, "node": _TEXT},
    "decision": {**_TRIAL, "decision": _TEXT},
    "exploit": {"recipient": _TEXT, "donor": _TEXT, "donor_step": _NUMBER, "new_config": _OBJECT},
    "checkpoint": {**_TRIAL, "iteration": _WHOLE, "path": _TEXT},
    "trial_retried": {**_TRIAL, "error": _TEXT},
    "trial_output": {**_TRIAL, "text": _TEXT},
    "trial_ended": {**_TRIAL, "status": _TEXT, "error": _TEXT, "checkpoints_kept": _LIST},
    "heartbeat": {},
    "experiment_resumed": {"driver": _OBJECT},
    # a stop asked for (command "stop", or "stop_trial" with the trial_id), from anywhere:
    # its id, and "from" (host, pid, and via what: "tunebook stop", "Experiment.stop"...)
    "control": {"command": _TEXT, "id": _TEXT, "from": _OBJECT},
    "experiment_ended": {"status": _TEXT, "error": _TEXT},
}
KINDS = tuple(FIELDS)
#: The driver writes a ``heartbeat`` when it has written nothing else for this many seconds, so
#: that a quiet run (trials in a long step) still shows signs of life.
HEARTBEAT_S = 5.0
#: A record read with no end and no event in this many seconds is of a run whose driver is
#: gone (killed, its machine stopped): six heartbeats missed.
SILENT_AFTER_S = 30.0

#: Columns of the report table that every report has; metrics get a column each.
REPORT_COLUMNS = ("trial_id", "iteration", "time")
