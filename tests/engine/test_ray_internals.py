"""Every reach into Ray's internals is in tunebook/engine/_ray_internals.py, and each is still
there on the installed Ray (an upgrade that removes one fails here, naming it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import ray

from tunebook.engine._ray_internals import WRITTEN_FOR
from tunebook.engine._ray_reaches import REACHES

PACKAGE = Path(__file__).resolve().parents[2] / "tunebook"


@pytest.mark.parametrize("reach", REACHES, ids=lambda reach: reach.name)
def test_the_installed_ray_still_has(reach):
    try:
        reach.read()
    except (AttributeError, ImportError, KeyError, IndexError, TypeError) as err:
        pytest.fail(
            f"Ray {ray.__version__} no longer has {reach.name}, which tunebook reads in "
            f"tunebook/engine/_ray_internals.py (written for {WRITTEN_FOR}): "
            f"{type(err).__name__}: {err}"
        )


def private_names() -> set[str]:
    """The private attribute names the reaches read (``_trial_info``, ``_rungs``...)."""
    names = set()
    for reach in REACHES:
        names |= set(re.findall(r"\._?(_[a-z][a-z_]*)", "." + reach.name.replace(" ", ".")))
    # tunebook's own classes name their metric and mode so too (the Recorder, BayesOptSearcher
    # as Ray's Searcher protocol has it): these two are checked by the reach test alone
    return names - {"_metric", "_mode"}


def test_no_other_module_reaches_into_ray():
    names = private_names()
    assert {"_trial_info", "_rungs", "_local_tuner", "_exploit"} <= names
    offenders = []
    # only the engine (and the cell's pickling, the local cluster) hold Ray objects: the other
    # layers import no Ray at all (tests/test_layering.py)
    holders = [
        *(PACKAGE / "engine").glob("*.py"),
        PACKAGE / "cell.py",
        PACKAGE / "local_cluster.py",
    ]
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("_ray_internals.py", "_ray_reaches.py"):  # the reaches, their table
            continue
        text = path.read_text()
        if re.search(r"ray\.(_private|_raylet|train\._internal)", text):
            offenders.append(f"{path.name}: imports a private Ray module")
        for name in names if path in holders else ():
            if re.search(rf"\.{name}\b", text):
                offenders.append(f"{path.name}: .{name}")
    assert not offenders, offenders
