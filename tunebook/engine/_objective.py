"""What is run: the trial function (or Ray Trainable, or Ray Train trainer) checked before the
run, and shipped to Ray's workers."""

from __future__ import annotations

import inspect
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunebook.errors import OptionError


def ship_by_value(objective: Any) -> None:
    """Let Ray's workers run a function whose module they cannot import by name.

    A local Ray's workers find modules in the installed packages, the driver script's folder
    and the current folder. A module found through a folder put on ``sys.path`` at run time
    (by pytest, or ``sys.path.append`` in a notebook) is pickled by value instead, as Ray does
    for functions defined in a notebook.
    """
    import ray.cloudpickle

    name = getattr(objective, "__module__", None) or ""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    if module is None or name == "__main__" or not file:
        return
    root = Path(file).resolve().parent
    for _ in range(name.count(".") + (Path(file).name == "__init__.py")):
        root = root.parent
    added = {Path(p).resolve() for p in sys.path if p} - {
        Path(p).resolve() for p in sysconfig.get_paths().values()
    }
    known = {Path.cwd().resolve(), Path(sys.argv[0] or ".").resolve().parent}
    if root in added and root not in known and "site-packages" not in root.parts:
        ray.cloudpickle.register_pickle_by_value(module)


def check_objective(objective: Any, shared: Mapping[str, Any]) -> str:
    """Check the trial function (or Ray Trainable class); return a name for it.

    The function takes the config, and by keyword each name of ``shared``
    (``with_parameters``)."""
    from ray.tune import Trainable

    if inspect.isclass(objective) and issubclass(objective, Trainable):
        return objective.__name__
    if not callable(objective):
        raise OptionError(
            f"objective must be a function that takes the config dict, got {objective!r}."
        )
    try:
        signature = inspect.signature(objective)
    except (TypeError, ValueError):
        return getattr(objective, "__name__", type(objective).__name__)
    label = getattr(objective, "__name__", type(objective).__name__)
    parameters = signature.parameters
    positional = [
        p
        for p in parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.default is p.empty
        and p.name not in shared
    ]
    varargs = any(p.kind == p.VAR_POSITIONAL for p in parameters.values())
    if len(positional) > 1 or (not positional and not varargs):
        raise OptionError(
            f"objective {label}{signature} must take exactly one argument, the config dict: "
            "def objective(config): ..."
        )
    takes_any = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    missing = [name for name in shared if name not in parameters and not takes_any]
    if missing:
        raise OptionError(
            f"with_parameters passes {', '.join(missing)} by keyword, but objective "
            f"{label}{signature} takes no such argument."
        )
    return label


def check_trainer_options(
    label: str,
    space: Any,
    shared: Mapping[str, Any],
    resources: Any,
    adaptive: Any,
) -> None:
    """What does not apply to a Ray Train trainer, refused with what to do instead."""
    from tunebook.engine import _train

    if not isinstance(space, Mapping):
        raise OptionError(f"space must be a dict of parameter -> domain, got {space!r}.")
    _train.check_space(space, label)
    if shared:
        raise OptionError(
            f"with_parameters does not apply to a {label}: give it the data as "
            f"{label}(datasets={{...}}) (Ray Data), or read it in the train function."
        )
    if resources is not None:
        raise OptionError(
            f"resources_per_trial does not apply to a {label}: its workers hold the "
            "resources; set them with ScalingConfig(num_workers=..., resources_per_worker=...)."
        )
    if adaptive:
        raise OptionError(
            f"adaptive_resources does not apply to a {label}: its ScalingConfig sets its "
            "workers (num_workers=(min, max) lets Ray Train scale them)."
        )
