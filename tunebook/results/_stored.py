"""Where experiment folders are, and what a storage folder holds, as a terminal or ``%tune
list`` lists it (no Ray: a shell command reads them at once)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tunebook.errors import OptionError, ResultsFolderError
from tunebook.events import EVENTS_FILE
from tunebook.results._results import Results

#: The columns of a listing, in order.
COLUMNS = ("name", "status", "trials", "metric", "best", "elapsed_s", "path")


def default_storage() -> Path:
    """Where experiment folders go: ``$TUNEBOOK_RESULTS``, else ``~/tunebook_results``."""
    return Path(os.environ.get("TUNEBOOK_RESULTS") or Path.home() / "tunebook_results")


def storage_folder(storage_path: str | Path | None) -> Path:
    return Path(storage_path).expanduser().resolve() if storage_path else default_storage()


def find(experiment: str | os.PathLike[str], storage_path: str | None) -> Path:
    """The folder of ``experiment``: a folder holding a record, or a name in the storage."""
    given = Path(experiment).expanduser()
    if (given / EVENTS_FILE).is_file():
        return given.resolve()
    storage = storage_folder(storage_path)
    if (storage / str(experiment) / EVENTS_FILE).is_file():
        return storage / str(experiment)
    names = sorted(p.parent.name for p in storage.glob(f"*/{EVENTS_FILE}"))[-8:]
    raise OptionError(
        f"no experiment {str(experiment)!r} in {storage} (nor a folder of that name holding "
        f"{EVENTS_FILE}). {'Its latest: ' + ', '.join(names) + '.' if names else ''}"
    )


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
        except ResultsFolderError:
            rows.append({"name": record.parent.name, "status": "unreadable"})
            continue
        rows.append(row(results, record.parent))
    return rows


def row(results: Results, folder: str | Path, now: float | None = None) -> dict[str, Any]:
    """One experiment's row of a listing (:data:`COLUMNS`), from its results (as of ``now``
    for a run going on: elapsed by the clock)."""
    progress = results.progress(now=now)
    return {
        "name": results.name or Path(folder).name,
        "status": progress.status,
        "trials": len(results.state.trials),
        "metric": progress.metric,
        "best": progress.best,
        "elapsed_s": round(progress.elapsed, 1),
        "path": str(folder),
    }
