"""Population Based Training read from the fold: a member's ancestry, and the hyperparameter
schedule that produced its final model. The lineage view and ``Results.schedule`` both walk
:func:`ancestry`, so they cannot disagree."""

from __future__ import annotations

import math

import pandas as pd

from tunebook.errors import OptionError, did_you_mean
from tunebook.results._frames import config_columns
from tunebook.results._state import ExperimentState, TrialState


def current_segment(trial: TrialState, before: float) -> int:
    """The index of the trial's segment that was current just before log position
    ``before`` (the last one begun earlier); 0 for a trial that never reported."""
    return max((k for k, s in enumerate(trial.segments) if s.at < before), default=0)


def ancestry(state: ExperimentState, trial_id: str) -> list[tuple[str, int]]:
    """(member, segment index) of the segments that trained ``trial_id``'s final model,
    newest first: its last segment, then the donor's segment that was current when the
    exploit cloned it, and so on back to a member's first segment."""
    path: list[tuple[str, int]] = []
    member: str | None = trial_id
    before = math.inf
    while member is not None and member in state.trials:  # `before` falls at each step
        trial = state.trials[member]
        k = current_segment(trial, before)
        path.append((member, k))
        segment = trial.segments[k] if trial.segments else None
        if segment is None or segment.exploit is None:
            break
        member, before = segment.donor, segment.exploit["at"]
    return path


def schedule(state: ExperimentState, trial_id: str) -> pd.DataFrame:
    """``Results.schedule``: one row per segment of the final model's ancestry, oldest first:
    iterations ``start`` (exclusive) to ``end`` (inclusive), ``trained_by``, ``config/...``."""
    if trial_id not in state.trials:
        known = list(state.trials)
        raise OptionError(
            f"no trial {trial_id!r} in this experiment.{did_you_mean(trial_id, known)}"
        )
    reports = state.trials[trial_id].reports
    end = int(reports[-1].get("iteration") or len(reports)) if reports else 0
    rows = []
    for member, k in ancestry(state, trial_id):
        trial = state.trials[member]
        segment = trial.segments[k] if trial.segments else None
        start = segment.start if segment is not None else 0
        config = segment.config if segment is not None else trial.config
        rows.append({"start": start, "end": end, "trained_by": member, **config_columns(config)})
        end = start
    return pd.DataFrame(rows[::-1])
