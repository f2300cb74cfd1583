"""``Experiment``: a Ray Tune run in a background thread, with its event log and controls."""

from __future__ import annotations

import html
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tunebook.engine._control import StopControl, control_fields
from tunebook.errors import ExperimentFailed, OptionError, TunebookError
from tunebook.events import HEARTBEAT_S, EventLog, read_from
from tunebook.results import Progress, Results

#: How often a running experiment looks in its record for control commands other processes
#: appended (``tunebook stop``): a stop from a terminal is taken within this.
CONTROL_POLL_S = 0.25
#: Experiment states; all but "running" are final.
STATUSES = ("running", "completed", "stopped", "timed_out", "failed")


class Experiment:
    """A running or finished tuning experiment.

    ``tb.run`` returns one at once; ``fit()`` runs in a background thread, so the notebook's
    kernel stays free. Accessors that need the end (``results``) wait for it, so "Run All"
    is correct; ``snapshot()`` gives the results so far without waiting.

    Attributes:
        name: the experiment's name (also its folder's name).
        path: the experiment folder: ``events.jsonl`` (the record), nothing else of Ray's.
    """

    #: Whether its driver runs outside this process (a detached or attached run).
    detached = False
    #: Whether interrupting a ``wait()`` on it stops the run (a run of this kernel's).
    stops_on_interrupt = True

    def __init__(
        self,
        name: str,
        path: Path,
        log: EventLog,
        control: StopControl,
        tuner: Any,
        time_budget_s: float | None = None,
        on_end: Callable[[], object] | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self._log = log
        self._control = control
        self._tuner = tuner
        self._time_budget_s = time_budget_s
        self._on_end = on_end
        self._status = "running"
        self._error: BaseException | None = None
        self._live = Results(log, path)
        self._done = threading.Event()
        self._started = time.monotonic()
        #: the record's bytes looked through for control commands, and the commands taken
        self._scanned = log.path.stat().st_size if log.path and log.path.exists() else 0
        self._own = log.written  # of which this log's own bytes
        self._controls: set[Any] = set()
        self._thread = threading.Thread(target=self._fit, name=f"tunebook:{name}", daemon=True)
        self._beating = threading.Thread(
            target=self._beat, name=f"tunebook:{name}:beat", daemon=True
        )

    def _start(self) -> Experiment:
        self._thread.start()
        self._beating.start()
        return self

    def _fit(self) -> None:
        error_text = None
        try:
            self._tuner.fit()
            if self._control.failure is not None:
                raise self._control.failure
            if self._control.stopping_all:
                self._status = "stopped"
            elif (
                self._time_budget_s is not None
                and time.monotonic() - self._started >= self._time_budget_s
            ):
                self._status = "timed_out"
            else:
                self._status = "completed"
        except BaseException as err:  # noqa: BLE001 (re-raised to the user by wait()/results)
            self._error = err
            self._status = "failed"
            if isinstance(err, TunebookError):
                error_text = f"{type(err).__name__}: {err}"
            else:
                error_text = "".join(traceback.format_exception(err)).strip()
        finally:
            try:
                self._log.append("experiment_ended", status=self._status, error=error_text)
            finally:
                self._log.close()
                self._tuner = None  # release Ray Tune's objects
                self._after_end()
                self._done.set()

    def _beat(self) -> None:
        """A heartbeat in the record whenever nothing else was written for ``HEARTBEAT_S``: a
        reader tells a quiet run from one whose driver is gone (``EventLog.read``). And the
        control commands another process appended to the record (``tunebook stop``), taken
        within ``CONTROL_POLL_S``."""
        while not self._done.wait(CONTROL_POLL_S):
            try:
                self._take_controls()
            except (OSError, ValueError, TypeError, AttributeError):  # never the heartbeat's end
                pass
            last = self._log.last_time
            if last is None or time.time() - last >= HEARTBEAT_S:
                try:
                    self._log.append("heartbeat")
                except RuntimeError:  # closed: the run has just ended
                    return

    def _take_controls(self) -> None:
        path = self._log.path
        if path is None:
            return
        own = self._log.written  # counted before the size: what it counts is in the file
        size = path.stat().st_size
        if size - self._scanned <= own - self._own:  # only this log's own lines: nothing to read
            self._scanned, self._own = size, own
            return
        self._own = own
        events, self._scanned = read_from(path, self._scanned, size)
        for event in events:
            if event["event"] == "control" and event.get("id") not in self._controls:
                self._controls.add(event.get("id"))
                self._log.take(event)
                self._obey(event)

    def _obey(self, event: dict[str, Any]) -> None:
        if event.get("command") == "stop":
            self._control.request_stop_all()
        elif event.get("command") == "stop_trial" and event.get("trial_id"):
            self._control.request_stop_trial(str(event["trial_id"]))

    def _command(self, command: str, via: str, trial_id: str | None = None) -> None:
        """Record a control command given in this process, and obey it."""
        fields = control_fields(command, via, trial_id)
        self._controls.add(fields["id"])
        try:
            event = self._log.append("control", **fields)
        except RuntimeError:  # the log is closed: the run has just ended
            return
        self._obey(event)

    def _after_end(self) -> None:
        """What the engine does once a run ended (readies workers for the next): never a
        reason for the run to fail."""
        if self._on_end is not None:
            try:
                self._on_end()
            except Exception:  # noqa: BLE001, S110 (only a head start for the next run)
                pass

    # -- state -----------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """running, completed, stopped, timed_out or failed."""
        return self._status

    @property
    def done(self) -> bool:
        """Whether the experiment has ended (in any way)."""
        return self._done.is_set()

    @property
    def error(self) -> BaseException | None:
        """Why the experiment failed, if it did (trial errors are in ``results.trials``)."""
        return self._error

    # -- control ---------------------------------------------------------------------------

    def stop(self, *, via: str = "Experiment.stop") -> Experiment:
        """Stop the experiment: running trials end at once, pending ones never start.

        Everything reported so far stays in the results. Returns at once; ``wait()`` for the
        end. The record holds the command (a ``control`` event: when, from which process,
        ``via`` what).
        """
        self._command("stop", via)
        return self

    def stop_trial(self, trial_id: str, *, via: str = "Experiment.stop_trial") -> Experiment:
        """Stop one trial at its next report; the others go on.

        Raises:
            OptionError: no trial of this experiment has that id.
        """
        with self._live.state.lock:
            known = list(self._live.state.trials)
        if trial_id not in known:
            hint = f" Trials so far: {', '.join(known[:8])}{'...' if len(known) > 8 else ''}."
            raise OptionError(
                f"no trial {trial_id!r} in experiment {self.name!r}.{hint if known else ''}"
            )
        self._command("stop_trial", via, trial_id)
        return self

    def wait(self, timeout: float | None = None, *, quiet: bool = False) -> bool:
        """Block until the experiment ends, or ``timeout`` seconds pass.

        While it blocks for longer than ``WAIT_LINE_S``, a progress line says what it waits
        for (on a terminal rewritten in place, elsewhere one line each ``WAIT_LINE_S``);
        ``quiet=True`` says nothing (a live dashboard shows the progress).

        Interrupting the kernel while waiting stops the experiment cleanly (everything
        reported stays in the results), then raises ``KeyboardInterrupt``.

        Returns:
            True when the experiment has ended, False on timeout.

        Raises:
            ExperimentFailed: Ray Tune's driver failed (not a trial: the run itself).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        said = False
        try:
            while True:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                finished = self._done.wait(WAIT_LINE_S if left is None else min(left, WAIT_LINE_S))
                if finished or (left is not None and left <= WAIT_LINE_S):
                    finished = finished or self._done.is_set()
                    break
                if not quiet:
                    said = _say(f"waiting for {self.name} to end: {self.progress_line()}")
        except KeyboardInterrupt:
            if self.stops_on_interrupt:
                self.stop(via="an interrupted wait()")
                self._done.wait()
            raise
        finally:
            if said:
                _say(f"{self.name}: {self.progress_line()}", last=True)
        if finished and self._status == "failed":
            if isinstance(self._error, TunebookError):
                raise self._error
            raise ExperimentFailed(
                f"experiment {self.name!r} failed: {self._error}. What was reported before "
                "the failure is in exp.snapshot()."
            ) from self._error
        return finished

    # -- results ---------------------------------------------------------------------------

    @property
    def results(self) -> Results:
        """The results, once the experiment has ended (this waits for the end, saying so)."""
        self.wait()
        return self._live

    @property
    def live(self) -> Results:
        """The results as the run goes on: each read answers for the events so far, folding
        only what is new (the dashboard and the progress line read these)."""
        return self._live

    def snapshot(self) -> Results:
        """The results so far, at once, without waiting: a copy that stays as it is."""
        if self.done:
            return self._live
        return Results(self._log.snapshot(), self.path)

    def progress(self) -> Progress:
        """The progress of the run now: while it runs, elapsed time (and the ETA) by the clock;
        once it ended, up to its end."""
        return self._live.progress(now=None if self.done else time.time())

    def progress_line(self) -> str:
        """The progress line of the run now (``progress().line()``)."""
        return self.progress().line()

    def __repr__(self) -> str:
        return f"<Experiment {self.name!r} {self.progress_line()} at {self.path}>"

    def __getattr__(self, name: str) -> Any:
        moved = (
            " (the dashboard: display(exp), or tb.Dashboard(exp))" if name == "dashboard" else ""
        )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}{moved}")

    def _repr_html_(self) -> str:
        line = html.escape(self.progress_line())
        return (
            f"<div><b>{html.escape(self.name)}</b> <code>{line}</code><br>"
            f"<small>folder: {html.escape(str(self.path))}</small></div>"
        )


#: A call that blocks on a run (``wait``, ``results``, a stage waiting for its parent) says
#: what it waits for once it has waited this long, and again at this pace.
WAIT_LINE_S = 5.0


def _say(line: str, last: bool = False) -> bool:
    """Print a progress line of a blocked call: rewritten in place on a terminal, one line
    each time elsewhere (a notebook's output, a log). Returns True."""
    if sys.stdout.isatty():
        print(f"\r{line}", end="\n" if last else "", flush=True)
    elif not last:
        print(line, flush=True)
    return True
