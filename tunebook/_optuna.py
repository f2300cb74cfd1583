"""Every reach into Optuna's internals, in one place, named with the version it was written
for, and the filter that keeps tunebook's own Optuna calls quiet.

Optuna logs at INFO on every study it creates and every trial it is told of. tunebook creates
studies (Ray Tune's ``OptunaSearch`` does, in the experiment's driver thread; ``importance()``
does), and their lines would run down the notebook. Instead of changing Optuna's verbosity for
the whole process (the user's own studies would go quiet too), a filter on the loggers that
write those lines drops what tunebook's own calls log below WARNING: records from an
experiment's driver thread, or from inside :func:`quiet`.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator

#: The Optuna these reaches were written for.
WRITTEN_FOR = "Optuna 5.0"
#: Optuna's loggers that write INFO lines for a study's life (Optuna 5.0 modules' loggers:
#: "A new study created in memory", "Trial N finished with value ...").
INFO_LOGGERS = ("optuna.storages._in_memory", "optuna.study._tell", "optuna.study.study")
#: The prefix of an experiment's driver thread's name (``Experiment`` names them).
DRIVER_THREAD = "tunebook:"

_quiet = contextvars.ContextVar("tunebook_quiet_optuna", default=False)


class _TunebooksOwn(logging.Filter):
    """Drops INFO and DEBUG records that tunebook's own calls make Optuna log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        ours = _quiet.get() or threading.current_thread().name.startswith(DRIVER_THREAD)
        return not ours


def install() -> None:
    """Put the filter on Optuna's INFO loggers (once)."""
    for name in INFO_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _TunebooksOwn) for f in logger.filters):
            logger.addFilter(_TunebooksOwn())


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Optuna's INFO lines from the calls inside are dropped (tunebook's own studies)."""
    install()
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)
