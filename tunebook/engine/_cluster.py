"""Where trials run: one Ray per process, started locally or connected to a cluster."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from tunebook.engine import _warm
from tunebook.engine._ray_internals import (
    PRELOAD,
    START_NOTICE_LOGGER,
    TOKEN_NOTICE_LOGGER,
    canonical_address,
    enable_token_auth,
    loopback_only,
    trial_actor_env,
)
from tunebook.errors import OptionError

#: Ray Tune settings tunebook needs, set unless the user set them: the event log replaces Ray's
#: per-trial CSV/JSON/TensorBoard files (about twice the result throughput without them) and
#: its printed trial tracebacks (they go to results.trials["error"], not across the notebook);
#: Ray's legacy output engine is the one that is silent at verbose=0 (the new one still prints
#: a configuration box in terminals).
FAST_ENV = {
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",
    "TUNE_PRINT_ALL_TRIAL_ERRORS": "0",
    # Ray fails the whole run on the first report without the metric; tunebook lets a trial
    # report it when it can (e.g. only at the end) and fails the run, with what the trial
    # reported, when a trial ends without it.
    "TUNE_DISABLE_STRICT_METRIC_CHECKING": "1",
    "RAY_AIR_NEW_OUTPUT": "0",
    # keep_checkpoints makes Ray snapshot its experiment state at each checkpoint, and warn
    # about it into the notebook every few seconds; the snapshot is small and local
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
    # Ray snapshots its state of a run (what Tuner.restore, so tb.resume, goes on from) at
    # most every 10 s by default: a run resumed after a crash would start again trials that
    # had checkpointed since. Every second instead (benchmarks/overhead.py measures the cost).
    "TUNE_GLOBAL_CHECKPOINT_S": "1",
}


class _DropRecordedNoise(logging.Filter):
    """Drops Ray Tune log lines that repeat what tunebook's record already holds."""

    NOISE = (
        "FileNotFoundError",  # no result files: the auto loggers are off on purpose
        "Could not fetch metrics",
        "Wrote the latest version of all result files",
        "Trials did not complete",  # the errors are in results.trials["error"]
        # Ray's own ResourceChangingScheduler (adaptive_resources) reads a restricted
        # attribute of Ray's controller, and Ray warns the user about Ray's code
        "interface of TrialRunner in TrialScheduler",
        # a resume says so itself (an experiment_resumed event, tb.resume's return)
        "Restoring the run from the latest experiment state file",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in self.NOISE)


def _quiet_ray_tune_noise() -> None:
    for name in (
        "ray.tune.analysis.experiment_analysis",
        "ray.tune.tune",
        "ray.tune.execution.tune_controller",
    ):
        target = logging.getLogger(name)
        if not any(isinstance(f, _DropRecordedNoise) for f in target.filters):
            target.addFilter(_DropRecordedNoise())


def ensure_ray(
    address: str | None = None, num_cpus: int | None = None, *, outlive: bool = False
) -> str:
    """Connect this process to Ray once, and return the cluster's address.

    - Ray already initialised in this process: reuse it (a kernel keeps one warm Ray), unless
      ``outlive`` asks for a Ray that outlives this process and this one is its own child.
    - ``address`` (or ``RAY_ADDRESS``): connect to that cluster.
    - ``outlive``: join (or start) the local Ray that outlives the kernel (``_local_ray``).
    - Otherwise: start a local Ray bound to 127.0.0.1, with Ray's dashboard off and the
      workers' output kept out of the notebook.

    ``ray://`` (Ray Client) addresses are refused: under Ray Client, Tune's driver and every
    callback run on the cluster, where tunebook cannot record events or take a Stop.
    """
    import ray

    for key, value in FAST_ENV.items():
        os.environ.setdefault(key, value)
    _quiet_ray_tune_noise()
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address and address.startswith("ray://"):
        raise OptionError(
            f"address {address!r} is a Ray Client address. Under Ray Client, Ray Tune runs its "
            "driver on the cluster, where tunebook cannot record events or stop trials. Run "
            "the notebook on a machine of the cluster and pass the cluster's address "
            "(host:6379, or 'auto'), or submit the notebook's code as a Ray Job."
        )
    if outlive and not address and ray.is_initialized() and _started_here():
        _leave_own_ray()
    if ray.is_initialized():
        current = ray.get_runtime_context().gcs_address
        if address and address not in ("auto", current) and not _same(address, current):
            raise OptionError(
                f"this process is already connected to Ray at {current}; it cannot also "
                f"connect to {address!r}. Restart the kernel (or call ray.shutdown()) first."
            )
        return str(current)
    # Ray's notices of the start or the connection tunebook makes stay out of the notebook
    # (Ray's logging level is the user's: left as it is)
    for name in (START_NOTICE_LOGGER, TOKEN_NOTICE_LOGGER):
        logging.getLogger(name).addFilter(_not_a_start_notice)
    # Ray Tune's env vars for its trial actors become the job's, so that trials can start on
    # the workers kept ready (_warm.py): a local Ray's workers inherit this process's env
    actor_env = trial_actor_env()
    if outlive and not address:
        address = _join_local_ray(num_cpus, actor_env)
    if address:
        job_env = {"env_vars": actor_env} if actor_env else None
        ray.init(address=address, log_to_driver=False, runtime_env=job_env)
    else:
        loopback_only()
        for key, value in actor_env.items():
            os.environ.setdefault(key, value)
        ray.init(
            address="local",
            num_cpus=num_cpus,
            include_dashboard=False,
            _node_ip_address="127.0.0.1",
            log_to_driver=False,
            _system_config=PRELOAD,
        )
    trial_actor_env(take=True)
    gcs_address = str(ray.get_runtime_context().gcs_address)
    _STARTED_HERE[:] = [] if address else [gcs_address]
    try:
        _warm.own(gcs_address, started=not address, drivers=int(outlive))  # one for a driver
    except Exception:  # noqa: BLE001 (workers kept ready are a head start, never a failure)
        logging.getLogger(__name__).debug("no workers kept ready", exc_info=True)
    return gcs_address


