"""How long the first result takes: tunebook against Ray Tune tuned by hand, warm and cold.

The time is from the call to the first result the driver receives:

- tunebook: from ``tb.run(...)`` (not waiting) to the ``result`` event its recorder writes
  (stamped with the driver's clock when Ray Tune hands the result over);
- Ray Tune by hand: from ``Tuner(...)`` (``reuse_actors=True``, ``verbose=0``, auto loggers
  off) to its callback's ``on_trial_result``, with Ray Tune as shipped (its trial actors get
  their own runtime env, as in any process where tunebook did not start Ray).

Warm: one local Ray, started once in this process (not timed), each run after the previous
one ended and ``--gap`` seconds of pause (a person reading the last result); the two are
alternated ``--repeat`` times, then tunebook runs ``--repeat`` times in a row, then a second
process joins that Ray (``RAY_ADDRESS``, as a notebook kernel on a Ray another process started)
and runs tunebook once and ``--repeat`` times more. Cold: a
fresh process per run that starts Ray itself (the time then includes the start of Ray, not
Python's import of Ray and tunebook, printed apart).
The machine is shared and noisy, so the figures are medians and ranges, and the ratio is
between the two in the same run. Usage:

    python benchmarks/latency.py [--repeat 5] [--cold 3] [--gap 3] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

from ray import tune

import tunebook as tb

SPACE = {"x": tune.uniform(0, 1)}


def trivial(config: dict) -> None:
    for step in range(3):
        tune.report({"loss": config["x"] / (step + 1)})


class FirstResult(tune.Callback):
    """Stamps the driver's clock at the first result."""

    def __init__(self) -> None:
        self.at: float | None = None

    def on_trial_result(self, iteration, trials, trial, result, **info):  # noqa: ANN001
        if self.at is None:
            self.at = time.time()


@contextlib.contextmanager
def ray_tune_as_shipped() -> Iterator[None]:
    """Ray Tune's own env vars for its trial actors (``tune/execution/class_cache.py``), as
    they are in a process where tunebook did not start Ray."""
    from ray.tune.execution import class_cache

    saved = dict(class_cache.DEFAULT_ENV_VARS)
    class_cache.DEFAULT_ENV_VARS.update({"PL_DISABLE_FORK": "1"})
    try:
        yield
    finally:
        class_cache.DEFAULT_ENV_VARS.clear()
        class_cache.DEFAULT_ENV_VARS.update(saved)


def with_tunebook(storage: str) -> float:
    started = time.time()
    exp = tb.run(trivial, SPACE, metric="loss", mode="min", num_samples=1, storage_path=storage)
    exp.wait()
    first = next(e["time"] for e in exp.results.events if e["event"] == "result")
    return first - started


def with_ray(storage: str, started: float | None = None) -> float:
    """Seconds from ``started`` (default: now, before the Tuner) to the first result."""
    callback = FirstResult()
    os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"
    started = time.time() if started is None else started
    with ray_tune_as_shipped():
        tune.Tuner(
            trivial,
            param_space=SPACE,
            tune_config=tune.TuneConfig(
                metric="loss", mode="min", num_samples=1, reuse_actors=True
            ),
            run_config=tune.RunConfig(storage_path=storage, verbose=0, callbacks=[callback]),
        ).fit()
    assert callback.at is not None, "no result"
    return callback.at - started


def cold_child(case: str) -> None:
    """One cold run in this fresh process: start Ray and take the first result."""
    imported = time.time() - float(os.environ["LATENCY_T0"])
    with tempfile.TemporaryDirectory() as storage:
        if case == "tunebook":
            seconds = with_tunebook(storage)  # tb.run starts Ray itself
        else:
            import ray

            from tunebook.engine._ray_internals import loopback_only

            started = time.time()
            loopback_only()  # the same local Ray as tunebook's, without tunebook's changes
            ray.init(
                address="local",
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                log_to_driver=False,
            )
            seconds = with_ray(storage, started)
    print(json.dumps({"case": case, "seconds": seconds, "imports": imported}))


