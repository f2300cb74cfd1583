"""Search quality, measured: what early stopping saves, and what model-based search buys.

(a) Synthetic learning curves whose final value depends on the config: does ASHA reach the
    best final value that random search with the full budget reaches (same sampled configs,
    same seed), and with what share of random search's total iterations?
(b) Standard test functions (Branin, Hartmann-6; minimised) at an equal budget of trials:
    the median best value of each search algorithm against random search.

Seeded, several seeds, one local Ray. Usage:

    python benchmarks/search_quality.py [--seeds 5] [--trials 27] [--budget 50]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile

import numpy as np

import tunebook as tb

MAX_T = 27


def curve(config: dict) -> None:
    """A learning curve rising to a final value that depends on (x, y), with a little noise."""
    final = 1 - (config["x"] - 0.3) ** 2 - (config["y"] - 0.7) ** 2
    speed = 2 + 10 * config["x"]  # configs learn at different speeds: early ranks can mislead
    noise = np.random.default_rng(int(config["x"] * 1e6)).normal(0, 0.005, MAX_T)
    for step in range(1, MAX_T + 1):
        tb.report(acc=final * (1 - math.exp(-step / speed)) + noise[step - 1])


def branin(config: dict) -> dict:
    x1, x2 = 15 * config["x1"] - 5, 15 * config["x2"]
    value = (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2
    value += 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10
    return {"value": value}  # minimum 0.397887


HARTMANN_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
HARTMANN_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(config: dict) -> dict:
    x = np.array([config[f"x{i}"] for i in range(6)])
    inner = np.sum(HARTMANN_A * (x - HARTMANN_P) ** 2, axis=1)
    return {"value": float(-np.sum(HARTMANN_ALPHA * np.exp(-inner)))}  # minimum -3.32237


def checked(results: tb.Results, trials: int) -> tb.Results:
    """A run's results, or an error if it did not run every trial to its end: a figure from a
    broken run (another Ray on the machine, a crash) must not reach the table."""
    statuses = set(results.trials["status"])
    ended = statuses <= {"terminated", "pruned"}
    if results.status != "completed" or len(results.trials) != trials or not ended:
        raise SystemExit(
            f"run {results.name} did not complete ({results.status}, "
            f"{len(results.trials)}/{trials} trials, {sorted(statuses)}): no table."
        )
    return results


def early_stopping(seeds: int, trials: int) -> list[str]:
    rows = [
        "| seed | best final, random (full budget) | best final, ASHA | reached | "
        "ASHA's iterations / random's |",
        "|---|---|---|---|---|",
    ]
    space = {"x": tb.uniform(0, 1), "y": tb.uniform(0, 1)}
    shares, reached = [], 0
    for seed in range(seeds):
        with tempfile.TemporaryDirectory() as storage:
            full = tb.run(
                curve,
                space,
                metric="acc",
                mode="max",
                num_samples=trials,
                seed=seed,
                storage_path=storage,
                wait=True,
            ).results
            full = checked(full, trials)
            asha = tb.run(
                curve,
                space,
                metric="acc",
                mode="max",
                num_samples=trials,
                seed=seed,
                scheduler="asha",
                max_t=MAX_T,
                grace_period=1,
                reduction_factor=3,
                storage_path=storage,
                wait=True,
            ).results
            asha = checked(asha, trials)
        finals = full.history[full.history["iteration"] == MAX_T]["acc"]
        asha_finals = asha.history[asha.history["iteration"] == MAX_T]["acc"]
        best_full, best_asha = finals.max(), asha_finals.max()
        share = len(asha.history) / len(full.history)
        hit = bool(best_asha >= best_full - 1e-9)
        reached += hit
        shares.append(share)
        rows.append(
            f"| {seed} | {best_full:.4f} | {best_asha:.4f} | {'yes' if hit else 'no'} "
            f"| {share:.2f} |"
        )
    rows.append(f"| all | | | {reached}/{seeds} | median {statistics.median(shares):.2f} |")
    return rows


def model_based(seeds: int, budget: int, searches: list[str]) -> list[str]:
    problems = {
        "Branin (min 0.398)": (branin, {"x1": tb.uniform(0, 1), "x2": tb.uniform(0, 1)}),
        "Hartmann-6 (min -3.322)": (hartmann6, {f"x{i}": tb.uniform(0, 1) for i in range(6)}),
    }
    rows = ["| function | " + " | ".join(searches) + " |", "|---|" + "---|" * len(searches)]
    for label, (objective, space) in problems.items():
        medians = []
        for search in searches:
            bests = []
            for seed in range(seeds):
                with tempfile.TemporaryDirectory() as storage:
                    results = tb.run(
                        objective,
                        space,
                        metric="value",
                        mode="min",
                        num_samples=budget,
                        search=search,
                        seed=seed,
                        max_concurrent_trials=2,
                        storage_path=storage,
                        wait=True,
                    ).results
                    results = checked(results, budget)
                bests.append(results.best().metrics["value"])
                print(f"  {label}, {search}, seed {seed}: {bests[-1]:.3f}", file=sys.stderr)
            medians.append(statistics.median(bests))
        rows.append(f"| {label} | " + " | ".join(f"{m:.3f}" for m in medians) + " |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=27, help="configs in (a)")
    parser.add_argument("--budget", type=int, default=50, help="trials per search in (b)")
    parser.add_argument(
        "--searches", default="random,tpe,gp,bayesopt,hyperopt,bohb,cmaes,qmc", help="by name"
    )
    args = parser.parse_args()
    tb.engine.ensure_ray()
    print(
        f"(a) early stopping: {args.trials} configs, curves of {MAX_T} iterations, "
        "ASHA grace 1, reduction factor 3"
    )
    print("\n".join(early_stopping(args.seeds, args.trials)), flush=True)
    print(
        f"\n(b) median best value over {args.seeds} seeds, {args.budget} trials each "
        "(lower is better)"
    )
    print("\n".join(model_based(args.seeds, args.budget, args.searches.split(","))))


if __name__ == "__main__":
    main()
