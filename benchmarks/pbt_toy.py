"""The toy of Population Based Training (Jaderberg et al. 2017, Fig. 2), through tunebook.

theta in R^2 starts at (0.9, 0.9); the objective is Q(theta) = 1.2 - |theta|^2, but each member
climbs a surrogate, 1.2 - h0*theta0^2 - h1*theta1^2, by gradient steps, with its
hyperparameters h. The two members start at h = (1, 0) and h = (0, 1): neither can reach the
optimum alone. Every 4 steps:

- pbt: the worse member clones the better one's theta and h (exploit) and perturbs h
  (explore: x1.2 or x0.8, or resampled with probability 0.25) - tunebook's scheduler="pbt";
- exploit only: the same, without perturbing h;
- explore only: no cloning; each member perturbs its own h by the same rule;
- grid: neither (both keep their h).

Over several seeds, the best member's final Q of each arm. Usage:

    python benchmarks/pbt_toy.py [--seeds 5] [--steps 40]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile

import tunebook as tb

STEPS = 40
INTERVAL = 4
RATE = 0.02  # gradient step
STARTS = [{"h0": 1.0, "h1": 0.0}, {"h0": 0.0, "h1": 1.0}]


def explore(h: dict[str, float], rng: random.Random) -> dict[str, float]:
    """Ray's PBT explore rule for a number: resample (p 0.25) or multiply by 1.2 or 0.8."""
    return {
        k: rng.uniform(0, 1) if rng.random() < 0.25 else v * rng.choice([1.2, 0.8])
        for k, v in h.items()
    }


def member(config: dict) -> None:
    """One member: gradient ascent on the surrogate; theta (and, for explore-only, its own
    h) is the state that exploit hands on."""
    state = tb.restore() or {"theta": [0.9, 0.9], "step": 0, "h": dict(config["h"])}
    h = dict(config["h"]) if config["arm"] != "explore" else state["h"]
    rng = random.Random(config["seed"] * 100 + int(10 * config["h"]["h0"]))
    theta = list(state["theta"])
    while state["step"] < config["steps"]:
        theta = [theta[0] * (1 - 2 * RATE * h["h0"]), theta[1] * (1 - 2 * RATE * h["h1"])]
        state["step"] += 1
        if config["arm"] == "explore" and state["step"] % INTERVAL == 0:
            h = explore(h, rng)
        state.update(theta=theta, h=h)
        tb.report(q=1.2 - theta[0] ** 2 - theta[1] ** 2, state=state)


def run_arm(arm: str, seed: int, steps: int) -> float:
    """The best member's final Q of one arm and seed."""
    from ray.tune.schedulers import PopulationBasedTraining

    random.seed(seed)  # Ray's PBT draws its choices from Python's random, in this process
    space = {"h": tb.grid(STARTS), "arm": arm, "seed": seed, "steps": steps}
    options: dict = {}
    if arm == "pbt":
        options = {
            "scheduler": "pbt",
            "perturbation_interval": INTERVAL,
            "quantile_fraction": 0.5,
            "hyperparam_mutations": {"h": {"h0": tb.uniform(0, 1), "h1": tb.uniform(0, 1)}},
        }
    elif arm == "exploit only":
        options = {
            "scheduler": PopulationBasedTraining(
                time_attr="training_iteration",
                perturbation_interval=INTERVAL,
                quantile_fraction=0.5,
                hyperparam_mutations={"h": {"h0": tb.uniform(0, 1), "h1": tb.uniform(0, 1)}},
                resample_probability=0.0,
                perturbation_factors=(1.0, 1.0),
            )
        }
    with tempfile.TemporaryDirectory() as storage:
        results = tb.run(
            member,
            space,
            metric="q",
            mode="max",
            search="grid",
            storage_path=storage,
            wait=True,
            **options,
        ).results
    if results.status != "completed" or set(results.trials["status"]) != {"terminated"}:
        raise SystemExit(f"{arm}, seed {seed}: the run did not complete ({results.status}).")
    history = results.history
    finals = history.groupby("trial_id").tail(1)  # each member's last report
    return float(finals["q"].max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    tb.engine.ensure_ray()
    arms = ["pbt", "exploit only", "explore only", "grid"]
    table = {arm: [run_arm(arm, seed, args.steps) for seed in range(args.seeds)] for arm in arms}
    print(
        f"population 2, h = (1, 0) and (0, 1), {args.steps} steps, exploit/explore every "
        f"{INTERVAL}; the best member's final Q (the optimum is 1.2)"
    )
    print("| arm | " + " | ".join(f"seed {s}" for s in range(args.seeds)) + " | median |")
    print("|---|" + "---|" * (args.seeds + 1))
    for arm, values in table.items():
        cells = " | ".join(f"{v:.3f}" for v in values)
        print(f"| {arm} | {cells} | {statistics.median(values):.3f} |")


if __name__ == "__main__":
    main()
