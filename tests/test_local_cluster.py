"""A real multi-node Ray cluster: a head and a worker node started as separate processes
(``ray start``) on this machine, an experiment driven from another process (a kernel stands
for it), trials on both nodes, and the worker node killed mid-run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import tunebook as tb

pytestmark = pytest.mark.heavy


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tb.LocalCluster]:
    """A head node with 1 CPU and a worker node with 2 CPUs, each with one (logical) GPU;
    asked to bind to 127.0.0.1 (Ray 2.60 on Linux uses the machine's address for a
    multi-node cluster). Stopped by process group at the end."""
    with tb.LocalCluster(cpus=[1, 2], gpus=[1, 1], folder=tmp_path / "nodes") as cluster:
        yield cluster


DRIVER = textwrap.dedent(
    """
    import sys, time
    import ray
    import tunebook as tb

    def objective(config):
        state = tb.restore() or {"step": 0}
        gpus = ray.get_gpu_ids()  # the half GPU Ray gave this trial
        for step in range(state["step"], 16):
            time.sleep(0.4)
            tb.report(score=config["q"] * (step + 1), gpus=len(gpus), state={"step": step + 1})

    address, storage = sys.argv[1:]
    exp = tb.run(
        objective,
        {"q": tb.grid([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])},
        metric="score",
        mode="max",
        search="grid",
        address=address,
        storage_path=storage,
        name="across-nodes",
        max_failures=3,
        keep_checkpoints=2,
        resources_per_trial={"cpu": 1, "gpu": 0.5},
    )
    exp.wait()
    print("status", exp.results.status)
    """
)


def read_events(path: Path) -> list[dict]:
    """The events written so far (a line being written is left for the next look)."""
    if not path.exists():
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the last line was cut short"
        return tb.EventLog.read(path).events()


def test_trials_run_on_both_nodes_and_survive_the_worker_node_dying(cluster, tmp_path):
    storage = tmp_path / "experiments"
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    head_node, worker_node = cluster.node_ids()
    driver = subprocess.Popen(  # the kernel: a process of its own, with the cluster's token
        [sys.executable, str(script), cluster.address, str(storage)],
        env=cluster.env,
        stdout=(tmp_path / "driver.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    events_file = storage / "across-nodes" / "events.jsonl"
    try:
        # wait until trials report from both nodes, then kill the worker node mid-run
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert driver.poll() is None, (tmp_path / "driver.log").read_text()
            events = read_events(events_file)
            reports = [e for e in events if e["event"] == "result"]
            node_of = {e["trial_id"]: e["node"] for e in reports if e.get("node")}
            on_worker = [t for t, n in node_of.items() if n == worker_node]
            counts = {t: sum(e["trial_id"] == t for e in reports) for t in on_worker}
            if len(set(node_of.values())) == 2 and sum(c >= 3 for c in counts.values()) >= 2:
                break
            time.sleep(0.5)
        else:
            pytest.fail("trials did not report from both nodes:\n" + events_file.read_text())
        before_kill = [e for e in read_events(events_file) if e["event"] == "result"]
        killed = set(on_worker)
        cluster.kill(1)
        driver.wait(timeout=300)
    finally:
        if driver.poll() is None:
            driver.kill()
    output = (tmp_path / "driver.log").read_text()
    assert driver.returncode == 0 and "status completed" in output, output

    results = tb.load(storage / "across-nodes")
    trials = results.trials.set_index("trial_id")
    # every trial finished, including those that were on the dead node
    assert (trials["status"] == "terminated").all(), trials
    assert (trials["iterations"] == 16).all()
    assert (trials["resources"] == "cpu=1, gpu=0.5").all()
    assert (results.history["gpus"] == 1).all()  # half of one GPU each
    events = results.events
    # both nodes ran trials; the killed trials were retried, and finished on the head
    first_nodes = {e["node"] for e in events if e["event"] == "result" and e.get("node")}
    assert first_nodes == {head_node, worker_node}
    retried = {e["trial_id"] for e in events if e["event"] == "trial_retried"}
    assert retried & killed  # at least one of those seen on the worker
    for trial in retried:  # those running on the worker when it died (one may have started
        # there between the last look and the kill): none had run on the head before
        position = next(
            i
            for i, e in enumerate(events)
            if e["event"] == "trial_retried" and e["trial_id"] == trial
        )
        nodes_before = {
            e["node"]
            for e in events[:position]
            if e["event"] == "result" and e["trial_id"] == trial and e.get("node")
        }
        assert nodes_before <= {worker_node}, (trial, nodes_before)
    for trial in retried:
        assert trials.loc[trial, "node"] == head_node
    # nothing reported before the kill is lost
    after = [e for e in events if e["event"] == "result"]
    kept = {(e["trial_id"], e["iteration"], e["time"]) for e in after}
    assert {(e["trial_id"], e["iteration"], e["time"]) for e in before_kill} <= kept
    # a retried trial went on from its last checkpoint (tb.restore()), not from zero
    for trial in retried:
        retry = next(
            i
            for i, e in enumerate(events)
            if e["event"] == "trial_retried" and e["trial_id"] == trial
        )
        resumed = [e for e in events[retry:] if e["event"] == "result" and e["trial_id"] == trial]
        reported_before = [e for e in before_kill if e["trial_id"] == trial]
        assert resumed[0]["iteration"] > 1 and len(reported_before) >= 3
        assert resumed[-1]["metrics"]["score"] == trials.loc[trial, "config/q"] * 16
