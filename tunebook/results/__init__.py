"""Results: one fold of the event log (``ExperimentState``) and ``Results``, a read-only
facade over it (DataFrames, the best trial, refine, exports, load). Pure: no Ray, no widgets.
"""

from tunebook.results._frames import best_first
from tunebook.results._pbt import ancestry, current_segment
from tunebook.results._progress import WORDS, Progress
from tunebook.results._results import TABLES, Results, load
from tunebook.results._stages import load_stages
from tunebook.results._state import FINISHED, TRIAL_STATUSES, ExperimentState, check_mode
from tunebook.results._trials import Segment, Trial, TrialState

__all__ = [
    "FINISHED",
    "TABLES",
    "TRIAL_STATUSES",
    "WORDS",
    "ancestry",
    "current_segment",
    "ExperimentState",
    "Progress",
    "Results",
    "Segment",
    "Trial",
    "TrialState",
    "best_first",
    "check_mode",
    "load",
    "load_stages",
]
