"""What tunebook costs against Ray Tune, on the same workload in the same process.

N trivial trials, 10 reports each, on one local Ray (started once, not timed), through:

1. ``tb.run(...)`` (recording every event to its JSON Lines file),
2. Ray Tune with its defaults (no actor reuse, CSV/JSON/TensorBoard loggers, default output),
3. Ray Tune tuned by hand (``reuse_actors=True``, loggers off, ``verbose=0``).

The machine is shared and noisy, so the figures are ratios within one run, each the median of
``--repeat`` runs (Ray's defaults run once: they are slow). Usage:

    python benchmarks/overhead.py [--trials 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import ray
from ray import tune

import tunebook as tb

#: The env vars tunebook sets for speed; the Ray-defaults case runs without them.
TUNEBOOK_ENV = (
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS",
    "TUNE_PRINT_ALL_TRIAL_ERRORS",
    "RAY_AIR_NEW_OUTPUT",
)


def trivial(config: dict) -> None:
    for step in range(10):
        tune.report({"loss": config["x"] / (step + 1)})


SPACE = {"x": tune.uniform(0, 1)}


@contextlib.contextmanager
def environment(values: dict[str, str | None]):
    saved = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def with_tunebook(trials: int, storage: str) -> None:
    exp = tb.run(
        trivial,
        SPACE,
        metric="loss",
        mode="min",
        num_samples=trials,
        storage_path=storage,
        wait=True,
    )
    assert len(exp.results.history) == trials * 10, "tunebook lost reports"


def with_ray_defaults(trials: int, storage: str) -> None:
    with (
        environment({key: None for key in TUNEBOOK_ENV}),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        grid = tune.Tuner(
            trivial,
            param_space=SPACE,
            tune_config=tune.TuneConfig(metric="loss", mode="min", num_samples=trials),
            run_config=tune.RunConfig(storage_path=storage),
        ).fit()
    assert len(grid) == trials


def with_ray_tuned(trials: int, storage: str) -> None:
    with environment({"TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1"}):
        grid = tune.Tuner(
            trivial,
            param_space=SPACE,
            tune_config=tune.TuneConfig(
                metric="loss", mode="min", num_samples=trials, reuse_actors=True
            ),
            run_config=tune.RunConfig(storage_path=storage, verbose=0),
        ).fit()
    assert len(grid) == trials


def timed(work: Callable[[int, str], None], trials: int, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as storage:
            started = time.perf_counter()
            work(trials, storage)
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    tb.engine.ensure_ray()  # one local Ray for every case, not timed
    timed(with_ray_tuned, 2, 1)  # warm-up, not counted: the first actors of a Ray start slower
    print(f"ray {ray.__version__}, {os.cpu_count()} CPUs, {args.trials} trials x 10 reports")
    cases = [
        ("tunebook tb.run", with_tunebook, args.repeat),
        ("Ray Tune, tuned (reuse_actors, loggers off, verbose=0)", with_ray_tuned, args.repeat),
        ("Ray Tune, defaults", with_ray_defaults, 1),
    ]
    medians = {}
    for label, work, repeat in cases:
        times = timed(work, args.trials, repeat)
        medians[label] = statistics.median(times)
        print(f"  {label}: " + ", ".join(f"{t:.1f}" for t in times) + " s", flush=True)

    ours = medians["tunebook tb.run"]
    print()
    print("| run | wall time (median) | tunebook is ... |")
    print("|---|---|---|")
    for label, seconds in medians.items():
        ratio = "-" if label.startswith("tunebook") else f"{seconds / ours:.1f}x faster"
        if label.startswith("Ray Tune, tuned"):
            ratio = f"{ours / seconds:.2f}x its time"
        print(f"| {label} | {seconds:.1f} s | {ratio} |")


if __name__ == "__main__":
    main()
