"""Early-stopping schedulers whose decisions become events.

Thin subclasses of Ray's schedulers; Ray's algorithms run unchanged:
- ASHA: after Ray decides, read which rung the result was recorded at and the rung's cut-off
  at that moment (Ray's own ``_Bracket.cutoff`` over the other trials at the rung, as Ray
  computed it).
- HyperBand and BOHB's HyperBand: when Ray halves a bracket, rank its trials as Ray does and
  report the kept and the stopped ones.
- PBT and PB2: every exploit (a member cloning a better one's checkpoint and exploring its
  config), with both members' scores and steps, the old and the new config.
Tested against Ray 2.60's private ``_trial_info``, ``_brackets``, ``_rungs``,
``_hyperbands``, ``_live_trials``, ``_halves``, ``_n``, ``_cumul_r``, ``_exploit``,
``_get_new_config`` and ``_trial_state``.
"""

from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Callable
from typing import Any

from ray.tune.schedulers import (
    AsyncHyperBandScheduler,
    HyperBandForBOHB,
    HyperBandScheduler,
    PopulationBasedTraining,
    TrialScheduler,
)

Sink = Callable[..., Any]


class _Reports:
    """What every recorded scheduler has: a sink for what it reports, left out when pickled
    (``Tuner()`` pickles its scheduler: the live sink stays in this process)."""

    _sink: Sink | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_sink", None)
        return state


class RecordedASHA(_Reports, AsyncHyperBandScheduler):
    """``AsyncHyperBandScheduler`` (ASHA) that reports every rung decision to ``_sink``."""

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


class _RecordsHalving(_Reports):
    """For HyperBand and BOHB's HyperBand: when a bracket is halved, report each of its trials
    as kept ("continue") or stopped, the cut-off being the worst value kept."""

    def _process_bracket(self, tune_controller: Any, bracket: Any) -> str:
        halves, live = bracket._halves, dict(bracket._live_trials)
        milestone = bracket._cumul_r  # the iterations the trials reached: the rung
        action: str = super()._process_bracket(tune_controller, bracket)  # type: ignore[misc]
        if self._sink is None or bracket._halves == halves or not live:
            return action
        metric, sign = self._metric, float(self._metric_op or 1)  # type: ignore[attr-defined]
        ranked = sorted(live, key=lambda trial: sign * live[trial][metric])  # as Ray ranks
        kept = ranked[-bracket._n :] if bracket._n else []
        cutoff = float(live[kept[0]][metric]) if kept else None
        brackets = [b for band in self._hyperbands for b in band]  # type: ignore[attr-defined]
        index = next((i for i, b in enumerate(brackets) if b is bracket), 0)
        for trial in ranked:
            self._sink(
                trial_id=trial.trial_id,
                bracket=index,
                rung=milestone,
                value=float(live[trial][metric]),
                cutoff=cutoff,
                decision="continue" if trial in kept else "stop",
            )
        return action


class RecordedHyperBand(_RecordsHalving, HyperBandScheduler):
    """``HyperBandScheduler`` that reports every halving decision to ``_sink``."""


class RecordedBOHB(_RecordsHalving, HyperBandForBOHB):
    """``HyperBandForBOHB`` that reports every halving decision to ``_sink``."""


class _RecordsExploits(_Reports):
    """For PBT and PB2: report every exploit to ``_sink``.

    Read before Ray's ``_exploit``: the recipient's step and score and its old config; after
    it: the new config, and the donor's checkpoint step (Ray resolves the donor's pending save
    into ``last_result`` first). The recipient continues from that step.
    """

    _operations: dict[str, Any] | None = None

    def _get_new_config(self, trial: Any, trial_to_clone: Any) -> tuple[dict, dict]:
        new_config, operations = super()._get_new_config(trial, trial_to_clone)  # type: ignore[misc]
        self._operations = operations
        return new_config, operations

    def _exploit(self, tune_controller: Any, trial: Any, trial_to_clone: Any) -> None:
        states = self._trial_state  # type: ignore[attr-defined]
        recipient, donor = states[trial], states[trial_to_clone]
        sign = float(self._metric_op or 1)  # type: ignore[attr-defined]
        step = recipient.last_train_time
        recipient_score = None if recipient.last_score is None else recipient.last_score * sign
        donor_score = None if donor.last_score is None else donor.last_score * sign
        old_config = copy.deepcopy(trial.config)
        donor_config = copy.deepcopy(trial_to_clone.config)
        self._operations = None
        super()._exploit(tune_controller, trial, trial_to_clone)  # type: ignore[misc]
        if self._sink is None:
            return
        time_attr = self._time_attr  # type: ignore[attr-defined]
        donor_step = (donor.last_result or {}).get(time_attr, donor.last_train_time)
        self._sink(
            recipient=trial.trial_id,
            donor=trial_to_clone.trial_id,
            step=step,
            donor_step=donor_step,
            recipient_score=recipient_score,
            donor_score=donor_score,
            old_config=old_config,
            donor_config=donor_config,
            new_config=copy.deepcopy(trial.config),
            operations=self._operations or {},
        )


class RecordedPBT(_RecordsExploits, PopulationBasedTraining):
    """``PopulationBasedTraining`` that reports every exploit to ``_sink``."""


@functools.cache
def recorded_pb2() -> type:
    """``PB2`` that reports every exploit (its module imports scikit-learn: made on demand)."""
    from ray.tune.schedulers.pb2 import PB2

    return type("RecordedPB2", (_RecordsExploits, PB2), {"__module__": __name__})


RECORDED = {
    AsyncHyperBandScheduler: RecordedASHA,
    HyperBandScheduler: RecordedHyperBand,
    HyperBandForBOHB: RecordedBOHB,
    PopulationBasedTraining: RecordedPBT,
}


def _recorded(kind: type) -> type | None:
    pb2 = sys.modules.get("ray.tune.schedulers.pb2")  # loaded if a PB2 object exists
    if pb2 is not None and kind is pb2.PB2:
        return recorded_pb2()
    return RECORDED.get(kind)


def recording(scheduler: Any, decision: Sink, exploit: Sink | None = None) -> Any:
    """Make ``scheduler`` report its rung decisions to ``decision`` (ASHA, HyperBand, BOHB's
    HyperBand) or its exploits to ``exploit`` (PBT, PB2) when tunebook knows how: the object
    becomes the matching recorded subclass, same state, same algorithm."""
    recorded = _recorded(type(scheduler))
    if recorded is not None:
        scheduler.__class__ = recorded
    if isinstance(scheduler, RecordedASHA | _RecordsHalving):
        scheduler._sink = decision
    elif isinstance(scheduler, _RecordsExploits):
        scheduler._sink = exploit
    return scheduler
