"""What detaching costs: a detached run (its driver a detached Ray actor) against an in-kernel run,
on the same local Ray (the one that outlives the kernel), in the same process, alternated.

- first result: from ``tb.run(...)`` to the first ``result`` event of the record (stamped by
  the driver when Ray Tune hands the result over), each run after the previous one ended and
  ``--gap`` seconds of pause (a person reading the last result);
- a run of ``--trials`` trials x 5 reports x 0.1 s: its wall time, and the time from its
  first trial's start to its end (what the trials cost once they run), detached against
  in-kernel.

The machine is shared and noisy: medians and ranges, and the two alternated. The local Ray is
the user's (``tunebook ray status``): started if it is not up, left up. Usage:

    python benchmarks/detach.py [--repeat 5] [--gap 2] [--trials 16]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import tunebook as tb

SPACE = {"x": tb.uniform(0, 1)}


def trivial(config: dict) -> None:
    for step in range(3):
        tb.report(loss=config["x"] / (step + 1))


def steps(config: dict) -> None:
    for step in range(5):
        time.sleep(0.1)
        tb.report(loss=config["x"] / (step + 1))


def _events(objective, trials: int, storage: str, detach: bool) -> tuple[float, list[dict]]:
    """When ``tb.run`` was called, and the record of the run once it ended."""
    start = time.time()
    options = {"metric": "loss", "mode": "min", "storage_path": storage, "detach": detach}
    exp = tb.run(objective, SPACE, num_samples=trials, **options)
    exp.wait(quiet=True)
    return start, exp.results.events


def _first_result(storage: str, detach: bool) -> float:
    start, events = _events(trivial, 1, storage, detach)
    return min(e["time"] for e in events if e["event"] == "result") - start


def _wall(storage: str, detach: bool, trials: int) -> tuple[float, float]:
    start, events = _events(steps, trials, storage, detach)
    first = min(e["time"] for e in events if e["event"] == "trial_started")
    return events[-1]["time"] - start, events[-1]["time"] - first


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:<28} median {statistics.median(values):6.2f} s  "
        f"(range {min(values):.2f}-{max(values):.2f}, n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gap", type=float, default=2.0)
    parser.add_argument("--trials", type=int, default=16)
    args = parser.parse_args()
    storage = tempfile.mkdtemp(prefix="tunebook-detach-bench-")
    _first_result(storage, detach=True)  # joins (or starts) the local Ray; not timed
    _first_result(storage, detach=False)
    first: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.repeat):
        for detach in (False, True):
            time.sleep(args.gap)
            first[detach].append(_first_result(storage, detach))
    wall: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(max(1, args.repeat // 2)):
        for detach in (False, True):
            time.sleep(args.gap)
            wall[detach].append(_wall(storage, detach, args.trials))
    print(_line("first result, in-kernel", first[False]))
    print(_line("first result, detached", first[True]))
    extra = statistics.median(first[True]) - statistics.median(first[False])
    print(f"detaching adds {extra:+.2f} s to the first result (medians)")
    for where, detach in (("in-kernel", False), ("detached", True)):
        print(_line(f"{args.trials} trials, {where}", [w for w, _ in wall[detach]]))
        print(_line("  from the first trial on", [r for _, r in wall[detach]]))
    ran = [statistics.median([r for _, r in wall[d]]) for d in (False, True)]
    print(f"once the trials run, detached / in-kernel = {ran[1] / ran[0]:.2f}x (medians)")


if __name__ == "__main__":
    main()
