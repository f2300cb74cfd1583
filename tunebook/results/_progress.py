"""Progress: the counts by trial status and their words, the time so far, the ETA and the best
value, as the progress line, the dashboard's header, ``%tune list`` and ``tunebook show`` show
them (one definition, read from the fold)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tunebook.results._state import ExperimentState
from tunebook.results._summary import number_text

#: The word of each count, in the order every view shows them: the fold's own status words,
#: as the trial table, the figures' legends, the report and ``Results.trials`` write them.
WORDS = {
    "running": "running",
    "terminated": "terminated",
    "pruned": "pruned",
    "stopped": "stopped",
    "error": "error",
    "interrupted": "interrupted",
}
#: The ETA is said once this many trials have ended, and at least twice as many as run at
#: once: before, the pace of the first few (an early stop, a slow start) says little.
ETA_AFTER = 3


@dataclass(frozen=True)
class Progress:
    """Counts of trials by state, time so far, the ETA and the best value.

    Attributes:
        pending: trials not started yet; None when the number of trials is not known.
        elapsed: seconds since the experiment started (to its end, once it ended).
        eta: seconds the rest should take at the pace so far; None when it cannot be known
            (not asked with ``now``: a record read afterwards, which may be of a run that
            died; the run ended; no trial has finished yet; the number of trials unknown).
        best: the best value of the metric so far, among the trials that did not fail.
    """

    running: int
    terminated: int
    pruned: int
    stopped: int
    errored: int
    pending: int | None
    reports: int
    elapsed: float
    eta: float | None
    best: float | None
    best_trial: str | None
    best_config: dict[str, Any] | None
    metric: str | None
    status: str
    live: bool = False  # read while the run goes on (``now`` given): the ETA can be said
    interrupted: int = 0  # running when the run's driver died

    @classmethod
    def of(cls, state: ExperimentState, now: float | None = None) -> Progress:
        """The progress of ``state``; ``now`` (seconds since the epoch) for the elapsed time
        of a run that goes on, else up to its end (or its latest event)."""
        counts = state.counts
        started = len(state.trials)
        running = state.status == "running"
        pending = None
        if state.total is not None:
            pending = max(0, int(state.total) - started) if running else 0
        elapsed = state.elapsed(now if running else None)
        done = started - counts["running"]
        eta = None
        known = done >= max(ETA_AFTER, 2 * counts["running"])
        if running and now is not None and state.total is not None and known:  # live only
            remaining = int(state.total) - done
            eta = elapsed / done * remaining if remaining > 0 else None
        best = state.best
        return cls(
            running=counts["running"],
            terminated=counts["terminated"],
            pruned=counts["pruned"],
            stopped=counts["stopped"],
            errored=counts["error"],
            pending=pending,
            reports=state.reports,
            elapsed=elapsed,
            eta=eta,
            best=None if best is None else best[1],
            best_trial=None if best is None else best[0],
            best_config=None if best is None else dict(state.trials[best[0]].config),
            metric=state.metric,
            status=state.status,
            live=running and now is not None,
            interrupted=counts["interrupted"],
        )

    @property
    def done(self) -> int:
        return self.terminated + self.pruned + self.stopped + self.errored + self.interrupted

    def parts(self) -> list[str]:
        """``["2 running", "5 done", "3 pruned", "1 pending"]``: running and done always,
        the other states when a trial is in them, pending when the total is known."""
        counts = (
            self.running,
            self.terminated,
            self.pruned,
            self.stopped,
            self.errored,
            self.interrupted,
        )
        parts = [
            f"{count} {WORDS[status]}"
            for status, count in zip(WORDS, counts, strict=True)
            if count or status in ("running", "terminated")
        ]
        if self.pending is not None:
            parts.append(f"{self.pending} pending")
        return parts

    def timing(self) -> str:
        """``"12.3 s"``, with ``" · ETA 40 s"`` while the run goes on (``" · ETA unknown"``
        until enough trials have ended to tell its pace)."""
        eta = ""
        if self.eta is not None:
            eta = f" · ETA {self.eta:.0f} s"
        elif self.live and self.pending:
            eta = " · ETA unknown"
        return f"{self.elapsed:.1f} s{eta}"

    def line(self) -> str:
        """One line of text, as the terminal and the no-widget fallback show it."""
        best = "" if self.best is None else f" | best {self.metric} {number_text(self.best)}"
        return f"[{self.status}] {', '.join(self.parts())} | {self.timing()}{best}"
