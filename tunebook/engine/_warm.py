"""Idle Ray workers kept ready, so that a run's first trials start at once.

A trial's actor starts on an idle worker of the job when one has the actor's runtime env, and
on a new worker process otherwise: about 3 s on 2 cores (Python, Ray's import and its
connection), and about 0.8 s more to import Ray Tune. So, on a Ray that tunebook connected
this process to (started or joined, ``ensure_ray``), Ray Tune's env vars for its actors are
the job's (no trial actor has an env of its own), and one idle worker per CPU of the node is
kept ready for the next run: the raylet starts them (its ``PrestartWorkers``; on a Ray that
tunebook started, they import Ray Tune and tunebook's engine first) and spares them from its
trimming of idle workers for ``KEEP_S``. A worker that ran an actor exits with it, so the end
of each run replaces the workers its trials took. Only on a Ray of one node: on a cluster,
trials take other nodes' workers, and tunebook leaves the cluster's workers to Ray.
"""

from __future__ import annotations

import threading
import time

from tunebook.engine._ray_internals import prestart_workers

#: How long a worker readied for the next run is spared from Ray's trimming of idle workers (a
#: person reading the last results); after that Ray keeps up to one idle worker per CPU.
KEEP_S = 600
#: At most this many workers kept ready: each holds a Python with Ray Tune imported.
MOST = 8

#: The Ray (GCS address) this process connected to itself: the only one kept ready.
_owned: list[str] = []
#: The idle workers this process counts on for its next run, each as the monotonic time after
#: which it is no longer counted (Ray's own first workers at a start, spared or not, count as
#: long as those readied later), oldest first: a run's trials take them from the front.
_ready: list[float] = []
_lock = threading.Lock()
#: Workers kept ready beyond one per CPU: one for a detached run's driver (an actor of no CPU)
#: on the local Ray that outlives the kernel.
_extra = [0]


def own(address: str, *, started: bool, drivers: int = 0) -> None:
    """This process connected to the Ray at ``address``: keep workers ready there. A Ray this
    process ``started`` has already started one idle worker per CPU; a joined one gets them
    now, and ``drivers`` more for the drivers of detached runs."""
    _owned[:] = [address]
    _extra[0] = drivers
    _ready.clear()
    if started:
        _ready.extend([time.monotonic() + KEEP_S] * wanted())
    else:
        ready()


def wanted() -> int:
    """How many idle workers to keep ready: one per CPU of a one-node Ray, at most MOST."""
    import ray

    nodes = [node for node in ray.nodes() if node.get("Alive")]
    if len(nodes) != 1:
        return 0
    return max(1, min(int(nodes[0].get("Resources", {}).get("CPU", 1)), MOST)) + _extra[0]


def ready(taken: int = 0) -> int:
    """After a run whose trials took ``taken`` workers: start as many as the next run needs.
    Returns how many were asked for."""
    import ray

    if not ray.is_initialized() or ray.get_runtime_context().gcs_address not in _owned:
        return 0
    with _lock:
        now = time.monotonic()
        del _ready[:taken]
        _ready[:] = [until for until in _ready if until > now]
        missing = wanted() - len(_ready)
        if missing <= 0:
            return 0
        prestart_workers(missing, KEEP_S)
        _ready.extend([now + KEEP_S] * missing)
        return missing
