"""Shared fixtures: one real local Ray for the whole test session, kept clean between tests,
and ``messages``, the comm messages the dashboard's widgets publish.

Guards that keep one broken test from breaking the rest (and CI's log readable):
- after a test that used the session's Ray, no experiment of it may still run and every CPU
  must be free again; otherwise the test errors, saying what was left, and what was left is
  stopped, so the next test starts on a clean Ray (when nothing holds the CPUs, Ray's count
  is off: the session's Ray is restarted, and that is said in the output);
- a failing test prints its reason at once, in the progress lines;
- the whole session has a time budget (``TUNEBOOK_TEST_BUDGET_S``, 45 minutes): past it, the
  run ends with a failure that says so, instead of running into CI's own limit.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from collections.abc import Iterator

import pytest

#: How long Ray may take to give a finished experiment's CPUs back.
RELEASE_S = 30.0
BUDGET_S = float(os.environ.get("TUNEBOOK_TEST_BUDGET_S", 45 * 60))
_session_started = time.monotonic()


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """A real local Ray (2 CPUs, no dashboard), started once and reused by every test."""
    import ray

    from tunebook.engine import ensure_ray

    ensure_ray(num_cpus=2)  # tunebook's own local start: 127.0.0.1 only, dashboard off
    yield
    ray.shutdown()


@pytest.fixture
def storage(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("experiments"))


class Messages:
    """Every comm message the widgets publish, as (what, bytes)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, dict]] = []  # (comm id, bytes, data)
        self.sent_with_buffers: list[tuple[str, int, dict, list[int]]] = []

    def clear(self) -> None:
        self.sent.clear()
        self.sent_with_buffers.clear()

    def figure_updates(self, view) -> list[dict]:
        """The ``update`` messages of one figure view (``PlotView``), with their buffers'
        sizes under ``"buffers"``."""
        return [
            {**d["content"], "buffers": sizes}
            for comm, _, d, sizes in self.sent_with_buffers
            if comm == view.comm.comm_id
            and d.get("method") == "custom"
            and d["content"].get("kind") == "update"
        ]

    def custom(self, widget) -> list[dict]:
        """Every custom message one widget sent."""
        return [
            d["content"]
            for comm, _, d, _ in self.sent_with_buffers
            if comm == widget.comm.comm_id and d.get("method") == "custom"
        ]

    def widget_updates(self, key: str) -> list[dict]:
        return [d["state"] for _, _, d in self.sent if key in d.get("state", {})]


@pytest.fixture
def messages(monkeypatch) -> Messages:
    import ipywidgets

    record = Messages()
    comm_class = type(ipywidgets.HTML().comm)
    original = comm_class.publish_msg

    def publish(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        size = len(json.dumps(data, default=str)) + sum(len(b) for b in buffers or [])
        record.sent.append((self.comm_id, size, data or {}))
        sizes = [memoryview(b).nbytes for b in buffers or []]
        record.sent_with_buffers.append((self.comm_id, size, data or {}, sizes))
        return original(self, msg_type, data, metadata, buffers, **keys)

    monkeypatch.setattr(comm_class, "publish_msg", publish)
    return record


@pytest.fixture(autouse=True)
def _ray_left_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test on the session's Ray leaves no running experiment and no CPU held."""
    yield
    if "ray_session" not in request.fixturenames:
        return
    left = _stop_running_experiments() + _held_resources(request.node.nodeid)
    if left:
        pytest.fail("the test left the session's Ray unclean:\n- " + "\n- ".join(left))


def _stop_running_experiments() -> list[str]:
    """Stop (and wait for) every experiment of this process that still runs."""
    if not any(t.name.startswith("tunebook:") for t in threading.enumerate()):
        return []
    from tunebook.engine._experiment import Experiment

    running = [o for o in gc.get_objects() if isinstance(o, Experiment) and not o.done]
    left = []
    for exp in running:
        exp.stop()
        outcome = "stopped" if exp._done.wait(60) else "it would not stop"
        left.append(f"experiment {exp.name!r} was still running ({outcome})")
    return left


def _held_resources(test: str) -> list[str]:
    """What still holds the session's CPUs RELEASE_S after the test (actors, placement groups).

    When nothing does, Ray's own count is off (the raylet of Ray 2.60 was seen here counting a
    CPU in use with no worker, lease or placement group behind it, for good): not the test's
    doing, so the session's Ray is restarted, and the restart is reported, not failed.
    """
    import ray

    if not ray.is_initialized():
        return ["Ray is no longer initialised in this process"]
    if not all(n["Alive"] for n in ray.nodes()):
        return ["a node of the session's Ray died"]
    deadline = time.monotonic() + RELEASE_S
    total = ray.cluster_resources().get("CPU", 0)
    while ray.available_resources().get("CPU", 0) < total:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    else:
        return []
    from ray._private.state import state
    from ray._raylet import PlacementGroupID
    from ray.util.placement_group import PlacementGroup, remove_placement_group

    free = ray.available_resources().get("CPU", 0)
    held = []
    for actor in state.actor_table(None).values():
        if actor["State"] != "DEAD":
            held.append(f"actor {actor['ActorClassName']} ({actor['State']}, pid {actor['Pid']})")
    for hex_id, group in ray.util.placement_group_table().items():
        if group["state"] != "REMOVED":
            held.append(f"placement group {hex_id} {group['bundles']} ({group['state']}): removed")
            remove_placement_group(PlacementGroup(PlacementGroupID(bytes.fromhex(hex_id))))
    if held:
        return [f"{free} of {total} CPUs free {RELEASE_S:.0f} s after the test", *held]
    from tunebook.engine import ensure_ray

    ray.shutdown()
    ensure_ray(num_cpus=2)
    _say(
        f"RAY RESTARTED after {test}: Ray counted {total - free:g} of {total:g} CPUs in use "
        f"{RELEASE_S:.0f} s after the test, with no actor or placement group holding them"
    )
    return []


_said: list[str] = []


def _say(line: str) -> None:
    """A line in the progress output, at the end of the test's current phase (output written
    during a phase is captured, and shown only for a failing test)."""
    _said.append(line)


_config: pytest.Config | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _config
    _config = config
    os.environ.setdefault("TUNEBOOK_RESULTS", str(config.rootpath / ".pytest-results"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The heavy tests (a multi-node cluster, Ray Train, the heaviest notebooks) may take
    longer than the 5 minutes every other test gets (pyproject's timeout)."""
    for item in items:
        if item.get_closest_marker("heavy") is not None:
            item.add_marker(pytest.mark.timeout(600))


def pytest_runtest_setup(item: pytest.Item) -> None:
    spent = time.monotonic() - _session_started
    if spent > BUDGET_S:
        pytest.exit(
            f"the test session has run {spent / 60:.0f} minutes, past its budget of "
            f"{BUDGET_S / 60:.0f} (TUNEBOOK_TEST_BUDGET_S); the tests above say what went wrong",
            returncode=1,
        )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A failure's reason at once, in the progress lines (CI shows a log's end)."""
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(report.longrepr)
        reason = " / ".join(line.strip() for line in text.splitlines()[:4])[:400]
        _say(f"{report.when.upper()} FAILED {report.nodeid}: {reason}")
    terminal = _config.pluginmanager.get_plugin("terminalreporter") if _config else None
    while _said and terminal is not None:
        terminal.write_line(f"\n{_said.pop(0)}")
