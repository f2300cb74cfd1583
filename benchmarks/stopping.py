"""How long a run takes to end once it is asked to, with trials that block in a long step.

Two trials report once, then sleep for a minute (a long epoch). Each case is timed from the
request to the end of the run:

- stop: ``exp.stop()`` (tunebook) or a Stopper whose ``stop_all`` turns true (Ray Tune by
  hand: ``reuse_actors=True``, no auto loggers), one second after both trials reported;
- time budget: ``time_budget_s`` of 8 s, timed from the moment the budget runs out.

Ray Tune sends each trial's actor its stop, which the actor takes only after the call it is
in (the blocked step) returns, and waits up to 5 s and then 10 s more before killing it
(``TuneController._cleanup_trials``, hard-coded); tunebook kills the actors of a run being
stopped a second after every trial was stopped. One warm local Ray, the cases alternated
``--repeat`` times; medians and ranges, and the ratio between the two in the same run.

    python benchmarks/stopping.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time

from ray import tune

import tunebook as tb

BUDGET_S = 8.0


def long_step(config: dict) -> None:
    tune.report({"v": 0})
    time.sleep(60)
    tune.report({"v": 1})


SPACE = {"x": tune.grid_search([1, 2])}


class Flag(tune.Stopper):
    def __init__(self) -> None:
        self.set = threading.Event()

    def __call__(self, trial_id: str, result: dict) -> bool:
        return False

    def stop_all(self) -> bool:
        return self.set.is_set()

    def __getstate__(self) -> dict:  # Tuner() pickles it (the driver keeps this very object)
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()  # type: ignore[misc]


class Reported(tune.Callback):
    def __init__(self) -> None:
        self.count = 0

    def on_trial_result(self, iteration, trials, trial, result, **info):  # noqa: ANN001
        self.count += 1


def tunebook_case(storage: str, how: str) -> float:
    options = {"time_budget_s": BUDGET_S} if how == "budget" else {}
    began = time.monotonic()
    exp = tb.run(long_step, SPACE, metric="v", mode="max", storage_path=storage, **options)
    while len(exp.snapshot().history) < 2:
        time.sleep(0.02)
    if how == "stop":
        time.sleep(1)
        asked = time.monotonic()
        exp.stop()
    else:
        asked = began + BUDGET_S
    exp.wait()
    return time.monotonic() - asked


def ray_case(storage: str, how: str) -> float:
    flag, seen = Flag(), Reported()
    options = {"time_budget_s": BUDGET_S} if how == "budget" else {}
    tuner = tune.Tuner(
        long_step,
        param_space=SPACE,
        tune_config=tune.TuneConfig(metric="v", mode="max", reuse_actors=True, **options),
        run_config=tune.RunConfig(storage_path=storage, verbose=0, stop=flag, callbacks=[seen]),
    )
    began = time.monotonic()
    ended: list[float] = []
    fit = threading.Thread(target=lambda: (tuner.fit(), ended.append(time.monotonic())))
    fit.start()
    while seen.count < 2:
        time.sleep(0.02)
    if how == "stop":
        time.sleep(1)
        asked = time.monotonic()
        flag.set.set()
    else:
        asked = began + BUDGET_S
    fit.join()
    return ended[0] - asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"
    from tunebook.engine import ensure_ray

    ensure_ray()
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as storage:
        tb.run(
            lambda config: tb.report(v=1), {}, metric="v", mode="max", storage_path=storage
        ).wait()
        for _ in range(args.repeat):
            for how in ("stop", "budget"):
                for who, case in (("tunebook", tunebook_case), ("Ray Tune", ray_case)):
                    time.sleep(4)  # the workers of the last run replaced
                    seconds = case(storage, how)
                    times.setdefault((who, how), []).append(seconds)
                    print(f"  {who}, {how}: the run ended {seconds:.2f} s after", flush=True)
    print("\n| asked to end by | tunebook: median (range) | Ray Tune by hand | ratio |")
    print("|---|---|---|---|")
    for how, words in (("stop", "stop()"), ("budget", f"a time budget of {BUDGET_S:g} s")):
        ours, theirs = times[("tunebook", how)], times[("Ray Tune", how)]
        ratio = statistics.median(ours) / statistics.median(theirs)
        print(
            f"| {words} | {statistics.median(ours):.2f} s ({min(ours):.2f}-{max(ours):.2f}) "
            f"| {statistics.median(theirs):.2f} s ({min(theirs):.2f}-{max(theirs):.2f}) "
            f"| {ratio:.2f}x |"
        )


if __name__ == "__main__":
    main()
