"""The shell command (tunebook demo, show, report), run for real on the session's Ray."""

from __future__ import annotations

import json

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


def test_list_shows_each_record_of_a_storage_folder_with_its_state(tmp_path, capsys):
    from tests.logs import make_log

    make_log(tmp_path / "done" / "events.jsonl").close()
    quiet_record(tmp_path / "gone", silent_for=SILENT_AFTER_S + 5)
    quiet_record(tmp_path / "quiet", silent_for=2)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "events.jsonl").write_text("\n")
    assert main(["list", "--storage", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "status", "trials", "metric", "best", "elapsed_s", "path"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert rows == {"broken": "unreadable", "exp": "completed", "gone": "crashed",
                    "quiet": "running"}  # fmt: skip
    assert main(["list", "--storage", str(tmp_path / "none")]) == 0
    assert capsys.readouterr().out == f"No experiments in {tmp_path / 'none'}.\n"


@pytest.mark.usefixtures("ray_session")
def test_watch_follows_a_live_run_from_another_process_to_its_end(storage):
    import os
    import subprocess
    import sys
    import time

    def slow(config):
        for step in range(8):
            time.sleep(0.3)
            tb.report(v=step)

    exp = tb.run(slow, {"x": tb.grid([1, 2])}, metric="v", mode="max", storage_path=storage)
    watch = [sys.executable, "-m", "tunebook.cli", "watch", exp.name, "--storage", storage,
             "--every", "0.2"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = subprocess.run(watch, capture_output=True, text=True, timeout=120, env=env).stdout
    assert exp.wait(timeout=1)  # watch ended when the run did
    lines = out.splitlines()
    assert lines[-1].startswith(f"{exp.name}: [completed] 0 running, 2 terminated")
    assert any(line.startswith(f"{exp.name}: [running]") for line in lines), out


def steady(config):
    import time

    for step in range(600):
        time.sleep(0.05)
        tb.report(v=step)


@pytest.mark.usefixtures("ray_session")
def test_stop_from_a_terminal_stops_a_run_of_another_process_and_is_recorded(storage):
    import os
    import subprocess
    import sys
    import time

    exp = tb.run(steady, {"x": tb.grid([1, 2])}, metric="v", mode="max", storage_path=storage)
    deadline = time.monotonic() + 60
    while len(exp.snapshot().history) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    first = exp.snapshot().trials.trial_id[0]
    stop = [sys.executable, "-m", "tunebook.cli", "stop", exp.name, "--storage", storage]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    one = subprocess.run([*stop, "--trial", first], capture_output=True, text=True, env=env)
    assert one.stdout == f"Asked {exp.name} to stop trial {first} (at its next report).\n"
    while exp.snapshot().trials.set_index("trial_id").status[first] == "running":
        assert time.monotonic() < deadline, "the trial's stop was not taken"
        time.sleep(0.05)
    began = time.monotonic()
    every = subprocess.run(stop, capture_output=True, text=True, env=env, timeout=60)
    assert exp.done and exp.status == "stopped", every.stderr
    assert time.monotonic() - began < 30  # CLI start and Ray's imports included
    assert every.stdout.splitlines()[-1].startswith(f"{exp.name}: [stopped]")
    controls = [e for e in exp.results.log if e["event"] == "control"]
    assert [(c["command"], c.get("trial_id"), c["from"]["via"]) for c in controls] == [
        ("stop_trial", first, "tunebook stop"),
        ("stop", None, "tunebook stop"),
    ]
    assert {c["from"]["pid"] for c in controls}.isdisjoint({os.getpid()})  # another process

    def lines(log):  # the same events (in memory a command comes in when it is taken)
        return sorted(json.dumps(e, sort_keys=True) for e in log.events())

    assert lines(tb.load(exp.path).log) == lines(exp.results.log)
