"""The catalogue of bad inputs: each is refused with the first line a user sees (the bad value,
what is allowed, the fix), before Ray starts and before any experiment folder is written.

Pure: no test here starts Ray (the one that runs ``tb.run`` end to end does so in a
subprocess, and asserts that Ray was never started there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ray import tune

import tunebook as tb
from tunebook.cell import CellError, parse_cell
from tunebook.engine import OPTIONS
from tunebook.errors import OptionError, SpaceTypeError, SpaceValueError
from tunebook.events import json_safe

ROOT = Path(__file__).resolve().parents[1]
FIX = "Pass storage_path= a folder you can write to (one that does not exist yet is made)."
CONSTANTS = (
    "constants are recorded as JSON, so they are numbers, strings, booleans, None, numpy "
    "arrays, or lists, tuples and dicts of these"
)
SPACE_FUNCTIONS = (
    "uniform, loguniform, quniform, qloguniform, randint, lograndint, choice, grid, "
    "grid_search, randn"
)


def quadratic(config):
    tb.report(loss=(config["x"] - 0.3) ** 2)


def first_line(call: Callable[[], Any], error: type[Exception]) -> str:
    """The first line of the error ``call`` raises; Ray must not have started for it."""
    import ray

    started_before = ray.is_initialized()
    with pytest.raises(error) as caught:
        call()
    if not started_before:
        assert not ray.is_initialized(), "the bad input started Ray"
    return str(caught.value).splitlines()[0]


def refused_run(storage: Path, space: dict[str, Any], error: type[Exception], **options) -> str:
    """The first line ``tb.run`` refuses with; no experiment folder may have been written."""
    options = {"metric": "loss", "mode": "min", "storage_path": str(storage), **options}
    line = first_line(lambda: tb.run(quadratic, space, **options), error)
    if storage.is_dir():
        assert list(storage.rglob("events.jsonl")) == []
    return line


# 1. A domain inside a list or tuple is checked as a dict's value is (Ray samples it).


@pytest.mark.parametrize(
    ("space", "line"),
    [
        (
            {"x": [tune.uniform(2, 1)]},
            "parameter 'x[0]': uniform(2, 1): `lower` must be less than `upper`, but 2 > 1. "
            "Did you mean uniform(1, 2)?",
        ),
        (
            {"x": (1, tune.randint(3, 3))},
            "parameter 'x[1]': randint(3, 3) is empty: `upper` is exclusive, so it must be "
            "greater than `lower` (3). For the single value 3, use randint(3, 4) or the "
            "constant 3.",
        ),
        (
            {"x": [[0.5, tune.uniform(2, 1)]]},
            "parameter 'x[0][1]': uniform(2, 1): `lower` must be less than `upper`, but 2 > 1. "
            "Did you mean uniform(1, 2)?",
        ),
        (
            {"layers": [{"rate": tune.uniform(0.5, 0.5)}]},
            "parameter \"layers[0]['rate']\": uniform(0.5, 0.5) is a single point: `lower` must "
            "be less than `upper`. For a fixed value, use the constant 0.5.",
        ),
        (
            {"model": {"sizes": [tune.choice([])]}},
            "parameter 'sizes[0]': choice([]) has nothing to choose from: give at least one value.",
        ),
    ],
)
def test_a_domain_inside_a_list_or_tuple_is_checked(space, line):
    assert first_line(lambda: tb.Space(space), SpaceValueError) == line


def test_tb_run_checks_a_domain_inside_a_list_before_ray(tmp_path):
    line = refused_run(tmp_path, {"x": [tune.uniform(2, 1)]}, SpaceValueError)
    assert line.startswith("parameter 'x[0]': uniform(2, 1)")


def test_good_domains_inside_lists_are_kept():
    space = tb.Space({"x": [tune.uniform(0, 1), 3, (tb.grid([1, 2]), "a")]})
    assert list(space) == ["x"]


# 2. Constants: recorded as what the trial got, or refused with how to pass them.


def test_numpy_constants_are_recorded_as_the_numbers_they_hold():
    space = tb.Space(
        {
            "w": np.array([[1.0, 2.5], [3.0, 4.0]]),
            "n": np.int64(3),
            "f": np.float32(0.5),
            "mask": np.array([True, False]),
            "names": np.array(["a", "b"]),
        }
    )
    recorded = {name: item["value"] for name, item in json_safe(space.to_dict()).items()}
    assert recorded == {
        "w": [[1.0, 2.5], [3.0, 4.0]],
        "n": 3,
        "f": 0.5,
        "mask": [True, False],
        "names": ["a", "b"],
    }
    assert json.loads(json.dumps(recorded)) == recorded  # plain JSON, no repr strings
    assert json_safe({"empty": np.array([]), "t": (np.int32(1), np.array([2]))}) == {
        "empty": [],
        "t": [1, [2]],
    }


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (
            {3, 1, 2},
            "parameter 'tags': {1, 2, 3} is a set, and a set cannot be a constant: it has no "
            "order, so the record (JSON) could not say what the trial got. Write a list or "
            "tuple, [1, 2, 3]; to search over its values, use tb.choice([1, 2, 3]) or "
            "tb.grid([1, 2, 3]).",
        ),
        (
            frozenset({"relu"}),
            "parameter 'tags': frozenset({'relu'}) is a set, and a set cannot be a constant: it "
            "has no order, so the record (JSON) could not say what the trial got. Write a list "
            "or tuple, ['relu']; to search over its values, use tb.choice(['relu']) or "
            "tb.grid(['relu']).",
        ),
        (
            [1, {2}],
            "parameter 'tags[1]': {2} is a set, and a set cannot be a constant: it has no "
            "order, so the record (JSON) could not say what the trial got. Write a list or "
            "tuple, [2]; to search over its values, use tb.choice([2]) or tb.grid([2]).",
        ),
    ],
)
def test_a_set_constant_is_refused(value, line):
    assert first_line(lambda: tb.Space({"tags": value}), SpaceTypeError) == line


def make_model():
    return None


class Model:
    pass


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (lambda x: x, "the function <lambda>"),
        (make_model, "the function make_model"),
        (print, "the function print"),
        (Model, "the class Model"),
        (Path("/data/train.csv"), "PosixPath('/data/train.csv') (PosixPath)"),
        (Model(), None),
        (2 + 1j, "(2+1j) (complex)"),
        (np.array([object()]), None),
    ],
)
def test_a_constant_json_cannot_hold_is_refused_with_how_to_pass_it(value, shown):
    line = first_line(lambda: tb.Space({"act": value}), SpaceTypeError)
    if shown is None:
        shown = f"{value!r} ({type(value).__name__})"
    assert line == (
        f"parameter 'act': {shown} cannot be a constant: {CONSTANTS}. Use it in the trial "
        "function by name instead (a closure), or pass it with tb.run(..., "
        "with_parameters={'act': ...}) and take it as a keyword argument."
    )


def test_tb_run_refuses_bad_constants_before_ray(tmp_path):
    assert refused_run(tmp_path, {"x": tb.uniform(0, 1), "s": {1, 2}}, SpaceTypeError) == (
        "parameter 's': {1, 2} is a set, and a set cannot be a constant: it has no order, so "
        "the record (JSON) could not say what the trial got. Write a list or tuple, [1, 2]; "
        "to search over its values, use tb.choice([1, 2]) or tb.grid([1, 2])."
    )
    line = refused_run(tmp_path, {"x": tb.uniform(0, 1), "f": lambda: 1}, SpaceTypeError)
    assert line.startswith("parameter 'f': the function <lambda> cannot be a constant")


# 3. seed


@pytest.mark.parametrize("seed", ["x", -1, True, 2**32, 1.5])
def test_a_bad_seed_names_seed_its_value_and_the_range(tmp_path, seed):
    assert refused_run(tmp_path, {"x": tb.uniform(0, 1)}, OptionError, seed=seed) == (
        f"seed must be an integer from 0 to 2**32 - 1 (numpy's range, which the searches "
        f"use), got {seed!r}. Write, for example, seed=0."
    )


def test_good_seeds_are_plain_ints():
    check = next(option.check for option in OPTIONS if option.name == "seed")
    assert [check("seed", s) for s in (0, 2**32 - 1, np.int64(7))] == [0, 2**32 - 1, 7]
    assert type(check("seed", np.int64(7))) is int


# 4. %%tune: a misspelt space function


@pytest.mark.parametrize(
    ("cell", "called", "meant"),
    [
        ("a = unifrom(0, 1)\nloss = a\n", "a = unifrom(0, 1)", "uniform"),
        ("a = tb.unifrom(0, 1)\nloss = a\n", "a = tb.unifrom(0, 1)", "uniform"),
        (
            "lr = loguniform(1e-4, 1e-1)\nd = randnit(2, 10)\nloss = lr\n",
            "d = randnit(2, 10)",
            "randint",
        ),
    ],
)
def test_a_misspelt_space_function_is_named_with_the_one_meant(cell, called, meant):
    name = called.split(" = ")[1].split("(")[0]
    line = 2 + cell.splitlines().index(called)
    assert first_line(lambda: parse_cell(cell, metric="loss"), CellError) == (
        f"line {line}: `{called}` calls `{name}`, which is not a space function "
        f"({SPACE_FUNCTIONS}). Did you mean {meant!r}?"
    )


@pytest.mark.parametrize(
    ("cell", "namespace"),
    [
        ("a = compute(0, 1)\nloss = a\n", {}),  # not close to any space function
        ("a = score(0, 1)\nloss = a\n", {}),  # a name of one's own, far from `choice`
        ("a = unifrom(0, 1)\nloss = a\n", {"unifrom": lambda a, b: a}),  # the notebook's own
        ("a = 1\nloss = a\n", {}),  # no call
    ],
)
def test_a_cell_without_space_lines_says_so_as_before(cell, namespace):
    assert first_line(lambda: parse_cell(cell, "loss", namespace), CellError) == (
        "line 2: the cell starts with no search space: begin it with lines such as "
        "`lr = loguniform(1e-4, 1e-1)` (uniform, loguniform, randint, choice, grid, ...)."
    )


def test_a_body_that_calls_a_parameter_close_to_a_space_function_is_a_body():
    cell = parse_cell("randm = choice([abs, round])\nloss = randm(-1.5)\n", metric="loss")
    assert list(cell.space) == ["randm"] and cell.reads == []


# 5. storage_path


def test_a_storage_path_that_is_a_file_is_refused_before_ray(tmp_path):
    file = tmp_path / "results.txt"
    file.write_text("mine")
    assert refused_run(file, {"x": tb.uniform(0, 1)}, OptionError) == (
        f"storage_path {str(file)!r} is a file, not a folder: the experiments' folders go in "
        f"it. {FIX}"
    )
    assert refused_run(file / "sub", {"x": tb.uniform(0, 1)}, OptionError) == (
        f"storage_path {str(file / 'sub')!r} cannot be made: {str(file)!r} is a file, not a "
        f"folder. {FIX}"
    )
    assert file.read_text() == "mine"


def test_a_default_storage_that_is_a_file_is_refused_before_ray(tmp_path, monkeypatch):
    file = tmp_path / "results.txt"
    file.write_text("mine")
    monkeypatch.setenv("TUNEBOOK_RESULTS", str(file))
    line = first_line(
        lambda: tb.run(quadratic, {"x": tb.uniform(0, 1)}, metric="loss", mode="min"),
        OptionError,
    )
    assert line == (
        f"the default storage_path ($TUNEBOOK_RESULTS, else ~/tunebook_results) {str(file)!r} "
        f"is a file, not a folder: the experiments' folders go in it. {FIX}"
    )


def test_a_storage_path_that_cannot_be_written_is_refused_before_ray(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: a folder's mode does not stop root writing in it")
        assert refused_run(folder, {"x": tb.uniform(0, 1)}, OptionError) == (
            f"storage_path {str(folder)!r} is a folder you cannot write to: the experiments' "
            f"folders go in it. {FIX}"
        )
        assert refused_run(folder / "sub", {"x": tb.uniform(0, 1)}, OptionError) == (
            f"storage_path {str(folder / 'sub')!r} cannot be made: {str(folder)!r} is a "
            f"folder you cannot write to. {FIX}"
        )
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_a_storage_path_that_is_no_path_is_refused(tmp_path):
    line = first_line(
        lambda: tb.run(
            quadratic, {"x": tb.uniform(0, 1)}, metric="loss", mode="min", storage_path=3
        ),
        OptionError,
    )
    assert line == "storage_path must be a folder's path (a str or pathlib.Path), got 3."


# Nothing starts: the same refusals in a fresh interpreter, which never starts Ray.

PROBE = """
import json, sys
import numpy as np
from ray import tune
import ray
import tunebook as tb

def quadratic(config):
    tb.report(loss=config["x"])

storage = sys.argv[1]
cases = [
    ({"x": [tune.uniform(2, 1)]}, {}),
    ({"x": tb.uniform(0, 1), "s": {1, 2}}, {}),
    ({"x": tb.uniform(0, 1), "f": lambda: 1}, {}),
    ({"x": tb.uniform(0, 1)}, {"seed": -1}),
    ({"x": tb.uniform(0, 1)}, {"storage_path": storage + "/file/sub"}),
]
refused = []
for space, options in cases:
    options = {"metric": "loss", "mode": "min", "storage_path": storage, **options}
    try:
        tb.run(quadratic, space, **options)
    except tb.TunebookError as err:
        refused.append(type(err).__name__)
print(json.dumps({"refused": refused, "ray_started": ray.is_initialized()}))
"""


def test_nothing_starts_ray_in_a_fresh_interpreter(tmp_path):
    (tmp_path / "file").write_text("")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    ).stdout
    assert json.loads(out.splitlines()[-1]) == {
        "refused": ["SpaceValueError", "SpaceTypeError", "SpaceTypeError", *["OptionError"] * 2],
        "ray_started": False,
    }
    assert list(tmp_path.rglob("events.jsonl")) == []
