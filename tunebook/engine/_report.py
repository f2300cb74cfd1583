"""What a trial function calls: ``report``, and ``restore`` for the state it saved."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunebook.engine._ray_internals import in_trial
from tunebook.errors import TunebookError

#: The file of a checkpoint that ``report(state=...)`` writes (by Ray, in Ray's own folder).
STATE_FILE = "tunebook_state.pkl"


def _outside(call: str) -> TunebookError:
    return TunebookError(
        f"{call} was called outside a trial. It works inside a function that tb.run (or Ray "
        "Tune) runs; to debug the function directly, replace report with print."
    )


def report(
    metrics: Mapping[str, Any] | None = None, /, *, state: Any = None, **kwargs: Any
) -> None:
    """Report one iteration's metrics from inside a trial, and optionally its state.

    Same as Ray Tune's ``tune.report(metrics)``; tunebook records every report. Numbers are
    what schedulers and the best trial rank by; strings and booleans are kept too.

    ``state`` (any picklable object: a dict of weights, a model) is saved as a Ray
    checkpoint with this report. Population Based Training clones it into the members that
    exploit this one; :func:`restore` gives it back when the trial starts again. How many
    are kept: ``tb.run(keep_checkpoints=N)``.

    Example:
        >>> def objective(config):  # doctest: +SKIP
        ...     state = restore() or {"weights": init(), "epoch": 0}
        ...     for epoch in range(state["epoch"], 10):
        ...         state["weights"] = train(state["weights"], config["lr"])
        ...         state["epoch"] = epoch + 1
        ...         report(acc=evaluate(state["weights"]), state=state)

    Raises:
        TunebookError: when called outside a trial (for instance when calling the objective
            directly to debug it).
    """
    from ray import tune

    values = {**(metrics or {}), **kwargs}
    if not in_trial():
        raise _outside(f"report({', '.join(values)})")
    if state is None:
        tune.report(values)
        return
    import ray.cloudpickle

    with tempfile.TemporaryDirectory(prefix="tunebook-state-") as folder:
        with open(Path(folder) / STATE_FILE, "wb") as file:
            ray.cloudpickle.dump(state, file)
        # Ray copies the folder into the experiment's storage before report returns
        tune.report(values, checkpoint=tune.Checkpoint.from_directory(folder))


def restore() -> Any:
    """The state this trial last saved with ``report(state=...)``, or None on a fresh start.

    After a Population Based Training exploit, it is the state the donor saved at the step
    the trial was cloned from; after a retry (``max_failures``), the trial's own last state.

    Raises:
        TunebookError: outside a trial, or when the trial's checkpoint was not written by
            ``report(state=...)`` (use Ray's ``tune.get_checkpoint()`` for your own).
    """
    from ray import tune

    if not in_trial():
        raise _outside("restore()")
    checkpoint = tune.get_checkpoint()
    if checkpoint is None:
        return None
    import ray.cloudpickle

    with checkpoint.as_directory() as folder:
        path = Path(folder) / STATE_FILE
        if not path.is_file():
            raise TunebookError(
                f"this trial's checkpoint ({checkpoint.path}) was not written by "
                "report(state=...): read it with Ray's tune.get_checkpoint()."
            )
        with open(path, "rb") as file:
            return ray.cloudpickle.load(file)
