"""Exports of the results tables to CSV, JSON and Parquet."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.logs import make_log, pbt_log
from tunebook.errors import OptionError
from tunebook.events import EventLog
from tunebook.results import Results


def test_exports(tmp_path):
    results = Results(make_log())
    trials_csv = pd.read_csv(results.to_csv(tmp_path / "t.csv"))
    assert trials_csv["trial_id"].tolist() == ["a", "b", "c"]
    history_pq = pd.read_parquet(results.to_parquet(tmp_path / "h.parquet", table="history"))
    assert history_pq["acc"].tolist() == [0.5, 0.6, 0.9, 0.4, 0.8]
    trials_pq = pd.read_parquet(results.to_parquet(tmp_path / "t.parquet"))
    assert trials_pq["status"].tolist() == ["terminated", "pruned", "error"]
    trials_json = pd.read_json(results.to_json(tmp_path / "t.json"))
    assert trials_json["config/lr"].tolist() == [0.01, 0.001, 0.05]
    with pytest.raises(OptionError, match="Did you mean 'history'"):
        results.to_csv(tmp_path / "x.csv", table="histroy")


def test_decisions_export(tmp_path):
    log = make_log()
    log.append("decision", trial_id="b", bracket=0, rung=2, value=0.4, cutoff=0.6, decision="stop")
    decisions = pd.read_csv(Results(log).to_csv(tmp_path / "d.csv", table="decisions"))
    assert decisions[["trial_id", "rung", "value", "cutoff", "decision"]].values.tolist() == [
        ["b", 2, 0.4, 0.6, "stop"]
    ]


def test_mixed_type_columns_still_write_to_parquet(tmp_path):
    log = EventLog()
    log.append("experiment_started", name="e", metric="acc", mode="max")
    log.append("trial_started", trial_id="a", config={"act": 1})
    log.append("trial_started", trial_id="b", config={"act": "relu"})
    frame = pd.read_parquet(Results(log).to_parquet(tmp_path / "t.parquet"))
    assert frame["config/act"].tolist() == ["1", "relu"]


def test_the_lineage_exports_with_its_configs_as_json(tmp_path):
    results = Results(pbt_log())
    frame = pd.read_csv(results.to_csv(tmp_path / "lineage.csv", table="lineage"))
    assert frame[["recipient", "donor", "step"]].values.tolist() == (
        results.lineage[["recipient", "donor", "step"]].values.tolist()
    )
    assert [json.loads(c) for c in frame["new_config"]] == results.lineage["new_config"].tolist()
    assert frame["trained"].tolist() == results.lineage["trained"].tolist()
    parquet = pd.read_parquet(results.to_parquet(tmp_path / "lineage.parquet", table="lineage"))
    assert [json.loads(c) for c in parquet["operations"]] == [{"h": "* 1.2"}] * len(parquet)
    records = json.loads(results.to_json(tmp_path / "lineage.json", table="lineage").read_text())
    assert [r["donor_config"] for r in records] == results.lineage["donor_config"].tolist()
