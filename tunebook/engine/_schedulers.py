"""Early-stopping and population schedulers whose decisions become events.

Thin subclasses of Ray's schedulers; Ray's algorithms run unchanged:
- ASHA: after Ray decides, read which rung the result was recorded at and the rung's cut-off
  at that moment (Ray's own cut-off over the other trials at the rung, as Ray computed it).
- HyperBand and BOHB's HyperBand: when Ray halves a bracket, rank its trials as Ray does and
  report the kept and the stopped ones.
- PBT and PB2: every exploit (a member cloning a better one's checkpoint and exploring its
  config), with both members' scores and steps, the old and the new config.
What they read of Ray's private state goes through ``tunebook.engine._ray_internals``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

from ray.tune.schedulers import (
    AsyncHyperBandScheduler,
    FIFOScheduler,
    HyperBandForBOHB,
    HyperBandScheduler,
    PopulationBasedTraining,
    TrialScheduler,
)

from tunebook.engine._ray_internals import (
    ExploitHook,
    ExploitView,
    HalvingHook,
    HalvingView,
    asha_cutoff,
    asha_rungs,
    end_unstarted,
    metric_sign,
)

Sink = Callable[..., Any]


class _Reports:
    """What every recorded scheduler has: a sink for what it reports, left out when pickled
    (``Tuner()`` pickles its scheduler: the live sink stays in this process); and, in a
    resumed run, the trials the record says ended that Ray's snapshot of the run (taken each
    second) still had as unfinished: they end before Ray would run them again."""

    _sink: Sink | None = None
    ended: frozenset[str] = frozenset()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_sink", None)
        state.pop("ended", None)
        return state

    def choose_trial_to_run(self, tune_controller: Any, *args: Any, **kwargs: Any) -> Any:
        if self.ended:
            for trial in tune_controller.get_trials():
                if trial.trial_id in self.ended:
                    end_unstarted(tune_controller, trial)
            self.ended = frozenset()
        return super().choose_trial_to_run(tune_controller, *args, **kwargs)  # type: ignore[misc]


class RecordedFIFO(_Reports, FIFOScheduler):
    """Ray Tune's default scheduler, in a resumed run (it ends what the record ended)."""


class RecordedASHA(_Reports, AsyncHyperBandScheduler):
    """``AsyncHyperBandScheduler`` (ASHA) that reports every rung decision to ``_sink``."""

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        found = asha_rungs(self, trial.trial_id)
        seen = (
            {rung.milestone for rung in found[2] if trial.trial_id in rung.recorded}
            if found is not None
            else set()
        )
        action: str = super().on_trial_result(tune_controller, trial, result)
        if found is None or self._sink is None:
            return action
        index, bracket, rungs = found  # the rungs' records are Ray's own: updated in place
        sign = metric_sign(self)  # Ray keeps scores signed: +1 max, -1 min
        for rung in rungs:
            if trial.trial_id in rung.recorded and rung.milestone not in seen:
                others = {k: v for k, v in rung.recorded.items() if k != trial.trial_id}
                cutoff = asha_cutoff(bracket, others)
                self._sink(
                    trial_id=trial.trial_id,
                    bracket=index,
                    rung=rung.milestone,
                    value=float(rung.recorded[trial.trial_id]) * sign,
                    cutoff=None if cutoff is None else cutoff * sign,
                    decision="stop" if action == TrialScheduler.STOP else "continue",
                )
        return action


class _RecordsHalving(_Reports, HalvingHook):
    """For HyperBand and BOHB's HyperBand: when a bracket is halved, report each of its trials
    as kept ("continue") or stopped, the cut-off being the worst value kept."""

    def on_halving(self, view: HalvingView) -> None:
        if self._sink is None:
            return
        live, metric = view.live, view.metric
        ranked = sorted(live, key=lambda trial: view.sign * live[trial][metric])  # as Ray ranks
        kept = ranked[-view.kept :] if view.kept else []
        cutoff = float(live[kept[0]][metric]) if kept else None
        for trial in ranked:
            self._sink(
                trial_id=trial.trial_id,
                bracket=view.bracket,
                rung=view.milestone,
                value=float(live[trial][metric]),
                cutoff=cutoff,
                decision="continue" if trial in kept else "stop",
            )


class RecordedHyperBand(_RecordsHalving, HyperBandScheduler):
    """``HyperBandScheduler`` that reports every halving decision to ``_sink``."""


class RecordedBOHB(_RecordsHalving, HyperBandForBOHB):
    """``HyperBandForBOHB`` that reports every halving decision to ``_sink``."""


class _RecordsExploits(_Reports, ExploitHook):
    """For PBT and PB2: report every exploit to ``_sink``."""

    def on_exploit(self, view: ExploitView) -> None:
        if self._sink is None:
            return
        self._sink(
            recipient=view.recipient.trial_id,
            donor=view.donor.trial_id,
            step=view.step,
            donor_step=view.donor_step,
            recipient_score=view.recipient_score,
            donor_score=view.donor_score,
            old_config=view.old_config,
            donor_config=view.donor_config,
            new_config=view.new_config,
            operations=view.operations,
        )


class RecordedPBT(_RecordsExploits, PopulationBasedTraining):
    """``PopulationBasedTraining`` that reports every exploit to ``_sink``."""


@functools.cache
def recorded_pb2() -> type:
    """``PB2`` that reports every exploit (its module imports scikit-learn: made on demand)."""
    from ray.tune.schedulers.pb2 import PB2

    return type("RecordedPB2", (_RecordsExploits, PB2), {"__module__": __name__})


RECORDED: dict[type, type] = {
    FIFOScheduler: RecordedFIFO,
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
