"""The Ray Tune callback that turns what happens in a run into events."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

from ray.tune import Callback, ProgressReporter
from ray.tune.experiment import Trial as RayTrial
from ray.tune.schedulers import TrialScheduler

from tunebook.engine._control import StopControl
from tunebook.engine._ray_internals import (
    actor_id,
    actor_node,
    checkpoint_iteration,
    kill_actors,
    scheduler_budget,
    start_from,
    trial_actor,
    trial_folder,
)
from tunebook.engine._report import RAY_KEYS
from tunebook.errors import MetricNotReportedError
from tunebook.events import EventLog

#: Seconds the trial actors of a run that is being stopped (``stop()``, the time budget) get
#: to stop before they are killed. An actor runs one call at a time, so a trial in a long step
#: takes its stop only when the step ends, and Ray Tune waits up to 5 s and then 10 s more
#: (hard-coded in ``TuneController._cleanup_trials``) before it kills the actor itself. What
#: the trial reported is in the record already.
STOP_GRACE_S = 1.0


def reported_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """The metrics a trial reported, without what Ray Tune adds to each result."""
    return {key: value for key, value in result.items() if key not in RAY_KEYS}


def error_text(trial: RayTrial) -> str:
    """The traceback text Ray Tune saved for a failed trial, without its 'Failure #' header."""
    try:  # Ray writes the text to the trial's local folder first, and syncs it later
        local = trial.error_file
        text = Path(local).read_text() if local and Path(local).is_file() else trial.get_error()
    except Exception as err:  # the error file is best effort: never lose the event over it
        return f"(the trial failed; its error text could not be read: {err!r})"
    if not text:
        return "(the trial failed; Ray Tune recorded no error text)"
    return clean_traceback(str(text))


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RAY_FILE = re.compile(r'^\s*File ".*[/\\]ray[/\\]')


def clean_traceback(text: str) -> str:
    """Ray's error text as a Python traceback of the user's code: without Ray's 'Failure #'
    header, its ``ray::ImplicitFunc.train()`` line, colour codes, Ray's own frames and the
    ``^^^`` markers."""
    lines = _ANSI.sub("", text).splitlines()
    while lines and (lines[0].startswith("Failure #") or lines[0].startswith("ray::")):
        lines = lines[1:]
    kept: list[str] = []
    skipping = False
    for line in lines:
        if line.lstrip().startswith('File "'):
            skipping = bool(_RAY_FILE.match(line))
        elif not line.startswith("    "):
            skipping = False  # the exception line, or a chained exception's header
        if skipping or (line.strip() and set(line.strip()) <= {"^", "~"}):
            continue
        kept.append(line)
    body = "\n".join(kept).strip("\n")
    if body.lstrip().startswith('File "'):
        body = "Traceback (most recent call last):\n" + body
    return body


class Recorder(Callback):
    """Writes every trial start, report, retry and end into an :class:`EventLog`.

    Hooks run on the thread that called ``fit()``; each one appends to the log and returns.
    The log writes each event to its file as the hook appends it (a killed driver loses no
    report Ray handed over), and syncs the file to the disk at most once a second (also from
    :meth:`on_step_end`, so that a quiet run is synced too).

    Ray Tune does not call ``on_trial_complete`` for trials that an experiment-level stop ends
    (``stop_all``, the time budget); :meth:`on_experiment_end` ends those.

    Pickling (``Tuner()`` pickles its callbacks) drops the live log: an unpickled copy records
    nothing. The driver uses the original object.
    """

    def __init__(
        self,
        log: EventLog,
        control: StopControl,
        metric: str | None = None,
        scheduler: TrialScheduler | None = None,
        time_budget_s: float | None = None,
        resources: dict[str, float] | None = None,
    ) -> None:
        self._log: EventLog | None = log
        self._fixed_resources = resources  # what a trial holds, when Ray's request is not it
        self._control = control
        self._metric = metric
        self._reported: dict[str, set[str]] = {}  # trial -> the metric names it reported
        self._budget = scheduler_budget(scheduler)
        self._time_budget_s = time_budget_s
        self._started: set[str] = set()
        self._ended: set[str] = set()
        self._decided_stop: dict[str, dict[str, Any]] = {}
        self._nodes: dict[str, str] = {}  # trial -> the node of its current attempt
        #: The trial actors this run started (Ray actor ids): each took a worker of the node.
        self.actors: set[str] = set()
        self._checkpoints: dict[str, list[str]] = {}  # trial -> checkpoint paths recorded
        self._output_seen: dict[str, int] = {}
        self._cut: set[str] = set()  # trials a scheduler's recorded decision stopped
        self._began = time.monotonic()
        self._reaper: threading.Timer | None = None  # kills what is left of a stopped run
        #: a resumed run's unfinished trials: the latest checkpoint the record holds of each
        self._start_from: dict[str, tuple[str, Any, dict[str, Any]]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"_control": self._control}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(None, state["_control"])  # type: ignore[misc]

    def carry_on(self, events: list[dict[str, Any]]) -> None:
        """Know what the record of a resumed run holds already: the metrics each trial
        reported and the checkpoints it saved."""
        reports: dict[tuple[str, Any], dict[str, Any]] = {}
        for event in events:
            trial_id = str(event.get("trial_id"))
            if event["event"] == "result":
                self._reported.setdefault(trial_id, set()).update(event.get("metrics") or {})
                reports[trial_id, event.get("iteration")] = event.get("metrics") or {}
            elif event["event"] == "checkpoint" and event.get("path"):
                self._checkpoints.setdefault(trial_id, []).append(event["path"])
                metrics = reports.get((trial_id, event.get("iteration")), {})
                self._start_from[trial_id] = (event["path"], event.get("iteration"), metrics)
            elif event["event"] == "trial_ended":
                self._start_from.pop(trial_id, None)

    def on_step_begin(self, iteration: int, trials: list[RayTrial], **info: Any) -> None:
        """At a resumed run's first step, before any trial starts: a trial whose latest
        checkpoint in the record is later than the one Ray's snapshot knew of (Ray takes one
        each second) starts again from the record's."""
        if not self._start_from:
            return
        for trial in trials:
            path, step, metrics = self._start_from.get(trial.trial_id, (None, None, None))
            known = checkpoint_iteration(trial)
            if path and isinstance(step, int) and (known is None or known < step):
                if Path(path).is_dir() and trial.status == RayTrial.PENDING:
                    try:
                        start_from(trial, path, {**(metrics or {}), "training_iteration": step})
                    except OSError:  # Ray pruning checkpoints the dead driver deleted already
                        pass  # the trial starts from the snapshot's checkpoint
        self._start_from.clear()

    # -- Ray Tune hooks --------------------------------------------------------------------

    def on_trial_start(
        self, iteration: int, trials: list[RayTrial], trial: RayTrial, **info: Any
    ) -> None:
        if self._log is None:
            return
        self._started.add(trial.trial_id)
        self._ended.discard(trial.trial_id)
        self._decided_stop.pop(trial.trial_id, None)
        self._nodes.pop(trial.trial_id, None)  # a new attempt may run elsewhere
        actor = trial_actor(trial)
        if actor is not None:
            self.actors.add(actor_id(actor))
        resources = self._fixed_resources or trial_resources(trial)  # may change at a restart
        self._log.append(
            "trial_started", trial_id=trial.trial_id, config=trial.config, resources=resources
        )

    def on_trial_result(
        self,
        iteration: int,
        trials: list[RayTrial],
        trial: RayTrial,
        result: dict[str, Any],
        **info: Any,
    ) -> None:
        if self._log is None:
            return
        fields: dict[str, Any] = {
            "trial_id": trial.trial_id,
            "iteration": result.get("training_iteration"),
            "metrics": reported_metrics(result),
        }
        if trial.trial_id not in self._nodes:  # the first report of this attempt
            node = trial_node(trial) or str(result.get("node_ip") or "")
            if node:
                self._nodes[trial.trial_id] = fields["node"] = node
                fields["node_ip"] = result.get("node_ip")
        self._reported.setdefault(trial.trial_id, set()).update(fields["metrics"])
        self._log.append("result", **fields)
        if result.get("checkpoint_path"):  # a Ray Train run's checkpoint
            self._checkpoint(trial, str(result["checkpoint_path"]), fields["iteration"])
        if result.get("done"):
            # Ray sets done=True before callbacks when the stopper or the scheduler said STOP.
            self._decided_stop[trial.trial_id] = result

    def decision(self, **fields: Any) -> None:
        """A scheduler's rung decision (``tunebook.engine._schedulers``), as an event."""
        trial_id = str(fields.get("trial_id"))
        if fields.get("decision") == "stop":
            self._cut.add(trial_id)
        if self._log is None:
            return
        self._log.append("decision", **fields)
        if fields.get("decision") == "stop" and trial_id in self._ended:
            # HyperBand decides when the whole rung is in: a trial that already paused out
            # and ended there was cut by this decision, not finished
            self._log.append(
                "trial_ended",
                trial_id=trial_id,
                status="pruned",
                reason=f"stopped by the scheduler at rung {fields.get('rung')}",
            )

    def exploit(self, **fields: Any) -> None:
        """A PBT/PB2 exploit (``tunebook.engine._schedulers``), as an event."""
        if self._log is not None:
            self._log.append("exploit", **fields)

    def on_checkpoint(
        self,
        iteration: int,
        trials: list[RayTrial],
        trial: RayTrial,
        checkpoint: Any,
        **info: Any,
    ) -> None:
        # called before Ray's checkpoint manager registers it (and deletes what it no longer
        # keeps): which ones were kept is recorded when the trial ends
        path = getattr(checkpoint, "path", None)
        if path:
            self._checkpoint(trial, str(path), (trial.last_result or {}).get("training_iteration"))

    def _checkpoint(self, trial: RayTrial, path: str, iteration: Any) -> None:
        if self._log is None:
            return
        self._checkpoints.setdefault(trial.trial_id, []).append(path)
        self._log.append("checkpoint", trial_id=trial.trial_id, iteration=iteration, path=path)

    def on_trial_complete(
        self, iteration: int, trials: list[RayTrial], trial: RayTrial, **info: Any
    ) -> None:
        status = self._status(trial.trial_id)
        self._end(trial, status)
        reported = self._reported.get(trial.trial_id, set())
        if status == "terminated" and self._metric and self._metric not in reported:
            # no point running 100 trials that cannot be ranked: stop now and say why
            seen = ", ".join(sorted(reported)) if reported else "nothing"
            self._control.fail(
                MetricNotReportedError(
                    f"trial {trial.trial_id} ended without ever reporting `{self._metric}`, "
                    f"the metric to optimise; it reported: {seen}. Report it with "
                    f"report({self._metric}=...), or set metric= to one of those."
                )
            )

    def on_trial_error(
        self, iteration: int, trials: list[RayTrial], trial: RayTrial, **info: Any
    ) -> None:
        self._end(trial, "error", error=error_text(trial))

    def on_trial_recover(
        self, iteration: int, trials: list[RayTrial], trial: RayTrial, **info: Any
    ) -> None:
        if self._log is not None:
            self._log.append("trial_retried", trial_id=trial.trial_id, error=error_text(trial))

    def setup(self, *args: Any, **info: Any) -> None:
        # Ray Tune's time budget (its TimeoutStopper, made before the callbacks are set up)
        # runs out before this clock's: a run seen here as past its budget is Ray's to stop
        self._began = time.monotonic()

    def on_step_end(self, iteration: int, trials: list[RayTrial], **info: Any) -> None:
        if self._log is None:
            return
        self._log.tick()
        if self._reaper is None and self._stopping(trials):
            self._reaper = threading.Timer(STOP_GRACE_S, kill_actors, [sorted(self.actors)])
            self._reaper.daemon = True
            self._reaper.start()

    def _stopping(self, trials: list[RayTrial]) -> bool:
        """Whether the run is being stopped (by the user, or its time budget) and no trial is
        left to run: Ray Tune is about to stop every actor of the run."""
        budget = self._time_budget_s
        stopped = self._control.stopping_all or (
            budget is not None and time.monotonic() - self._began >= budget
        )
        return stopped and all(t.status in (RayTrial.TERMINATED, RayTrial.ERROR) for t in trials)

    def on_experiment_end(self, trials: list[RayTrial], **info: Any) -> None:
        if self._reaper is not None:
            self._reaper.cancel()  # every actor stopped in time
        if self._log is None:
            return
        reason = "stopped by the user" if self._control.stopping_all else "experiment ended"
        if self._control.failure is not None:
            reason = f"the experiment failed: {self._control.failure}"
        elif not self._control.stopping_all and self._time_budget_s is not None:
            reason = f"time budget of {self._time_budget_s:g} s reached"
        for trial in trials:
            if trial.trial_id in self._started and trial.trial_id not in self._ended:
                self._end(trial, "stopped", reason=reason)
            elif trial.trial_id in self._started:
                self._record_output(trial)  # the actors are stopped now: files are complete
        self._log.flush()

    # -- helpers ---------------------------------------------------------------------------

    def _status(self, trial_id: str) -> str:
        if self._control.was_stopped(trial_id):
            return "stopped"
        if trial_id in self._cut:
            return "pruned"  # a recorded rung decision stopped it (also a paused trial)
        last = self._decided_stop.get(trial_id)
        if last is None or self._control.met_criteria(trial_id):
            return "terminated"  # the trial function returned, or met the stop criteria
        if self._budget is not None:
            time_attr, max_t = self._budget
            if float(last.get(time_attr, 0) or 0) >= max_t:
                return "terminated"  # reached the scheduler's max_t
        return "pruned"

    def _end(self, trial: RayTrial, status: str, **fields: Any) -> None:
        if self._log is None or trial.trial_id in self._ended:
            return
        if trial.trial_id not in self._started:  # failed before it could start
            self.on_trial_start(0, [], trial)
        self._ended.add(trial.trial_id)
        self._record_output(trial)
        if trial.trial_id in self._checkpoints:
            fields["checkpoints_kept"] = [
                path for path in self._checkpoints[trial.trial_id] if Path(path).exists()
            ]
        self._log.append("trial_ended", trial_id=trial.trial_id, status=status, **fields)

    def _record_output(self, trial: RayTrial) -> None:
        """Record what the trial printed since the last look (Ray flushes a reused actor's
        files only when the next trial starts on it: the experiment's end looks again)."""
        assert self._log is not None
        for stream, text in trial_output(trial).items():
            key = f"{trial.trial_id}/{stream}"
            seen = self._output_seen.get(key, 0)
            if len(text) <= seen:
                continue
            new = text[seen:]
            if len(new) > OUTPUT_LIMIT:
                new = f"[... {len(new) - OUTPUT_LIMIT} characters cut ...]\n" + new[-OUTPUT_LIMIT:]
            prefix = "[stderr]\n" if stream == "stderr" else ""
            self._log.append(
                "trial_output", trial_id=trial.trial_id, stream=stream, text=prefix + new
            )
            self._output_seen[key] = len(text)


