"""The local Ray that outlives the kernel: one ``ray start --head --block`` in a session of its
own (a kernel's restart, which kills the kernel's process group, does not reach it), listening
on 127.0.0.1 only, with Ray's token auth and its dashboard off. Its address is kept in
``~/.tunebook/local-ray.json``, so that every kernel and terminal of this user finds it;
``tunebook ray status`` and ``tunebook ray stop`` show and end it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tunebook.errors import TunebookError

#: Seconds the local Ray has to start (its first start imports Ray in a fresh Python).
START_TIMEOUT = 90.0
#: Seconds it has to stop on SIGTERM before it is killed.
STOP_TIMEOUT = 10.0
#: What ``ray start`` prints once the node is up.
STARTED = "Ray runtime started"


def home() -> Path:
    """tunebook's own folder of this user: ``$TUNEBOOK_HOME``, else ``~/.tunebook``."""
    return Path(os.environ.get("TUNEBOOK_HOME") or Path.home() / ".tunebook")


def _state_file() -> Path:
    return home() / "local-ray.json"


def status() -> dict[str, Any] | None:
    """The local Ray tunebook started, if it is up: its ``address``, ``pid`` (of its ``ray
    start``, the leader of its process group), ``cpus``, ``started`` (a time) and ``log``."""
    try:
        info = json.loads(_state_file().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not alive(info.get("pid")) or not _listens(info):
        return None
    return info


def alive(pid: Any) -> bool:
    """Whether ``pid`` is a live process of this host (another user's counts)."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _listens(info: dict[str, Any]) -> bool:
    host, _, port = str(info.get("address", "")).rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1.0):
            return True
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One start at a time, across processes (two kernels starting at once share one Ray)."""
    home().mkdir(parents=True, exist_ok=True)
    with open(home() / "local-ray.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def start(
    num_cpus: int | None, env: dict[str, str], system_config: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """The local Ray that outlives this process, started unless it is up; and whether this call
    started it. ``env``: what its workers inherit (tunebook's Ray Tune settings)."""
    with _locked():
        info = status()
        if info is not None:
            return info, False
        ensure_token()
        port, *ports = free_ports(8)
        log = home() / "local-ray.log"
        args = [
            *RAY,
            "start",
            "--head",
            "--block",
            f"--port={port}",
            "--node-ip-address=127.0.0.1",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--node-manager-port={ports[0]}",
            f"--object-manager-port={ports[1]}",
            f"--dashboard-agent-listen-port={ports[2]}",
            f"--dashboard-agent-grpc-port={ports[3]}",
            f"--metrics-export-port={ports[4]}",
            f"--runtime-env-agent-port={ports[5]}",
            f"--ray-client-server-port={ports[6]}",
        ]
        cpus = num_cpus or os.cpu_count() or 1
        args += [f"--num-cpus={cpus}", f"--system-config={json.dumps(system_config)}"]
        with open(log, "w") as out:
            process = subprocess.Popen(
                args,
                env={**os.environ, **env, **AUTH_ENV},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # not in the kernel's process group: it outlives it
            )
        info = {
            "address": f"127.0.0.1:{port}",
            "pid": process.pid,
            "cpus": cpus,
            "started": time.time(),
            "log": str(log),
        }
        try:
            _wait_up(process, info, log)
        except BaseException:  # an interrupt too: no Ray left up that nothing knows of
            _kill_group(process.pid)
            raise
        _state_file().write_text(json.dumps(info))
        return info, True


#: Ray's command line, run by this Python (a venv's, a user install's: wherever Ray is).
RAY = [sys.executable, "-m", "ray.scripts.scripts"]

#: What every process of the local Ray and its drivers share: Ray's token auth (the token is
#: Ray's own, ``~/.ray/auth_token``) and addresses on 127.0.0.1 only.
AUTH_ENV = {"RAY_AUTH_MODE": "token", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def ensure_token() -> None:
    """Make Ray's token of this user (``ray get-auth-token --generate``) unless there is one."""
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return
    if (Path.home() / ".ray" / "auth_token").is_file():
        return
    made = subprocess.run(
        [*RAY, "get-auth-token", "--generate"],
        env={**os.environ, **AUTH_ENV},
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        raise TunebookError(
            f"could not make Ray's auth token for the local Ray (ray get-auth-token "
            f"--generate exited {made.returncode}): {made.stderr.strip()[-500:]}"
        )


def free_ports(n: int) -> list[int]:
    """``n`` different free ports of 127.0.0.1 (all held until all are chosen)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for held in sockets:
            held.bind(("127.0.0.1", 0))
        return [int(held.getsockname()[1]) for held in sockets]
    finally:
        for held in sockets:
            held.close()


def _wait_up(process: subprocess.Popen[bytes], info: dict[str, Any], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TunebookError(
                f"the local Ray did not start (ray start exited {process.returncode}):\n"
                f"{_tail(log)}"
            )
        if STARTED in log.read_text(errors="replace") and _listens(info):
            return
        time.sleep(0.2)
    _kill_group(process.pid)
    raise TunebookError(f"the local Ray did not start in {START_TIMEOUT:g} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop() -> dict[str, Any] | None:
    """Stop the local Ray tunebook started (every run on it ends); returns what it was, or
    None when none is up."""
    with _locked():
        info = status()
        if info is not None:
            _kill_group(int(info["pid"]))
        with contextlib.suppress(FileNotFoundError):
            _state_file().unlink()
        return info


def _kill_group(pid: int) -> None:
    """SIGTERM to the process group of ``ray start --block`` (it stops its node), SIGKILL when
    it has not ended within ``STOP_TIMEOUT``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and _group_alive(pid):
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _group_alive(pid)  # reaps it when this process started it


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group is alive: a leader that ended, another process's child
    not yet reaped (a zombie), is not."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pgid, os.WNOHANG)  # started by this process and ended: reaped
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) == pgid:  # its process group
                members.append(fields[0])  # its state
    return not members or any(state != "Z" for state in members)
