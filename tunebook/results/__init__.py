"""Results: one fold of the event log (``ExperimentState``) and ``Results``, a read-only
facade over it (DataFrames, the best trial, refine, exports, load). Pure: no Ray, no widgets.
"""

from tunebook.results._export import TABLES
from tunebook.results._pbt import ancestry, current_segment
from tunebook.results._progress import WORDS, Progress
from tunebook.results._results import Results, load
from tunebook.results._stages import load_stages
from tunebook.results._state import FINISHED, TRIAL_STATUSES, ExperimentState, check_mode
from tunebook.results._stored import COLUMNS as LISTING
from tunebook.results._stored import default_storage, find, row, storage_folder, stored
from tunebook.results._summary import (
    best_first,
    cell_text,
    kept_columns,
    lead_columns,
    missing,
    number_text,
    summary_frame,
    telling,
    values_text,
)
from tunebook.results._trials import Segment, Trial, TrialState
from tunebook.results._views import add_view_loader, register_views

__all__ = [
    "FINISHED",
    "LISTING",
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
    "add_view_loader",
    "default_storage",
    "find",
    "row",
    "storage_folder",
    "stored",
    "best_first",
    "cell_text",
    "check_mode",
    "kept_columns",
    "lead_columns",
    "load",
    "load_stages",
    "missing",
    "number_text",
    "register_views",
    "summary_frame",
    "values_text",
    "telling",
]