def joined_child(repeat: int, gap: float) -> None:
    """A second process on the same machine joins the Ray at ``RAY_ADDRESS`` (a notebook's
    kernel on a Ray that another process started, as in the browser test) and runs tunebook:
    its first run, then ``repeat`` more after ``gap`` s each."""
    with tempfile.TemporaryDirectory() as storage:
        first = with_tunebook(storage)
        runs = []
        for _ in range(repeat):
            time.sleep(gap)
            runs.append(with_tunebook(storage))
    print(json.dumps({"first": first, "runs": runs}))


def cold(case: str, *options: str) -> dict:
    env = dict(os.environ, LATENCY_T0=str(time.time()))
    ran = subprocess.run(
        [sys.executable, __file__, "--cold-child", case, *options],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if ran.returncode != 0:
        raise RuntimeError(ran.stderr[-2000:])
    return dict(json.loads(ran.stdout.strip().splitlines()[-1]))


def summary(times: list[float]) -> str:
    return f"{statistics.median(times):.2f} s ({min(times):.2f}-{max(times):.2f})"


CASES = {"tunebook tb.run": with_tunebook, "Ray Tune, tuned by hand": with_ray}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="warm runs of each")
    parser.add_argument("--cold", type=int, default=3, help="cold runs of each")
    parser.add_argument("--gap", type=float, default=3.0, help="pause between warm runs (s)")
    parser.add_argument("--quick", action="store_true", help="2 warm runs of each, 1 cold")
    parser.add_argument(
        "--cold-child", choices=["tunebook", "ray", "joined"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.cold_child == "joined":
        joined_child(args.repeat, args.gap)
        return
    if args.cold_child:
        cold_child(args.cold_child)
        return
    if args.quick:
        args.repeat, args.cold, args.gap = 2, 1, 1.0

    import ray

    print(f"ray {ray.__version__}, {os.cpu_count()} CPUs, 1 trial x 3 reports, gap {args.gap} s")
    warm: dict[str, list[float]] = {label: [] for label in CASES}
    tb.engine.ensure_ray()  # one local Ray for the warm runs, not timed
    with tempfile.TemporaryDirectory() as storage:
        with_tunebook(storage)  # warm-up, not counted: the first actor of a Ray
        for _ in range(args.repeat):
            for label, work in CASES.items():
                time.sleep(args.gap)
                warm[label].append(work(storage))
                print(f"  warm {label}: {warm[label][-1]:.2f} s", flush=True)
        # tunebook's runs one after another, as in a notebook of tunebook alone: a Ray Tune
        # run in between starts a worker of its own and Ray drops idle ones to make room
        in_a_row = []
        for _ in range(args.repeat):
            time.sleep(args.gap)
            in_a_row.append(with_tunebook(storage))
            print(f"  warm tunebook, runs in a row: {in_a_row[-1]:.2f} s", flush=True)
    os.environ["RAY_ADDRESS"] = ray.get_runtime_context().gcs_address
    joined = cold("joined", "--repeat", str(args.repeat), "--gap", str(args.gap))
    del os.environ["RAY_ADDRESS"]
    then = ", ".join(f"{seconds:.2f} s" for seconds in joined["runs"])
    print(f"  a process that joined: first run {joined['first']:.2f} s, then {then}", flush=True)
    ray.shutdown()
    colds: dict[str, list[float]] = {label: [] for label in CASES}
    for _ in range(args.cold):
        for label, case in zip(CASES, ("tunebook", "ray"), strict=True):
            ran = cold(case)
            colds[label].append(ran["seconds"])
            print(
                f"  cold {label}: {ran['seconds']:.2f} s (imports before: {ran['imports']:.2f} s)",
                flush=True,
            )

    ours, theirs = (statistics.median(warm[label]) for label in CASES)
    ours_cold, theirs_cold = (statistics.median(colds[label]) for label in CASES)
    print()
    print("| first result | warm: median (range) | cold: median (range) |")
    print("|---|---|---|")
    for label in CASES:
        print(f"| {label} | {summary(warm[label])} | {summary(colds[label])} |")
    print(f"| tunebook tb.run, runs in a row | {summary(in_a_row)} | - |")
    print(
        f"| tunebook tb.run, a process that joined that Ray | {summary(joined['runs'])} | "
        f"first run: {joined['first']:.2f} s |"
    )
    print(
        f"| tunebook / Ray Tune by hand (alternated) | {ours / theirs:.2f}x | "
        f"{ours_cold / theirs_cold:.2f}x |"
    )


if __name__ == "__main__":
    main()
