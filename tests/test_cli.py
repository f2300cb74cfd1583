"""The shell command (tunebook demo, show, report), run for real on the session's Ray."""

from __future__ import annotations

import pytest

import tunebook as tb
from tests.logs import quiet_record
from tests.objectives import chatty
from tunebook.cli import main
from tunebook.events import SILENT_AFTER_S


@pytest.mark.usefixtures("ray_session")
def test_demo_tunes_a_real_model_and_prints_the_best_config(tmp_path, capsys):
    assert main(["demo", "--samples", "8", "--epochs", "6", "--storage", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Best val_acc:" in out and "Best config: hidden=" in out  # 4 digits, no dict
    assert "[completed]" in out  # the final progress line
    (folder,) = [p for p in tmp_path.iterdir() if p.name != ".ray"]
    assert f"Experiment folder: {folder}" in out
    results = tb.load(folder)
    assert len(results.trials) == 8
    assert results.best().metrics["val_acc"] > 0.5  # digits: far better than chance (0.1)
    assert set(results.trials["status"]) <= {"terminated", "pruned"}
    assert results.history["iteration"].max() <= 6

    assert main(["show", str(folder), "--top", "3"]) == 0
    shown = capsys.readouterr().out
    assert "Top 3 of 8 trials" in shown and "Best val_acc:" in shown
    header = shown.split("Top 3 of 8 trials:\n")[1].splitlines()[0].split()
    # one node, the same resources for all, no checkpoint: nothing to say, not shown
    assert {"node", "resources", "checkpoints", "error"}.isdisjoint(header)
    assert header[:3] == ["trial_id", "status", "best_val_acc"]  # the metric first
    assert "config/epochs" not in header  # the same for every trial: says nothing


def test_show_on_a_folder_without_a_record_is_a_clear_error(tmp_path, capsys):
    assert main(["show", str(tmp_path)]) == 2
    assert "events.jsonl" in capsys.readouterr().err


@pytest.mark.usefixtures("ray_session")
def test_report_command_writes_a_static_page(storage, tmp_path, capsys):
    exp = tb.run(
        chatty,
        {"x": tb.grid([1, 2])},
        metric="acc",
        mode="max",
        search="grid",
        storage_path=storage,
        wait=True,
    )
    out = tmp_path / "report.html"
    assert main(["report", str(exp.path), "-o", str(out)]) == 0
    page = out.read_text()
    assert "Best trial" in page and exp.name in page
    assert "Wrote" in capsys.readouterr().out
    again = tb.write_report(exp, tmp_path / "again.html").read_text()
    assert again.count("<table") == page.count("<table") and exp.name in again


def test_show_says_a_run_whose_driver_is_gone_crashed(tmp_path, capsys):
    quiet_record(tmp_path, silent_for=SILENT_AFTER_S + 5)
    assert main(["show", str(tmp_path)]) == 0
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert first.startswith(f"{tmp_path.name}: [crashed] 0 running, 1 terminated, 1 interrupted")
    assert second.startswith("Crashed: the run's driver is gone: its record has no end and no")
