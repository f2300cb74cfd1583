"""The experiments a storage folder holds, as a terminal or ``%tune list`` lists them."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tunebook.errors import ResultsFolderError
from tunebook.events import EVENTS_FILE
from tunebook.results._results import Results

#: The columns of a listing, in order.
COLUMNS = ("name", "status", "trials", "metric", "best", "elapsed_s", "path")


def stored(storage: Path, skip: Iterable[Path] = ()) -> list[dict[str, Any]]:
    """One row per experiment folder in ``storage`` (oldest name first), but those in
    ``skip``: its name, status (running, an end, ``crashed`` when its driver is gone, or
    ``unreadable``), trials, metric, best value, seconds it ran, folder."""
    rows: list[dict[str, Any]] = []
    left_out = {Path(p) for p in skip}
    for record in sorted(storage.glob(f"*/{EVENTS_FILE}")):
        if record.parent in left_out:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a cut last line: the listing says no more
                results = Results.load(record.parent)
            progress = results.progress()
        except ResultsFolderError:
            rows.append({"name": record.parent.name, "status": "unreadable"})
            continue
        rows.append(
            {
                "name": results.name or record.parent.name,
                "status": progress.status,
                "trials": len(results.state.trials),
                "metric": progress.metric,
                "best": progress.best,
                "elapsed_s": round(progress.elapsed, 1),
                "path": str(record.parent),
            }
        )
    return rows
