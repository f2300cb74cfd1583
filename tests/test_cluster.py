"""A real multi-node Ray cluster: a head and a worker node started as separate processes
(``ray start``) on this machine, an experiment driven from another process (a kernel stands
for it), trials on both nodes, and the worker node killed mid-run."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tunebook as tb

pytestmark = pytest.mark.cluster

RAY = str(Path(sys.executable).with_name("ray"))
#: The cluster's processes and its driver: Ray 2.60 authenticates with a token; this cluster
#: has one of its own (nodes and drivers must share it), and binds to 127.0.0.1 only.
ENV = {
    **{k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"},
    "RAY_AUTH_MODE": "token",
    "RAY_AUTH_TOKEN": secrets.token_hex(32),
}


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Node:
    """One ``ray start --block`` process (and what it starts, in its own process group)."""

    def __init__(self, args: list[str], log: Path) -> None:
        node_manager, object_manager, *agents = free_ports(6)
        self.node_manager_port = node_manager
        self.log = log
        self.process = subprocess.Popen(
            [
                RAY,
                "start",
                "--block",
                "--node-ip-address=127.0.0.1",
                f"--node-manager-port={node_manager}",
                f"--object-manager-port={object_manager}",
                f"--dashboard-agent-listen-port={agents[0]}",
                f"--dashboard-agent-grpc-port={agents[1]}",
                f"--metrics-export-port={agents[2]}",
                f"--runtime-env-agent-port={agents[3]}",
                "--disable-usage-stats",
                *args,
            ],
            env=ENV,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: killing it kills its raylet too
        )

    def kill(self) -> None:
        """The node dies at once, as a machine that loses power."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict]:
    """A head node with 1 CPU and a worker node with 2 CPUs, on 127.0.0.1."""
    (gcs_port,) = free_ports(1)
    address = f"127.0.0.1:{gcs_port}"
    nodes: list[Node] = []
    try:
        head = Node(
            [
                "--head",
                f"--port={gcs_port}",
                "--num-cpus=1",
                "--include-dashboard=false",
            ],
            tmp_path / "head.log",
        )
        nodes.append(head)
        wait_for_nodes(address, 1, head)
        worker = Node([f"--address={address}", "--num-cpus=2"], tmp_path / "worker.log")
        nodes.append(worker)
        wait_for_nodes(address, 2, worker)
        yield {"address": address, "head": head, "worker": worker}
    finally:
        for node in reversed(nodes):
            node.stop()


def wait_for_nodes(address: str, count: int, node: Node, timeout: float = 90) -> None:
    """Wait until ``ray status`` sees ``count`` nodes (asked from a separate process: this
    one is connected to the test session's Ray)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            pytest.fail(f"ray start exited:\n{node.log.read_text()}")
        status = subprocess.run(
            [RAY, "status", f"--address={address}"], capture_output=True, text=True, env=ENV
        )
        if status.returncode == 0 and status.stdout.count("node_") >= count:
            return
        time.sleep(1)
    pytest.fail(f"the cluster did not reach {count} nodes:\n{node.log.read_text()}")


DRIVER = textwrap.dedent(
    """
    import json, sys, time
    import ray
    import tunebook as tb

    def objective(config):
        state = tb.restore() or {"step": 0}
        for step in range(state["step"], 16):
            time.sleep(0.4)
            tb.report(score=config["q"] * (step + 1), state={"step": step + 1})

    address, storage, nodes_file = sys.argv[1:]
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
    )
    with open(nodes_file, "w") as f:
        json.dump({n["NodeID"]: n["NodeManagerPort"] for n in ray.nodes()}, f)
    exp.wait()
    print("status", exp.results.status)
    """
)


def read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def test_trials_run_on_both_nodes_and_survive_the_worker_node_dying(cluster, tmp_path):
    storage = tmp_path / "experiments"
    nodes_file = tmp_path / "nodes.json"
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    driver = subprocess.Popen(
        [sys.executable, str(script), cluster["address"], str(storage), str(nodes_file)],
        env=ENV,
        stdout=(tmp_path / "driver.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    events_file = storage / "across-nodes" / "events.jsonl"
    try:
        # wait until trials report from both nodes, then kill the worker node mid-run
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert driver.poll() is None, (tmp_path / "driver.log").read_text()
            if nodes_file.exists():
                ports = json.loads(nodes_file.read_text())
                worker_node = next(
                    n for n, p in ports.items() if p == cluster["worker"].node_manager_port
                )
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
        cluster["worker"].kill()
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
    events = results.events
    # both nodes ran trials; the killed trials were retried, and finished on the head
    first_nodes = {e["node"] for e in events if e["event"] == "result" and e.get("node")}
    assert worker_node in first_nodes and len(first_nodes) == 2
    retried = {e["trial_id"] for e in events if e["event"] == "trial_retried"}
    assert retried and retried <= killed  # those running on the worker when it died
    for trial in retried:
        assert trials.loc[trial, "node"] != worker_node
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
