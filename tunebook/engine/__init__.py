"""The Ray Tune adapter: build a Tuner with fast defaults, run it in the background, record it.

The engine emits events into the event log; it never draws.
"""

from tunebook.engine._algorithms import SCHEDULERS, SEARCHES
from tunebook.engine._attached import attach
from tunebook.engine._cluster import ensure_ray
from tunebook.engine._experiment import Experiment
from tunebook.engine._launch import experiments, listing
from tunebook.engine._options import OPTIONS, Option
from tunebook.engine._report import report, restore
from tunebook.engine._resume import resume
from tunebook.engine._run import record, run
from tunebook.results import default_storage

__all__ = [
    "OPTIONS",
    "Option",
    "SCHEDULERS",
    "SEARCHES",
    "Experiment",
    "attach",
    "default_storage",
    "ensure_ray",
    "experiments",
    "listing",
    "record",
    "report",
    "restore",
    "resume",
    "run",
]
