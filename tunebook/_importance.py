"""What mattered: hyperparameter importance of a finished search, by Optuna's evaluators.

The finished trials (not failed) that reported the metric become the trials of an Optuna
study, each with its best value of the metric and its parameters in the space's distributions;
Optuna's evaluator (fANOVA by default) then says how much of the metric's variance each
parameter explains. Needs no Ray.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from tunebook._optuna import quiet
from tunebook.errors import OptionError
from tunebook.events import flat_space

EVALUATORS = ("fanova", "mdi", "ped-anova")


def distributions(described: Mapping[str, Any], configs: Sequence[Mapping[str, Any]]) -> dict:
    """Optuna distributions of the flat parameters that vary, from a space's description
    (grids as categories, normal domains over the values seen)."""
    import optuna.distributions as od

    out: dict[str, Any] = {}
    for name, spec in flat_space(described).items():
        kind = spec["type"]
        seen = [config[name] for config in configs if name in config]
        if kind in ("choice", "grid"):
            out[name] = od.CategoricalDistribution(spec["values"])
        elif kind in ("uniform", "quniform", "loguniform", "qloguniform"):
            out[name] = od.FloatDistribution(spec["lower"], spec["upper"], log="log" in kind)
        elif kind in ("randint", "lograndint"):
            out[name] = od.IntDistribution(spec["lower"], spec["upper"] - 1, log="log" in kind)
        elif kind == "randn" and seen:
            low, high = min(seen), max(seen)
            if low < high:
                out[name] = od.FloatDistribution(low, high)
    return out


def importance(
    described: Mapping[str, Any],
    configs: Sequence[Mapping[str, Any]],
    values: Sequence[float],
    mode: str,
    evaluator: str = "fanova",
    seed: int | None = 0,
) -> pd.DataFrame:
    """``parameter`` and ``importance`` (summing to 1), most important first.

    Args:
        described: the space (``Space.to_dict`` form).
        configs: the trials' flat configs (``{"outer/inner": value}``).
        values: each trial's value of the metric.
        mode: "max" or "min".
        evaluator: "fanova" (default), "mdi" (a random forest's impurity decrease) or
            "ped-anova".
        seed: of the evaluator's random forest.
    """
    import optuna
    from optuna import importance as oi

    if evaluator not in EVALUATORS:
        raise OptionError(f"evaluator must be one of {', '.join(EVALUATORS)}, got {evaluator!r}.")
    found = distributions(described, configs)
    if not found:
        raise OptionError("importance needs a space with sampled parameters; this one has none.")
    with quiet():  # Optuna's INFO lines about a study the user did not make
        study = optuna.create_study(direction="maximize" if mode == "max" else "minimize")
    for config, value in zip(configs, values, strict=True):
        params = {k: config[k] for k in found if k in config}
        if len(params) < len(found):
            continue
        try:
            study.add_trial(
                optuna.trial.create_trial(params=params, distributions=found, value=value)
            )
        except ValueError:  # a value outside its domain (e.g. moved by PBT unclipped)
            continue
    if len(study.trials) < 2:
        raise OptionError(
            f"importance needs at least 2 finished trials with the metric; found "
            f"{len(study.trials)}."
        )
    chosen = {
        "fanova": lambda: oi.FanovaImportanceEvaluator(seed=seed),
        "mdi": lambda: oi.MeanDecreaseImpurityImportanceEvaluator(seed=seed),
        "ped-anova": lambda: oi.PedAnovaImportanceEvaluator(),
    }[evaluator]()
    with quiet():
        scores = oi.get_param_importances(study, evaluator=chosen)
    frame = pd.DataFrame(
        {"parameter": list(scores), "importance": [float(v) for v in scores.values()]}
    )
    return frame.sort_values("importance", ascending=False, ignore_index=True)
