"""The toy of Population Based Training (Jaderberg et al. 2017, Fig. 2), through tunebook.

theta in R^2 starts at (0.9, 0.9); the objective is Q(theta) = 1.2 - |theta|^2, but each member
climbs a surrogate, 1.2 - h0*theta0^2 - h1*theta1^2, by gradient steps, with its
hyperparameters h. The two members start at h = (1, 0) and h = (0, 1): neither can reach the
optimum alone. Every 4 steps:

- pbt: the worse member clones the better one's theta and h (exploit) and perturbs h
  (explore: as in the paper, h + N(0, 0.1) per coordinate, kept in [0, 1]); synchronous (the
  whole population compared at each interval, as in the paper), and asynchronous (Ray's
  default: each member against the others' latest scores, which may be older);
- exploit only: synchronous PBT without perturbing h;
- explore only: no cloning; each member perturbs its own h by the same rule;
- grid: neither (both keep their h).

The first two run Ray's PopulationBasedTraining through ``tb.run`` (recorded by tunebook as
for ``scheduler="pbt"``); its multiplicative explore (x1.2, x0.8) cannot move an h of 0, so
the paper's additive rule is given as ``custom_explore_fn``. As in Ray, only the member that
exploits explores. Over several seeds, the best member's final Q of each arm. Usage:

    python benchmarks/pbt_toy.py [--seeds 5] [--steps 40]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile

import tunebook as tb

STEPS = 40
INTERVAL = 4
RATE = 0.02  # gradient step
STARTS = [{"h0": 1.0, "h1": 0.0}, {"h0": 0.0, "h1": 1.0}]


def explore(h: dict[str, float], rng: random.Random) -> dict[str, float]:
    """The paper's explore: each hyperparameter plus Gaussian noise, kept in [0, 1]."""
    return {k: min(1.0, max(0.0, v + rng.gauss(0, 0.1))) for k, v in h.items()}


def explore_config(config: dict) -> dict:
    """``explore`` as PBT's ``custom_explore_fn`` (Ray's own factors are set to 1)."""
    config["h"] = explore(config["h"], random)  # type: ignore[arg-type]
    return config


def member(config: dict) -> None:
    """One member: gradient ascent on the surrogate; theta (and, for explore-only, its own
    h) is the state that exploit hands on."""
    state = tb.restore() or {"theta": [0.9, 0.9], "step": 0, "h": dict(config["h"])}
    own = config["arm"] == "explore only"
    h = state["h"] if own else dict(config["h"])
    rng = random.Random(config["seed"] * 100 + int(10 * config["h"]["h0"]))
    theta = list(state["theta"])
    while state["step"] < config["steps"]:
        theta = [theta[0] * (1 - 2 * RATE * h["h0"]), theta[1] * (1 - 2 * RATE * h["h1"])]
        state["step"] += 1
        if own and state["step"] % INTERVAL == 0:
            h = explore(h, rng)
        state.update(theta=theta, h=h)
        # the state is saved where PBT looks (every INTERVAL steps): what it clones
        saved = state if state["step"] % INTERVAL == 0 else None
        tb.report(q=1.2 - theta[0] ** 2 - theta[1] ** 2, state=saved)


def run_arm(arm: str, seed: int, steps: int) -> float:
    """The best member's final Q of one arm and seed."""
    from ray.tune.schedulers import PopulationBasedTraining

    random.seed(seed)  # Ray's PBT draws its choices from Python's random, in this process
    space = {"h": tb.grid(STARTS), "arm": arm, "seed": seed, "steps": steps}
    scheduler: object = "fifo"
    if arm.startswith("pbt") or arm == "exploit only":
        scheduler = PopulationBasedTraining(
            time_attr="training_iteration",
            perturbation_interval=INTERVAL,
            quantile_fraction=0.5,
            hyperparam_mutations={"h": {"h0": tb.uniform(0, 1), "h1": tb.uniform(0, 1)}},
            resample_probability=0.0,
            perturbation_factors=(1.0, 1.0),
            custom_explore_fn=explore_config if arm.startswith("pbt") else None,
            synch=arm != "pbt, asynchronous",
        )
    with tempfile.TemporaryDirectory() as storage:
        results = tb.run(
            member,
            space,
            metric="q",
            mode="max",
            search="grid",
            scheduler=scheduler,
            storage_path=storage,
            wait=True,
        ).results
    if results.status != "completed" or set(results.trials["status"]) != {"terminated"}:
        raise SystemExit(f"{arm}, seed {seed}: the run did not complete ({results.status}).")
    if scheduler != "fifo" and not results.lineage["trained"].any():
        raise SystemExit(f"{arm}, seed {seed}: no exploit happened.")
    finals = results.history.groupby("trial_id").tail(1)  # each member's last report
    best = float(finals["q"].max())
    print(f"  {arm}, seed {seed}: {best:.3f}", file=sys.stderr, flush=True)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    tb.engine.ensure_ray()
    arms = ["pbt, synchronous", "pbt, asynchronous", "exploit only", "explore only", "grid"]
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
