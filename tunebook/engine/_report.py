"""What a trial function calls: ``report``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tunebook.errors import TunebookError


def report(metrics: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
    """Report one iteration's metrics from inside a trial.

    Same as Ray Tune's ``tune.report(metrics)``; tunebook records every report. Numbers are
    what schedulers and the best trial rank by; strings and booleans are kept too.

    Example:
        >>> def objective(config):  # doctest: +SKIP
        ...     for epoch in range(10):
        ...         report(acc=train_one_epoch(config), epoch=epoch)

    Raises:
        TunebookError: when called outside a trial (for instance when calling the objective
            directly to debug it).
    """
    from ray import tune
    from ray.train._internal.session import get_session

    values = {**(metrics or {}), **kwargs}
    if get_session() is None:
        raise TunebookError(
            f"report({', '.join(values)}) was called outside a trial. It works inside a "
            "function that tb.run (or Ray Tune) runs; to debug the function directly, "
            "replace report with print."
        )
    tune.report(values)
