"""What a trial function calls: ``report``, and ``restore`` for the state it saved."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ray.tune.result import AUTO_RESULT_KEYS, DEBUG_METRICS

from tunebook.engine._ray_internals import in_trial
from tunebook.errors import TunebookError

#: Keys Ray Tune adds to every result; the rest is what the trial reported. A metric reported
#: under one of them would be replaced by Ray's value (``pid``, ``config``) or taken as one of
#: Ray's own (``done``, ``training_iteration``), and not recorded: ``report`` refuses them.
RAY_KEYS = frozenset(
    [
        *AUTO_RESULT_KEYS,
        *DEBUG_METRICS,
        "done",
        "experiment_tag",
        "should_checkpoint",
        "__duplicate__",
        "trainable_name",
        # a Ray Train run's checkpoint (its TuneReportCallback): recorded as a checkpoint
        "checkpoint_path",
    ]
)
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
            directly to debug it), or with a metric named like one Ray Tune sets itself
            (``pid``, ``config``, ``done``, ``training_iteration``...).
    """
    from ray import tune

    values = {**(metrics or {}), **kwargs}
    if not in_trial():
        raise _outside(f"report({', '.join(values)})")
    taken = sorted(RAY_KEYS.intersection(values))
    if taken:
        raise TunebookError(
            f"report({', '.join(values)}): {', '.join(map(repr, taken))} "
            f"{'is a name' if len(taken) == 1 else 'are names'} Ray Tune gives every result "
            "itself, so the value would be Ray's, not yours, and not recorded. Report it under "
            f"another name, such as {'my_' + taken[0]!r}."
        )
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
