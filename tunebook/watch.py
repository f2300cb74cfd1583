"""``tb.watch(tuner)``: tunebook's record and dashboard for a plain Ray Tune ``Tuner``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tunebook.dashboard import attach, current_shell
from tunebook.engine import Experiment, record
from tunebook.results import Results


def watch(
    tuner: Any,
    *,
    name: str | None = None,
    storage_path: str | Path | None = None,
    wait: bool = True,
) -> Results | Experiment:
    """Run a ``ray.tune.Tuner`` written as in Ray's docs, recorded by tunebook, with the live
    dashboard in a notebook; return the :class:`Results` (Ray's names work on them:
    ``get_best_result``, ``get_dataframe``).

    Replace ``results = tuner.fit()`` with ``results = tb.watch(tuner)``. The cell waits for
    the end (interrupt the kernel to stop the run cleanly). ``wait=False`` returns the running
    :class:`Experiment` at once instead, as ``tb.run`` does: the kernel stays free, the
    dashboard's Stop works, and ``exp.results`` waits for the end.

    Example:
        >>> config = tune.TuneConfig(metric="score", mode="max")  # doctest: +SKIP
        >>> tuner = tune.Tuner(objective, param_space=space, tune_config=config)  # doctest: +SKIP
        >>> results = tb.watch(tuner)  # doctest: +SKIP
        >>> results.get_best_result().config  # doctest: +SKIP
    """
    experiment = record(tuner, name=name, storage_path=storage_path)
    shell = current_shell()
    if shell is not None and attach(shell):  # a kernel: its live dashboard
        from IPython.display import display

        display(experiment)
    if not wait:
        return experiment
    experiment.wait()
    return experiment.results
