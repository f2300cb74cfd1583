"""tunebook's exceptions: one root, ``TunebookError``, and a class for each kind of mistake.

Errors that a notebook user caused (a bad search space, a bad option) subclass the matching
built-in too (``ValueError``, ``TypeError``) so that ordinary ``except ValueError`` code keeps
working, and show in IPython as one clear line without a Python traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class TunebookError(Exception):
    """The root of every error tunebook raises on purpose."""


class UserInputError(TunebookError):
    """An error in what the user wrote: shown in IPython as one line, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class SpaceValueError(UserInputError, ValueError):
    """A search-space domain whose values break a rule (``uniform(2, 1)``, ``choice([])``)."""


class SpaceTypeError(UserInputError, TypeError):
    """A search-space domain given a value of the wrong type (``uniform("a", 1)``)."""


class OptionError(UserInputError, ValueError):
    """A bad argument to ``tb.run`` (unknown scheduler, bad mode, ...)."""


class ExperimentFailed(TunebookError):
    """Ray Tune's driver failed: the experiment ended before its trials did."""


class MetricNotReportedError(UserInputError, LookupError):
    """An answer needs a metric that no trial has reported (yet): the trial function's
    mistake, shown without a traceback through tunebook and Ray."""


class ResultsFolderError(TunebookError, OSError):
    """A folder that does not hold a tunebook experiment, or holds a damaged one."""


def did_you_mean(value: str, allowed: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest allowed name, or ``""``.

    >>> did_you_mean("ahsa", ["fifo", "asha"])
    " Did you mean 'asha'?"
    """
    close = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.5)
    return f" Did you mean {close[0]!r}?" if close else ""