#: The Ray this process started as its own child (it ends with the process), if it did.
_STARTED_HERE: list[str] = []


def _started_here() -> bool:
    import ray

    return ray.get_runtime_context().gcs_address in _STARTED_HERE


def _leave_own_ray() -> None:
    """Shut down this process's own Ray (it would end with the kernel) for one that outlives
    it: only while no run of this process is on it."""
    import ray

    from tunebook.engine._launch import experiments

    running = [e.name for e in experiments() if not e.done and not e.detached]
    if running:
        raise OptionError(
            f"this kernel's own Ray ends with the kernel, and {', '.join(running)} runs on it: "
            "a detached run needs the local Ray that outlives the kernel. Wait for the run to "
            "end (or stop it), then run with detach=True again."
        )
    print("tunebook: leaving this kernel's own Ray for the local Ray that outlives it.")
    ray.shutdown()
    _STARTED_HERE.clear()


def _join_local_ray(num_cpus: int | None, actor_env: dict[str, str]) -> str:
    """The address of the local Ray that outlives this process (started if it is not up, and
    said so), with this process set to speak to it (token auth, loopback)."""
    from tunebook.engine import _local_ray

    info, started = _local_ray.start(num_cpus, {**FAST_ENV, **actor_env}, PRELOAD)
    if started:
        print(
            f"tunebook: started a local Ray at {info['address']} that outlives this kernel "
            f"({info['cpus']} CPUs, 127.0.0.1 only, token auth, no dashboard). "
            "`tunebook ray stop` ends it."
        )
    loopback_only()
    enable_token_auth()
    return str(info["address"])


def as_driver() -> None:
    """Make this Ray worker the driver of a detached run, as ``ensure_ray`` makes a kernel one:
    tunebook's Ray Tune settings, Ray Tune's noise quiet. Its trial actors keep Ray Tune's own
    env (they start on fresh workers, not on the ones kept ready): given the job's env instead,
    a second trial actor of the driver stayed pending for the whole run (measured with 8
    trials on 2 CPUs: one at a time, against two at a time with Tune's env)."""
    for key, value in FAST_ENV.items():
        os.environ.setdefault(key, value)
    _quiet_ray_tune_noise()


def _same(address: str, current: str) -> bool:
    """Whether ``address`` names the cluster at ``current`` (``127.0.0.1:6379`` and the
    node's own IP with the same port are the same cluster)."""
    try:
        return canonical_address(address) == current
    except Exception:  # not an address Ray can read: not the same
        return False


#: What Ray logs when tunebook starts or connects to it, kept out of the notebook (at Ray's own
#: INFO level, which stays the user's): the start, token auth, a token written on a new
#: machine, the connection to a cluster.
START_NOTICES = (
    "Token authentication is enabled",
    "Generated new authentication token",
    "Started a local Ray",
    "Connecting to existing Ray cluster",
    "Connected to Ray cluster",
)


def _not_a_start_notice(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return not message.startswith(START_NOTICES)


def alive_nodes() -> list[dict[str, float]]:
    """The resources of each live node of the cluster this process is connected to, by Ray's
    names (``CPU``, ``GPU``, ``memory``, custom ones)."""
    import ray

    return [node["Resources"] for node in ray.nodes() if node.get("Alive")]


def check_resources(resources: Mapping[str, float]) -> None:
    """Refuse, before the run, a per-trial request that no node of the cluster can satisfy
    (Ray Tune would otherwise wait for it forever)."""
    names = {"cpu": "CPU", "gpu": "GPU", "memory": "memory"}
    nodes = alive_nodes()
    for key, amount in resources.items():
        ray_name = names.get(key.lower(), key)
        largest = max((node.get(ray_name, 0.0) for node in nodes), default=0.0)
        if amount > largest:
            if largest:
                advice = f"Ask for at most {largest:g}, or connect to a cluster that has more."
                have = f"the largest node has {largest:g}"
            else:
                advice = f"Leave {key} out, or connect to a cluster whose nodes have it."
                have = "no node has any"
            raise OptionError(
                f"resources_per_trial asks for {key}={amount:g}, but {have}: no trial could "
                f"ever start. {advice}"
            )
