"""Runs that outlive the kernel, with real kernels (jupyter_client) and a real local Ray: kernel A
starts a detached ``%%tune`` and is killed as Jupyter's restart kills it (SIGKILL to its
process group); kernel B lists the run as running, attaches, sees it grow, stops it; the record
ends ``stopped``. And the local Ray that outlives its kernel: started by a detached run,
shown and ended by ``tunebook ray status`` / ``stop``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from tunebook.events import EVENTS_FILE, EventLog

pytestmark = pytest.mark.usefixtures("ray_session")

CELL = """%%tune --detach -n 2 --metric loss --mode min --name longrun --storage-path {storage}
x = uniform(0, 1)
import time
for step in range(600):
    time.sleep(0.1)
    report(loss=x / (step + 1))
"""


class Kernel:
    """A real IPython kernel, its client, and its output."""

    def __init__(self, env: dict[str, str]) -> None:
        self.manager = KernelManager()
        self.manager.start_kernel(env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 120) -> str:
        out: list[str] = []

        def collect(message: dict) -> None:
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                out.append("\n".join(content["traceback"]))
            elif kind in ("execute_result", "display_data"):
                out.append(content["data"].get("text/plain", ""))

        reply = self.client.execute_interactive(code, timeout=timeout, output_hook=collect)
        text = "".join(out)
        assert reply["content"]["status"] == "ok", text
        return text

    def kill_group(self) -> None:
        """SIGKILL to the kernel's whole process group, as Jupyter's restart signals it."""
        pid = self.manager.provisioner.process.pid
        os.killpg(os.getpgid(pid), signal.SIGKILL)
        self.manager.provisioner.process.wait(timeout=30)
        self.client.stop_channels()

    def close(self) -> None:
        self.client.stop_channels()
        if self.manager.is_alive():
            self.manager.shutdown_kernel(now=True)


def _env() -> dict[str, str]:
    import ray

    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        # the session's Ray (this process's child) outlives the kernels
        "RAY_ADDRESS": ray.get_runtime_context().gcs_address,
    }


def _results(folder: Path) -> int:
    return sum(e["event"] == "result" for e in EventLog.read(folder).events())


def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:g} s: {what}")


def _stopped(folder: Path) -> None:
    """Whatever the test saw, the detached run ends (as ``tunebook stop`` ends it)."""
    record = folder / EVENTS_FILE
    if not record.exists() or EventLog.read(folder).events()[-1]["event"] == "experiment_ended":
        return
    from tunebook.engine._control import control_fields

    EventLog.append_to(record, "control", **control_fields("stop", "the test's clean-up"))
    _until(lambda: EventLog.read(folder).events()[-1]["event"] == "experiment_ended", 60, "end")


@pytest.fixture
def folder(storage):
    folder = Path(storage) / "longrun"
    yield folder
    _stopped(folder)


def test_a_detached_cell_outlives_its_kernel_and_another_kernel_attaches_and_stops_it(
    storage, folder
):
    record = folder / EVENTS_FILE
    a = Kernel(_env())
    try:
        a.run("%load_ext tunebook\nimport tunebook as tb")
        kernel_pid = a.manager.provisioner.process.pid
        started = a.run(CELL.format(storage=storage))
        assert "`exp1`" in started, started  # the cell returned at once, the run going on
        _until(lambda: record.exists() and _results(folder) >= 2, 60, "the first results")
        driver = EventLog.read(folder).events()[0]["driver"]
        a.kill_group()
    finally:
        a.close()
    assert driver["pid"] != kernel_pid  # the driver runs outside the kernel
    before = _results(folder)
    time.sleep(1.5)
    assert _results(folder) > before, "the run went on after its kernel was killed"

    b = Kernel({**_env(), "TUNEBOOK_RESULTS": storage})  # where %tune list looks
    try:
        listing = b.run("%load_ext tunebook\nimport tunebook as tb\n%tune list")
        row = next(line for line in listing.splitlines() if "longrun" in line)
        assert "running" in row, listing
        grown = b.run(
            f"exp = tb.attach('longrun', storage_path={storage!r})\n"
            "import time\n"
            "n1 = len(exp.live.history); time.sleep(1.5); n2 = len(exp.live.history)\n"
            "print(exp.detached, n1, n2)"
        )
        detached, n1, n2 = grown.split()[-3:]
        assert detached == "True" and int(n2) > int(n1) > 0, grown
        ended = b.run("exp.stop(); exp.wait(timeout=60); print(exp.status)")
        assert ended.split()[-1] == "stopped", ended
    finally:
        b.close()
    events = EventLog.read(folder).events()
    assert events[-1]["event"] == "experiment_ended" and events[-1]["status"] == "stopped"
    (stop,) = [e for e in events if e["event"] == "control"]
    assert stop["command"] == "stop" and stop["from"]["via"] == "Experiment.stop"
    assert stop["from"]["pid"] != driver["pid"]  # given by kernel B, taken by the driver
    assert {e["status"] for e in events if e["event"] == "trial_ended"} == {"stopped"}


DRIVER_SCRIPT = """
import os, signal, sys, time
import tunebook as tb

def objective(config):
    for step in range(10):
        time.sleep(0.2)
        tb.report(loss=config["x"] / (step + 1))

exp = tb.run(objective, {"x": tb.uniform(0, 1)}, metric="loss", mode="min", num_samples=4,
             name="outlived", storage_path=sys.argv[1], detach=True)
while exp.live.history.empty:
    time.sleep(0.05)
os.kill(os.getpid(), signal.SIGKILL)  # the process that started the run dies at once
"""


def _tunebook(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tunebook.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_a_detached_run_starts_a_local_ray_that_outlives_its_process(storage, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["TUNEBOOK_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    assert _tunebook("ray", "status", env=env).returncode == 1  # none up yet
    script = tmp_path / "driver.py"
    script.write_text(DRIVER_SCRIPT)
    started = subprocess.run(
        [sys.executable, str(script), storage],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert started.returncode == -signal.SIGKILL, started.stderr
    assert "started a local Ray at 127.0.0.1:" in started.stdout  # and said so
    try:
        folder = Path(storage) / "outlived"
        _until(
            lambda: EventLog.read(folder).events()[-1]["event"] == "experiment_ended",
            90,
            "the run's end",
        )
        status = _tunebook("ray", "status", env=env)
        assert status.returncode == 0 and "127.0.0.1:" in status.stdout, status
        group = json.loads((tmp_path / "home" / "local-ray.json").read_text())["pid"]
    finally:
        stopped = _tunebook("ray", "stop", env=env)
    results = EventLog.read(folder)
    assert results.events()[-1]["status"] == "completed"
    assert sorted(results.reports["iteration"]) == sorted(list(range(1, 11)) * 4)
    assert "Stopped the local Ray at 127.0.0.1:" in stopped.stdout, stopped
    assert _tunebook("ray", "status", env=env).returncode == 1
    assert not (tmp_path / "home" / "local-ray.json").exists()
    with pytest.raises(ProcessLookupError):  # its processes are gone
        os.killpg(group, 0)
