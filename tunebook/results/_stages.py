"""Coarse to fine: a results' chain of stages, as a DataFrame and as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from tunebook.errors import ResultsFolderError
from tunebook.events import json_safe
from tunebook.results._state import ExperimentState
from tunebook.space import Space

#: The columns of a chain of stages.
STAGE_COLUMNS = ["name", "parent", "trials", "status", "metric", "mode", "best_value"]
#: The version of what ``export_stages`` writes.
STAGES_FORMAT = 1


def chain(state: ExperimentState) -> list[dict[str, Any]]:
    """The stages that led to an experiment, oldest first, the experiment last: each its name,
    parent, trials, status, metric, mode, best value and config, and its space (described)."""
    settings = state.settings
    metric, mode = state.metric, state.mode
    best = state.best_trial(metric, mode) if metric and mode in ("max", "min") else None
    this = {
        "name": state.name,
        "parent": (settings.get("parent") or {}).get("name"),
        "trials": len(state.trials),
        "status": state.status,
        "metric": metric,
        "mode": mode if mode in ("max", "min") else None,
        "best_value": None if best is None else best[1]["metrics"].get(metric),
        "best_config": None if best is None else dict(best[0].config),
        "space": settings.get("space") or {},
    }
    return [*(settings.get("parent") or {}).get("stages", []), this]


def stages_frame(chain: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per stage, oldest first, each ``space`` a ``tb.Space`` (built from its
    description: no Ray needed)."""
    rows = [{**stage, "space": Space.from_dict(stage.get("space") or {})} for stage in chain]
    return pd.DataFrame(rows, columns=[*STAGE_COLUMNS, "best_config", "space"])


def write_stages(chain: list[dict[str, Any]], path: str | Path) -> Path:
    """Write a chain of stages as JSON (each space exactly, as ``Space.to_json`` writes it)."""
    path = Path(path)
    document = {"tunebook_stages": STAGES_FORMAT, "stages": chain}
    path.write_text(json.dumps(json_safe(document), indent=1), encoding="utf-8")
    return path


def load_stages(path: str | Path) -> pd.DataFrame:
    """The chain of stages that ``Results.export_stages`` wrote, as ``Results.stages`` shows
    it (each ``space`` rebuilt as a ``tb.Space``).

    Raises:
        ResultsFolderError: a file that is not an export of stages.
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ResultsFolderError(f"cannot read stages from {path}: {err}") from None
    if not isinstance(document, dict) or "stages" not in document:
        raise ResultsFolderError(
            f"{path} is not an export of stages (Results.export_stages writes one)."
        )
    return stages_frame(list(document["stages"]))
