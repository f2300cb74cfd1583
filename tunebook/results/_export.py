"""Writing a results table to CSV, JSON or Parquet: ``Results.to_csv`` / ``to_json`` /
``to_parquet`` (:class:`Exports`, a part of ``Results``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tunebook.errors import OptionError, did_you_mean

#: The tables the exports write (``table=``): each a DataFrame property of ``Results``.
TABLES = ("trials", "history", "decisions", "lineage")


class Exports:
    """The exports of ``Results``: each writes one of its :data:`TABLES`."""

    def _table(self, table: str) -> pd.DataFrame:
        if table not in TABLES:
            raise OptionError(
                f"table must be one of {TABLES}, got {table!r}.{did_you_mean(table, TABLES)}"
            )
        frame: pd.DataFrame = getattr(self, table)
        return frame

    def to_csv(self, path: str | Path, table: str = "trials") -> Path:
        """Write ``trials`` (or ``table=`` ``"history"``, ``"decisions"``, ``"lineage"``) as
        CSV; nested values (configs) as JSON text. Returns the path."""
        return write_csv(self._table(table), path)

    def to_json(self, path: str | Path, table: str = "trials") -> Path:
        """Write ``trials`` (or ``table=`` ``"history"``, ``"decisions"``, ``"lineage"``) as
        JSON records; returns the path."""
        return write_json(self._table(table), path)

    def to_parquet(self, path: str | Path, table: str = "trials") -> Path:
        """Write ``trials`` (or ``table=`` ``"history"``, ``"decisions"``, ``"lineage"``) as
        Parquet; returns the path.

        Nested values (configs) are written as JSON text, and a column whose values mix types
        (``choice([1, "a"])``) as text.
        """
        return write_parquet(self._table(table), path)


def flat_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with nested values (the configs of ``lineage``) as JSON text, for the
    formats whose cells hold one value."""
    frame = frame.copy()
    for column in frame.columns[frame.dtypes == "object"]:  # numbers, text: no nesting
        if frame[column].map(lambda v: isinstance(v, (dict, list))).any():
            frame[column] = frame[column].map(
                lambda v: json.dumps(v) if isinstance(v, (dict, list)) else v
            )
    return frame


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    flat_cells(frame).to_csv(path, index=False)
    return path


def write_json(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    frame.to_json(path, orient="records", indent=1)
    return path


def write_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Nested values as JSON text, and a column whose values mix types
    (``choice([1, "a"])``) as text."""
    path = Path(path)
    frame = flat_cells(frame)
    for column in frame.columns:
        if frame[column].dtype == object:
            kinds = {type(v) for v in frame[column] if v is not None and v == v}
            if len(kinds) > 1 or kinds - {str, int, float, bool}:
                frame[column] = frame[column].map(lambda v: None if v is None else str(v))
    frame.to_parquet(path, index=False)
    return path
