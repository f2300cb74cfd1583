"""Early-stopping schedulers whose decisions become events.

A thin subclass of Ray's ASHA that, after Ray decides, reads which rung the result was
recorded at and the rung's cut-off at that moment (computed by Ray's own ``_Bracket.cutoff``
over the other trials at the rung, as Ray did), and sends it to a sink: Ray's algorithm runs
unchanged. Tested against Ray 2.60's private ``_trial_info``, ``_brackets`` and ``_rungs``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ray.tune.schedulers import AsyncHyperBandScheduler, TrialScheduler

Sink = Callable[..., Any]


class RecordedASHA(AsyncHyperBandScheduler):
    """``AsyncHyperBandScheduler`` (ASHA) that reports every rung decision to ``_sink``."""

    _sink: Sink | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_sink", None)  # Tuner() pickles its scheduler: the live sink stays here
        return state

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        bracket = self._trial_info.get(trial.trial_id)
        seen = (
            {milestone for milestone, recorded in bracket._rungs if trial.trial_id in recorded}
            if bracket is not None
            else set()
        )
        action: str = super().on_trial_result(tune_controller, trial, result)
        if bracket is None or self._sink is None:
            return action
        for milestone, recorded in bracket._rungs:
            if trial.trial_id in recorded and milestone not in seen:
                others = {k: v for k, v in recorded.items() if k != trial.trial_id}
                cutoff = bracket.cutoff(others)
                sign = float(self._metric_op or 1)  # Ray keeps scores signed: +1 max, -1 min
                self._sink(
                    trial_id=trial.trial_id,
                    bracket=self._brackets.index(bracket),
                    rung=milestone,
                    value=float(recorded[trial.trial_id]) * sign,
                    cutoff=None if cutoff is None else float(cutoff) * sign,
                    decision="stop" if action == TrialScheduler.STOP else "continue",
                )
        return action


def recording(scheduler: Any, sink: Sink) -> Any:
    """Make ``scheduler`` report its rung decisions to ``sink`` when tunebook knows how
    (ASHA: the object becomes a :class:`RecordedASHA`, same state, same algorithm)."""
    if type(scheduler) is AsyncHyperBandScheduler:
        scheduler.__class__ = RecordedASHA
    if isinstance(scheduler, RecordedASHA):
        scheduler._sink = sink
    return scheduler
