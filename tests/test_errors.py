"""tunebook's errors: one line in IPython for the user's mistakes, and "did you mean"."""

from __future__ import annotations

import pytest

import tunebook as tb
from tunebook.errors import (
    ExperimentFailed,
    MetricNotReportedError,
    OptionError,
    ResultsFolderError,
    SpaceTypeError,
    SpaceValueError,
    TunebookError,
    did_you_mean,
)


def test_errors_render_as_one_line_in_ipython():
    with pytest.raises(SpaceValueError) as caught:
        tb.uniform(2, 1)
    assert caught.value._render_traceback_() == [f"SpaceValueError: {caught.value}"]


def test_only_the_users_mistakes_render_as_one_line():
    assert OptionError("mode must be 'max' or 'min'")._render_traceback_() == [
        "OptionError: mode must be 'max' or 'min'"
    ]
    assert SpaceTypeError("x")._render_traceback_() == ["SpaceTypeError: x"]
    # a trial function that never reports the metric is the user's mistake too
    assert MetricNotReportedError("x")._render_traceback_() == ["MetricNotReportedError: x"]
    # what went wrong in a run, or in a folder, keeps IPython's traceback
    for error in (ExperimentFailed, ResultsFolderError, TunebookError):
        assert not hasattr(error("x"), "_render_traceback_"), error


def test_errors_are_the_builtin_errors_ordinary_code_catches():
    assert issubclass(SpaceValueError, ValueError) and issubclass(OptionError, ValueError)
    assert issubclass(SpaceTypeError, TypeError)
    assert issubclass(MetricNotReportedError, LookupError)
    assert issubclass(ResultsFolderError, OSError)
    assert all(issubclass(e, TunebookError) for e in (SpaceValueError, ExperimentFailed))


def test_did_you_mean_names_the_closest_allowed_name_or_nothing():
    assert did_you_mean("ahsa", ["fifo", "asha", "hyperband"]) == " Did you mean 'asha'?"
    assert did_you_mean("maximize", ("max", "min")) == " Did you mean 'max'?"
    assert did_you_mean("histroy", iter(["trials", "history"])) == " Did you mean 'history'?"
    assert did_you_mean("zzz", ["fifo", "asha"]) == ""
    assert did_you_mean("asha", []) == ""
