"""``search="bayesopt"``: Gaussian-process Bayesian optimisation through the maintained
bayesian-optimization 3.x package (its ``suggest`` / ``register`` interface).

Ray's own ``BayesOptSearch`` calls ``bayes_opt.UtilityFunction``, which bayesian-optimization
2.0 removed (ray-project/ray#49845), so it only works with ``bayesian-optimization<2``. This
Searcher is small and uses only the current public interface.
"""

from __future__ import annotations

import math
from typing import Any

from ray.tune.search import Searcher

from tunebook.errors import OptionError
from tunebook.space import Space, describe, spec

#: Domain kinds a Gaussian process over a box can search.
BOX_KINDS = ("uniform", "quniform", "loguniform", "qloguniform", "randint", "lograndint")


class BayesOptSearcher(Searcher):
    """Suggests configs with bayesian-optimization's Gaussian process; log domains are searched
    in log10 space, integer domains rounded, constants passed through."""

    def __init__(self, space: Space, seed: int | None = None) -> None:
        super().__init__()
        self._bounds: dict[str, tuple[float, float]] = {}
        self._specs: dict[str, dict[str, Any]] = {}
        self._constants: dict[str, Any] = {}
        for name, value in space.flat().items():
            described = spec(value)
            if described["type"] == "constant":
                self._constants[name] = described["value"]
                continue
            if described["type"] not in BOX_KINDS:
                raise OptionError(
                    f"search='bayesopt' searches numeric ranges; parameter {name!r} is "
                    f"{describe(value)}. Use search='tpe' for categories."
                )
            low, high = float(described["lower"]), float(described["upper"])
            if described["type"] in ("randint", "lograndint"):
                high -= 1  # Ray's upper bound is exclusive
            if "log" in described["type"]:
                low, high = math.log10(low), math.log10(high)
            self._bounds[name] = (low, high)
            self._specs[name] = described
        self._seed = seed
        self._optimizer: Any = None
        self._pending: dict[str, dict[str, float]] = {}

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict[str, Any], **spec: Any
    ) -> bool:
        self._metric = metric or self._metric
        self._mode = mode or self._mode
        return True

    def _ensure(self) -> Any:
        if self._optimizer is None:
            from bayes_opt import BayesianOptimization

            self._optimizer = BayesianOptimization(
                f=None,
                pbounds=self._bounds,
                random_state=self._seed,
                verbose=0,
                allow_duplicate_points=True,
            )
        return self._optimizer

    def _value(self, name: str, raw: float) -> Any:
        spec = self._specs[name]
        value = 10**raw if "log" in spec["type"] else raw
        if spec["type"] in ("randint", "lograndint"):
            return int(round(value))
        if "q" in spec:
            value = round(value / spec["q"]) * spec["q"]
        return float(value)

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        point = {k: float(v) for k, v in self._ensure().suggest().items()}
        self._pending[trial_id] = point
        flat = {**self._constants, **{k: self._value(k, v) for k, v in point.items()}}
        config: dict[str, Any] = {}
        for key, value in flat.items():  # "outer/inner" back to nested dicts
            *parents, leaf = key.split("/")
            node = config
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = value
        return config

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        point = self._pending.pop(trial_id, None)
        if point is None or error or not result or self._metric not in result:
            return
        sign = 1.0 if self._mode == "max" else -1.0  # bayes_opt maximises
        optimizer = self._ensure()
        if optimizer.space.params_to_array(point) in optimizer.space:
            return  # a point seen before (often a corner): bayes_opt would print about it
        optimizer.register(params=point, target=sign * float(result[self._metric]))
