"""The catalogue of bad inputs: each is refused with the first line a user sees (the bad value,
what is allowed, the fix), before Ray starts and before any experiment folder is written.

The ``tb.run`` cases start no Ray (the one that runs ``tb.run`` end to end does so in a
subprocess, and asserts that Ray was never started there); the ``%%tune`` cells run in a real
IPython shell beside the session's Ray (some checks read its nodes), and start no experiment.
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
from tunebook.magic import MagicOptionError

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


# %%tune: every bad cell, through a real IPython shell (the session's Ray for the checks that
# read its nodes): the one line IPython shows, no traceback, no experiment started

CELL = "a = uniform(0, 1)\nacc = a\n"


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "tunebook")
    storage = str(tmp_path_factory.mktemp("bad-cells"))
    ip.run_line_magic("config", f"TuneMagic.storage_path = {storage!r}")
    return ip


@pytest.mark.usefixtures("ray_session")
@pytest.mark.parametrize(
    ("line", "cell", "error", "first"),
    [
        (
            "--metrc acc --mode max",
            CELL,
            MagicOptionError,
            "unknown option --metrc. Did you mean '--metric'? See %%tune? for every option.",
        ),
        (
            "--metric acc --mode maximum",
            CELL,
            MagicOptionError,
            (
                "argument --mode: invalid choice: 'maximum' (choose from 'max', 'min'). See "
                "%%tune? for every option."
            ),
        ),
        (
            "-n many --metric acc --mode max",
            CELL,
            MagicOptionError,
            (
                "argument --num-samples/-n/--samples: invalid int value: 'many'. See %%tune? for "
                "every option."
            ),
        ),
        (
            "--mode max",
            CELL,
            MagicOptionError,
            (
                "--metric is required: the metric to optimise, as the trial reports it (or set a "
                "default with %config TuneMagic.metric = 'acc')."
            ),
        ),
        (
            "--metric acc",
            CELL,
            MagicOptionError,
            (
                "--mode is required: max or min: whether more or less of the metric is better "
                "(or set a default with %config TuneMagic.mode = 'max')."
            ),
        ),
        (
            "--metric acc --mode max --scheduler ahsa",
            CELL,
            OptionError,
            (
                "unknown scheduler 'ahsa'; tunebook knows fifo, asha, hyperband, median, bohb, "
                "pbt, pb2, or pass a Ray Tune object. Did you mean 'asha'?"
            ),
        ),
        (
            "--metric acc --mode max --search tpee",
            CELL,
            OptionError,
            (
                "unknown search 'tpee'; tunebook knows random, grid, tpe, gp, qmc, cmaes, "
                "hyperopt, bohb, bayesopt, or pass a Ray Tune object. Did you mean 'tpe'?"
            ),
        ),
        (
            "--metric acc --mode max --resources gpu=0.5",
            CELL,
            OptionError,
            (
                "resources_per_trial asks for gpu=0.5, but no node has any: no trial could ever "
                "start. Leave gpu out, or connect to a cluster whose nodes have it."
            ),
        ),
        (
            "--metric acc --mode max --checkpoint-score loss",
            CELL,
            OptionError,
            (
                "checkpoint_score='loss': say whether more or less loss is better, as 'loss:max' "
                "or 'loss:min' (the experiment's mode is for 'acc')."
            ),
        ),
        (
            "--metric acc --mode max --resources cpu",
            CELL,
            MagicOptionError,
            (
                "--resources 'cpu': write name=amount pairs separated by commas, such as "
                '"cpu=1,gpu=0.5".'
            ),
        ),
        (
            '--metric acc --mode max --resources "cpu=1,gpu=0.5"',
            CELL,
            OptionError,
            (
                "resources_per_trial asks for gpu=0.5, but no node has any: no trial could ever "
                "start. Leave gpu out, or connect to a cluster whose nodes have it."
            ),
        ),
        (
            '--metric "acc --mode max',
            CELL,
            MagicOptionError,
            'the %%tune line does not parse: No closing quotation: --metric "acc --mode max',
        ),
        (
            "--metric acc --mode max --time-budget 0",
            CELL,
            OptionError,
            "time_budget_s must be a positive number, got 0.0.",
        ),
        (
            "--metric acc --mode max -c 0",
            CELL,
            OptionError,
            "max_concurrent_trials must be an integer >= 1, got 0.",
        ),
        (
            "--metric acc --mode max -n 0",
            CELL,
            OptionError,
            "num_samples must be an integer >= 1 (or -1 with a time_budget_s), got 0.",
        ),
        (
            "--metric acc --mode max --seed -1",
            CELL,
            OptionError,
            (
                "seed must be an integer from 0 to 2**32 - 1 (numpy's range, which the searches "
                "use), got -1. Write, for example, seed=0."
            ),
        ),
        (
            "--metric acc --mode max --storage-path /etc/hostname",
            CELL,
            OptionError,
            (
                "storage_path '/etc/hostname' is a file, not a folder: the experiments' folders "
                "go in it. Pass storage_path= a folder you can write to (one that does not exist "
                "yet is made)."
            ),
        ),
        (
            "--metric acc --mode max",
            "a = uniform(2, 1)\nacc = a\n",
            CellError,
            (
                "line 2: parameter 'a': uniform(2, 1): `lower` must be less than `upper`, but 2 "
                "> 1. Did you mean uniform(1, 2)?"
            ),
        ),
        (
            "--metric acc --mode max",
            "a = uniform(0, 1)\nb = randint(3, 3)\nacc = a\n",
            CellError,
            (
                "line 3: parameter 'b': randint(3, 3) is empty: `upper` is exclusive, so it must "
                "be greater than `lower` (3). For the single value 3, use randint(3, 4) or the "
                "constant 3."
            ),
        ),
        (
            "--metric acc --mode max",
            "a = unifrom(0, 1)\nacc = a\n",
            CellError,
            (
                "line 2: `a = unifrom(0, 1)` calls `unifrom`, which is not a space function "
                "(uniform, loguniform, quniform, qloguniform, randint, lograndint, choice, grid, "
                "grid_search, randn). Did you mean 'uniform'?"
            ),
        ),
        (
            "--metric acc --mode max",
            "a = choice([])\nacc = a\n",
            CellError,
            (
                "line 2: parameter 'a': choice([]) has nothing to choose from: give at least one "
                "value."
            ),
        ),
        (
            "--metric acc --mode max",
            "a = uniform(0, 1)\nif a\n    acc = a\n",
            CellError,
            "line 3: expected ':': 'if a'",
        ),
        (
            "--metric acc --mode max",
            "a = uniform(0, 1)\n",
            CellError,
            (
                "line 2: the cell has a search space but no trial body: below the space lines, "
                "write the code that trains and calls report(acc=...)."
            ),
        ),
        (
            "--metric acc --mode max",
            "a = uniform(0, 1)\nacc = a + undefined_thing\n",
            CellError,
            (
                "line 3: the body reads `undefined_thing`, which the notebook does not define. "
                "Run the cell that defines it first, or define it in the body."
            ),
        ),
        (
            "--metric acc --mode max",
            "a = uniform(0, 1)\nloss = a\n",
            CellError,
            (
                "line 3: the body never reports `acc`: call report(acc=...) after each epoch, or "
                "assign `acc = ...` to report it once at the end."
            ),
        ),
        (
            "--metric acc --mode max",
            "acc = 1\n",
            CellError,
            (
                "line 2: the cell starts with no search space: begin it with lines such as `lr = "
                "loguniform(1e-4, 1e-1)` (uniform, loguniform, randint, choice, grid, ...)."
            ),
        ),
    ],
)
def test_a_bad_tune_cell_is_one_clear_line_and_starts_nothing(
    shell, capsys, line, cell, error, first
):
    before = len(tb.engine.experiments())
    result = shell.run_cell(f"%%tune {line}\n{cell}")
    raised = result.error_before_exec or result.error_in_exec
    assert type(raised) is error and str(raised).splitlines()[0] == first
    assert len(tb.engine.experiments()) == before  # no experiment, so no trial, started
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "Traceback" not in text  # IPython showed the message alone
    assert [t for t in text.splitlines() if t.strip()] == [f"{error.__name__}: {first}"]


# tb.run: every bad argument, refused before Ray starts and before a folder is written

X = {"x": tune.uniform(0, 1)}  # a good space: the arguments are what is wrong


@pytest.mark.parametrize(
    ("space", "options", "error", "first"),
    [
        (
            X,
            dict(metric=None),
            OptionError,
            "metric is required: the metric to optimise, as the trial reports it.",
        ),  # metric missing
        (
            X,
            dict(mode="maximum"),
            OptionError,
            "mode must be 'max' or 'min', got 'maximum'. Did you mean 'max'?",
        ),  # mode maximum
        (
            X,
            dict(metric=3),
            OptionError,
            "metric must be a non-empty name, got 3.",
        ),  # metric not text
        (
            X,
            dict(num_samples=0),
            OptionError,
            "num_samples must be an integer >= 1 (or -1 with a time_budget_s), got 0.",
        ),  # num_samples 0
        (
            X,
            dict(num_samples="10"),
            OptionError,
            "num_samples must be an integer >= 1 (or -1 with a time_budget_s), got '10'.",
        ),  # num_samples text
        (
            X,
            dict(num_samples=-1),
            OptionError,
            "num_samples=-1 (sample until stopped) needs a time_budget_s.",
        ),  # num_samples -1 without budget
        (
            X,
            dict(max_concurrent_trials=0),
            OptionError,
            "max_concurrent_trials must be an integer >= 1, got 0.",
        ),  # concurrency 0
        (
            X,
            dict(time_budget_s=0),
            OptionError,
            "time_budget_s must be a positive number, got 0.",
        ),  # time budget 0
        (
            X,
            dict(time_budget_s=-5),
            OptionError,
            "time_budget_s must be a positive number, got -5.",
        ),  # time budget negative
        (
            X,
            dict(scheduler="ahsa"),
            OptionError,
            (
                "unknown scheduler 'ahsa'; tunebook knows fifo, asha, hyperband, median, bohb, "
                "pbt, pb2, or pass a Ray Tune object. Did you mean 'asha'?"
            ),
        ),  # scheduler typo
        (
            X,
            dict(search="tpee"),
            OptionError,
            (
                "unknown search 'tpee'; tunebook knows random, grid, tpe, gp, qmc, cmaes, "
                "hyperopt, bohb, bayesopt, or pass a Ray Tune object. Did you mean 'tpe'?"
            ),
        ),  # search typo
        (
            X,
            dict(scheduler="asha", max_tt=10),
            OptionError,
            (
                "tb.run has no option 'max_tt'. Did you mean 'max_t'? Its options: metric, mode, "
                "num_samples, max_concurrent_trials, scheduler, search, max_t, grace_period, "
                "reduction_factor, brackets, perturbation_interval, quantile_fraction, "
                "hyperparam_mutations, hyperparam_bounds, synch, resources_per_trial, "
                "adaptive_resources, keep_checkpoints, checkpoint_score, max_failures, "
                "time_budget_s, stop, seed, name, storage_path, address, with_parameters, "
                "parent, warm_start, wait, detach."
            ),
        ),  # scheduler knob unknown
        (
            X,
            dict(num_sample=5),
            OptionError,
            (
                "tb.run has no option 'num_sample'. Did you mean 'num_samples'? Its options: "
                "metric, mode, num_samples, max_concurrent_trials, scheduler, search, max_t, "
                "grace_period, reduction_factor, brackets, perturbation_interval, "
                "quantile_fraction, hyperparam_mutations, hyperparam_bounds, synch, "
                "resources_per_trial, adaptive_resources, keep_checkpoints, checkpoint_score, "
                "max_failures, time_budget_s, stop, seed, name, storage_path, address, "
                "with_parameters, parent, warm_start, wait, detach."
            ),
        ),  # unknown keyword
        (
            X,
            dict(resources_per_trial=2),
            OptionError,
            "resources_per_trial must be a dict such as {'cpu': 1, 'gpu': 0.5}, got 2.",
        ),  # resources not a dict
        (
            X,
            dict(resources_per_trial={"cpu": -1}),
            OptionError,
            "resources_per_trial['cpu'] must be a number >= 0, got -1.",
        ),  # resources negative
        (
            X,
            dict(keep_checkpoints=0),
            OptionError,
            "keep_checkpoints must be an integer >= 1, got 0.",
        ),  # keep checkpoints 0
        (
            X,
            dict(name="a/b"),
            OptionError,
            (
                "name 'a/b' must start with a letter or digit and hold only letters, digits, "
                "'.', '_' and '-' (it names the experiment's folder)."
            ),
        ),  # name with slash
        (
            [1, 2],
            {},
            OptionError,
            "space must be a dict of parameter -> domain, got [1, 2].",
        ),  # space not a dict
        (
            {"x": tune.uniform(2, 1)},
            {},
            SpaceValueError,
            (
                "parameter 'x': uniform(2, 1): `lower` must be less than `upper`, but 2 > 1. Did "
                "you mean uniform(1, 2)?"
            ),
        ),  # uniform reversed
        (
            {"x": tune.randint(3, 3)},
            {},
            SpaceValueError,
            (
                "parameter 'x': randint(3, 3) is empty: `upper` is exclusive, so it must be "
                "greater than `lower` (3). For the single value 3, use randint(3, 4) or the "
                "constant 3."
            ),
        ),  # randint empty
        (
            {"x": tune.choice([])},
            {},
            SpaceValueError,
            "parameter 'x': choice([]) has nothing to choose from: give at least one value.",
        ),  # choice empty
        (
            {"x": tune.grid_search([])},
            {},
            SpaceValueError,
            "parameter 'x': grid([]) has nothing to choose from: give at least one value.",
        ),  # grid empty
        (
            X,
            dict(address="ray://x:10001"),
            OptionError,
            (
                "address 'ray://x:10001' is a Ray Client address. Under Ray Client, Ray Tune "
                "runs its driver on the cluster, where tunebook cannot record events or stop "
                "trials. Run the notebook on a machine of the cluster and pass the cluster's "
                "address (host:6379, or 'auto'), or submit the notebook's code as a Ray Job."
            ),
        ),  # address ray client
    ],
)
def test_a_bad_argument_to_run_is_one_clear_line_before_anything_starts(
    tmp_path, space, options, error, first
):
    assert refused_run(tmp_path, space, error, **options) == first


SAMPLES = "num_samples must be an integer >= 1 (or -1 with a time_budget_s),"
#: More bad arguments, one a line: (space, options, first line).
MORE_BAD_ARGUMENTS = [
    (X, dict(max_failures=-2), "max_failures must be an integer >= 0 (-1: forever), got -2."),
    (X, dict(max_failures="1"), "max_failures must be an integer >= 0 (-1: forever), got '1'."),
    (X, dict(num_samples=1.5), f"{SAMPLES} got 1.5."),
    (X, dict(num_samples=True), f"{SAMPLES} got True."),
    (X, dict(max_concurrent_trials=-1), "max_concurrent_trials must be an integer >= 1, got -1."),
    (X, dict(time_budget_s="10"), "time_budget_s must be a positive number, got '10'."),
    (X, dict(scheduler="asha", grace_period=0), "grace_period must be a positive number, got 0."),
    (X, dict(scheduler="asha", grace_period=20, max_t=10),
     "grace_period (20) must not exceed max_t (10)."),
    (X, dict(scheduler="asha", reduction_factor=1),
     "reduction_factor must be greater than 1, got 1: it is the factor by which each rung keeps "
     "fewer trials (2 keeps half, 4 a quarter)."),
    (X, dict(hyperparam_mutations={"x": [1, 2]}),
     "scheduler 'fifo' takes no hyperparam_mutations (it takes no knobs)."),
    (X, dict(checkpoint_score="q:maximum"),
     "checkpoint_score='q:maximum': the order after ':' must be max or min."),
    (X, dict(name=""),
     "name '' must start with a letter or digit and hold only letters, digits, '.', '_' and '-' "
     "(it names the experiment's folder)."),
    (X, dict(search="grid"),
     "search='grid' needs grid values: write the parameters as tb.grid([...]). For sampled "
     "parameters use search='random' or 'tpe'."),
    ({"x": tb.grid([1, 2])}, dict(search="tpe"),
     "search='tpe' cannot take grid values (x): it samples from distributions. Use "
     "tb.choice([...]) instead of tb.grid([...]), or search='grid'."),
    ({"x": 1, 3: 1}, {}, "parameter names must be non-empty strings, got 3."),
    (X, dict(stop={"training_iteration": "x"}),
     "stop={'training_iteration': 'x'}: each criterion is a reported name and the number at "
     "which a trial stops, as {'training_iteration': 10}."),
    (X, dict(stop=5),
     "stop must be a dict such as {'training_iteration': 10}, a ray.tune.Stopper or a function "
     "(trial_id, result) -> bool, got 5."),
]  # fmt: skip


@pytest.mark.parametrize(("space", "options", "first"), MORE_BAD_ARGUMENTS)
def test_more_bad_arguments_to_run_are_one_clear_line(tmp_path, space, options, first):
    error = SpaceTypeError if not options else OptionError
    assert refused_run(tmp_path, space, error, **options) == first


@pytest.mark.parametrize(
    ("objective", "first"),
    [
        (3, "objective must be a function that takes the config dict, got 3."),
        (
            lambda: None,
            (
                "objective <lambda>() must take exactly one argument, the config dict: def "
                "objective(config): ..."
            ),
        ),
    ],
)
def test_an_objective_run_cannot_call_is_refused(tmp_path, objective, first):
    space = {"x": tune.uniform(0, 1)}

    def call() -> object:
        return tb.run(objective, space, metric="loss", mode="min", storage_path=str(tmp_path))

    assert first_line(call, OptionError) == first
