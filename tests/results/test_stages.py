"""Coarse to fine: a results' chain of stages, as a DataFrame and through its JSON export, on
hand-made results."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import tunebook as tb
from tests.logs import finished
from tunebook.errors import ResultsFolderError
from tunebook.events import EventLog
from tunebook.results import Results

COARSE = {"x": tb.uniform(0, 1), "k": tb.choice(["a", "b"])}
FINE = {"x": tb.uniform(0.2, 0.4), "k": "a"}


def fine_stage() -> tuple[Results, Results]:
    """A coarse stage of 2 trials, and a fine stage of 2 whose parent it is."""
    coarse = finished(COARSE, [({"x": 0.1, "k": "b"}, 0.2), ({"x": 0.3, "k": "a"}, 0.9)])
    log = EventLog()
    parent = {"name": coarse.name, "path": None, "stages": coarse.stage_chain()}
    space = tb.Space(FINE).to_dict()
    log.append(
        "experiment_started", name="fine", metric="acc", mode="max", space=space, parent=parent
    )
    for trial, x, acc in (("f0", 0.25, 0.8), ("f1", 0.31, 0.95)):
        log.append("trial_started", trial_id=trial, config={"x": x, "k": "a"})
        log.append("result", trial_id=trial, iteration=1, metrics={"acc": acc})
        log.append("trial_ended", trial_id=trial, status="terminated")
    log.append("experiment_ended", status="completed")
    return coarse, Results(log)


def test_the_chain_lists_the_parents_stages_then_this_one():
    coarse, fine = fine_stage()
    stages = fine.stages
    assert stages["name"].tolist() == ["coarse", "fine"]
    assert pd.isna(stages["parent"].iloc[0]) and stages["parent"].iloc[1] == "coarse"
    assert stages["trials"].tolist() == [2, 2]
    assert stages["best_value"].tolist() == [0.9, 0.95]
    assert stages["best_config"].tolist() == [{"x": 0.3, "k": "a"}, {"x": 0.31, "k": "a"}]
    assert list(stages["space"]) == [tb.Space(COARSE), tb.Space(FINE)]
    assert coarse.stages["name"].tolist() == ["coarse"]  # a first stage: itself alone


def test_a_frame_of_stages_prints_each_space_readably():
    _, fine = fine_stage()
    text = fine.stages[["name", "space"]].to_string()
    assert "{'x': uniform(0.0, 1.0), 'k': choice(['a', 'b'])}" in text and " at 0x" not in text


def test_export_and_load_give_the_same_chain(tmp_path):
    _, fine = fine_stage()
    path = fine.export_stages(tmp_path / "stages.json")
    assert json.loads(path.read_text())["tunebook_stages"] == 1
    loaded = tb.load_stages(path)
    stages = fine.stages
    pd.testing.assert_frame_equal(loaded.drop(columns="space"), stages.drop(columns="space"))
    assert list(loaded["space"]) == list(stages["space"])


def test_loading_what_is_no_export_of_stages_is_a_clear_error(tmp_path):
    with pytest.raises(ResultsFolderError, match="cannot read stages from"):
        tb.load_stages(tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"tunebook_space": 1}')
    with pytest.raises(ResultsFolderError, match="is not an export of stages"):
        tb.load_stages(tmp_path / "other.json")
