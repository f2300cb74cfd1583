"""tunebook/_optuna.py: Optuna's loggers it filters still exist, tunebook's own Optuna calls stay
quiet, and the user's own Optuna (its verbosity, its studies' lines) is left as it was."""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path

import optuna
import pytest

from tunebook import _optuna

PACKAGE = Path(__file__).resolve().parents[1] / "tunebook"


@pytest.mark.parametrize("logger", _optuna.INFO_LOGGERS)
def test_the_installed_optuna_still_has_the_loggers(logger):
    try:
        importlib.import_module(logger)  # each is the logger of one of Optuna's modules
    except ImportError as err:
        pytest.fail(
            f"Optuna {optuna.__version__} has no module {logger} any more, whose INFO lines "
            f"tunebook/_optuna.py filters (written for {_optuna.WRITTEN_FOR}): {err}"
        )


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def lines():
    handler = Lines()
    root = logging.getLogger("optuna")
    root.addHandler(handler)
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO)  # the user wants Optuna's lines
    yield handler
    optuna.logging.set_verbosity(before)
    root.removeHandler(handler)


def test_tunebooks_own_studies_are_quiet_and_the_users_are_not(lines):
    from tunebook._importance import importance

    space = {"x": {"type": "uniform", "lower": 0, "upper": 1}}
    configs = [{"x": v / 10} for v in range(10)]
    importance(space, configs, [c["x"] ** 2 for c in configs], "max", "fanova", 0)
    assert optuna.logging.get_verbosity() == optuna.logging.INFO  # left as the user set it
    assert not [m for m in lines.messages if "A new study created" in m]

    driver = threading.Thread(target=optuna.create_study, name=f"{_optuna.DRIVER_THREAD}x")
    driver.start()  # an experiment's driver thread: Ray's OptunaSearch makes its study there
    driver.join()
    assert not [m for m in lines.messages if "A new study created" in m]

    optuna.create_study()  # the user's own
    assert [m for m in lines.messages if "A new study created" in m]


def test_no_module_sets_optunas_verbosity():
    offenders = [path.name for path in PACKAGE.rglob("*.py") if "set_verbosity" in path.read_text()]
    assert not offenders, offenders
