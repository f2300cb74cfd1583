"""A multi-node Ray cluster on one machine: a head and worker nodes, each its own
``ray start`` process, to try a cluster before you have one (and to test on one).

A real cluster is started the same way, one ``ray start`` per machine; see the README's
"From a laptop to a cluster".

Example:
    >>> with tb.LocalCluster(cpus=[1, 2]) as cluster:  # doctest: +SKIP
    ...     os.environ.update(cluster.client_env)  # its token, for this process's driver
    ...     exp = tb.run(objective, space, metric="acc", mode="max", address=cluster.address)
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from tunebook.engine._local_ray import RAY, free_ports
from tunebook.errors import TunebookError

__all__ = ["LocalCluster"]

#: Seconds a node has to join before the start counts as failed.
JOIN_TIMEOUT = 90.0
#: Seconds a node has to stop on SIGTERM before it is killed.
STOP_TIMEOUT = 8.0


class _Node:
    """One ``ray start --block`` process, in a process group of its own (with its raylet and
    workers), so that it can be stopped, or killed, as one machine."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        node_manager, object_manager, *agents = free_ports(6)
        self.node_manager_port = node_manager
        self.log = log
        self.process = subprocess.Popen(
            [
                *RAY,
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
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if not self.alive():
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()


class LocalCluster:
    """A head node and worker nodes on this machine, each a ``ray start`` process.

    Args:
        cpus: CPUs per node, head first (``[1, 2]``: a head with 1 CPU, a worker with 2).
            Logical: Ray counts them, the machine's cores are shared.
        gpus: GPUs per node, head first (logical too: for trying fractional GPU requests).
        folder: where the nodes' logs go (default: a temporary folder).

    The cluster authenticates with a token of its own (Ray 2.60 turns token authentication
    on): ``client_env`` holds it for a driver (``os.environ.update(cluster.client_env)``
    before connecting). Nodes stop with :meth:`stop` (or the ``with`` block's end);
    :meth:`kill` kills one at once, as a machine that loses power.
    """

    def __init__(
        self,
        cpus: Sequence[int] = (1, 2),
        gpus: Sequence[int] | None = None,
        folder: str | Path | None = None,
    ) -> None:
        if not cpus or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in cpus):
            raise TunebookError(f"cpus must list each node's CPUs (head first), got {cpus!r}.")
        gpus = list(gpus) if gpus is not None else [0] * len(cpus)
        if len(gpus) != len(cpus):
            raise TunebookError(f"gpus must list as many nodes as cpus, got {gpus!r}.")
        self.folder = Path(folder or tempfile.mkdtemp(prefix="tunebook-cluster-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(32)
        self.client_env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
        # not this process's Ray, nor its single-node switch (set for a local Ray here)
        inherited = {
            k: v
            for k, v in os.environ.items()
            if k not in ("RAY_ADDRESS", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")
        }
        self.env = {**inherited, **self.client_env}
        (port,) = free_ports(1)
        self.address = f"127.0.0.1:{port}"
        self.nodes: list[_Node] = []
        try:
            for index, (cpu, gpu) in enumerate(zip(cpus, gpus, strict=True)):
                where = (
                    ["--head", f"--port={port}", "--include-dashboard=false"]
                    if index == 0
                    else [f"--address={self.address}"]
                )
                name = "head" if index == 0 else f"worker-{index}"
                node = _Node(
                    [*where, f"--num-cpus={cpu}", f"--num-gpus={gpu}"],
                    self.env,
                    self.folder / f"{name}.log",
                )
                self.nodes.append(node)
                self._wait_for(index + 1, node)
        except BaseException:
            self.stop()
            raise

    def _wait_for(self, count: int, node: _Node) -> None:
        deadline = time.monotonic() + JOIN_TIMEOUT
        while time.monotonic() < deadline:
            if not node.alive():
                raise TunebookError(f"ray start exited:\n{node.log.read_text()}")
            status = subprocess.run(
                [*RAY, "status", f"--address={self.address}"],
                capture_output=True,
                text=True,
                env=self.env,
            )
            if status.returncode == 0 and status.stdout.count("node_") >= count:
                return
            time.sleep(1)
        raise TunebookError(
            f"the cluster did not reach {count} nodes in {JOIN_TIMEOUT:g} s:\n"
            f"{node.log.read_text()}"
        )

    @property
    def head(self) -> _Node:
        return self.nodes[0]

    @property
    def workers(self) -> list[_Node]:
        return self.nodes[1:]

    def node_ids(self) -> list[str]:
        """The Ray node id of each node, head first (asked by a separate process, which works
        whichever Ray this one is connected to)."""
        probe = (
            "import json, sys, ray; ray.init(address=sys.argv[1], logging_level='ERROR');"
            "print(json.dumps({n['NodeManagerPort']: n['NodeID'] for n in ray.nodes()}))"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe, self.address],
            capture_output=True,
            text=True,
            env=self.env,
            check=True,
        ).stdout
        by_port = {int(k): v for k, v in json.loads(out.splitlines()[-1]).items()}
        return [by_port[node.node_manager_port] for node in self.nodes]

    def kill(self, node: int) -> None:
        """Kill node ``node`` (1: the first worker) at once, with its raylet and workers."""
        self.nodes[node].kill()

    def stop(self) -> None:
        """Stop every node this object started (by process group), workers first."""
        for node in reversed(self.nodes):
            node.stop()

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        alive = sum(node.alive() for node in self.nodes)
        return f"LocalCluster({self.address}, {alive} of {len(self.nodes)} nodes up)"