def trial_node(trial: RayTrial) -> str | None:
    """The Ray node id of the actor running the trial now (two nodes may share an IP)."""
    actor = trial_actor(trial)
    if actor is None:
        return None
    try:
        return actor_node(actor)
    except Exception:  # the node is a label: never lose the result over it
        return None


def trial_resources(trial: RayTrial) -> dict[str, float]:
    """What the trial holds: ``{"cpu": 2.0, "gpu": 0.5, ...}`` (all of its bundles)."""
    factory = trial.placement_group_factory
    if factory is None:
        return {}
    required = factory.required_resources
    names = {"CPU": "cpu", "GPU": "gpu"}
    return {names.get(k, k): float(v) for k, v in sorted(required.items()) if v}


#: At most this much of a trial's printed output is kept (its end, where errors are).
OUTPUT_LIMIT = 64_000


#: A line of Ray's own logging at INFO or DEBUG (``ray_constants.LOGGER_FORMAT``: time, level,
#: file:line, "--"), e.g. Ray Train's "Checkpoint successfully created at: ..." in a trial
#: that saves state: Ray's notices, not what the trial printed.
RAY_LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+\s+(INFO|DEBUG) [\w.]+\.py:\d+ -- ")


def printed(text: str) -> str:
    """What the trial itself printed, of a stream file Ray wrote: without Ray's actor-name
    markers and Ray's own INFO and DEBUG log lines."""
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(":actor_name:") and not RAY_LOG_LINE.match(line)
    )


def trial_output(trial: RayTrial) -> dict[str, str]:
    """What the trial printed so far, by stream (stdout, stderr: warnings too), from the files
    Ray Tune writes in the trial's working folder with ``RunConfig(log_to_file=True)``. Empty
    when the folder is on another node."""
    try:
        folder = trial_folder(trial)
    except Exception:  # no storage context: nothing to read
        return {}
    out = {}
    for stream in ("stdout", "stderr"):
        try:
            text = (folder / stream).read_text(errors="replace")
        except OSError:
            continue
        out[stream] = printed(text)
    return out


class SilentReporter(ProgressReporter):
    """Ray Tune's progress reporter, silenced: tunebook shows progress from its own record.

    Without one, Ray Tune picks ``JupyterNotebookReporter`` in notebooks, which displays an
    empty HTML output at construction even at ``verbose=0``, into whichever cell is running.
    """

    def should_report(self, trials: list[RayTrial], done: bool = False) -> bool:
        return False

    def report(self, trials: list[RayTrial], done: bool, *sys_info: Any) -> None:
        return None
