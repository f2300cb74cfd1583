"""The %%tune cell parser, as pure functions (no IPython, no Ray started)."""

from __future__ import annotations

import ast

import pytest

import tunebook as tb
from tunebook.cell import CellError, capture, parse_cell

CELL = """\
lr = loguniform(1e-4, 1e-1)
depth = tune.randint(2, 10)
width = tb.choice([16, 32])
model = make_model(lr=lr, depth=depth, width=width)
for epoch in range(20):
    report(acc=model.fit_epoch(X, y))
"""


def test_space_lines_and_body():
    cell = parse_cell(CELL, metric="acc")
    assert cell.space == tb.Space(
        {"lr": tb.loguniform(1e-4, 1e-1), "depth": tb.randint(2, 10), "width": tb.choice([16, 32])}
    )
    assert cell.body.splitlines()[0] == "model = make_model(lr=lr, depth=depth, width=width)"
    assert cell.reads == ["make_model", "X", "y"]  # range is a builtin; lr etc. are parameters
    assert cell.first_body_line == 5  # the %%tune line is line 1
    assert cell.read_lines == {"make_model": 5, "X": 7, "y": 7}
    assert not cell.implicit_report


def test_the_trial_function_keeps_the_cells_line_numbers():
    cell = parse_cell(CELL, metric="acc")
    module = cell.function_ast(["X"])
    function = module.body[0]
    assert isinstance(function, ast.FunctionDef)
    assert [a.arg for a in function.args.kwonlyargs] == ["X"]
    assert [node.lineno for node in function.body] == [4, 5, 6]  # unpack line, then the body


def test_implicit_report_of_the_metric():
    cell = parse_cell(
        "C = loguniform(1e-3, 1e3)\n"
        "scores = cross_val_score(SVC(C=C), X, y)\n"
        "acc = scores.mean()\n",
        metric="acc",
    )
    assert cell.implicit_report
    source = ast.unparse(cell.function_ast([]))
    assert source.rstrip().endswith("report(**{'acc': acc})")


def test_grid_and_notebook_names_in_space_lines():
    cell = parse_cell("k = grid(KS)\nacc = k\n", metric="acc", namespace={"KS": [1, 2, 3]})
    assert cell.space["k"] == {"grid_search": [1, 2, 3]}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("lr = loguniform(0, 1)\nreport(acc=1)\n", 2, ["loguniform", "greater than 0"]),
        ("lr = uniform(0, 1)\nd = randint(5, 5)\nreport(acc=1)\n", 3, ["randint(5, 5) is empty"]),
        ("lr = uniform(0, 1)\nd = choice(OPTIONS)\nreport(acc=1)\n", 3, ["OPTIONS", "NameError"]),
        ("lr = uniform(0, 1)\nfor i in range(3)\n    report(acc=i)\n", 3, ["expected ':'"]),
        ("lr = uniform(0, 1)\n", 2, ["no trial body"]),
        ("model = fit()\nreport(acc=1)\n", 2, ["no search space"]),
        ("lr = uniform(0, 1)\nloss = lr\n", 3, ["never reports `acc`", "report(acc=...)"]),
        ("lr = uniform(0, 1)\nlr = uniform(1, 2)\nreport(acc=1)\n", 3, ["defined twice"]),
    ],
)
def test_errors_name_the_line_the_user_sees(text, line, words):
    with pytest.raises(CellError) as caught:
        parse_cell(text, metric="acc")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"line {line}: ")
    for word in words:
        assert word in str(caught.value)


def test_capture_sorts_names_by_how_they_travel():
    import numpy as np

    cell = parse_cell("a = uniform(0, 1)\nacc = f(a) + np.mean(BIG) + small\n", metric="acc")
    big = np.zeros(200_000)  # 1.6 MB pickled
    captured = capture(cell, {"f": lambda a: a, "np": np, "BIG": big, "small": 1})
    assert captured.how["np"] == {"how": "module", "module": "numpy"}
    assert captured.how["BIG"]["how"] == "object store"
    assert captured.how["small"]["how"] == "with the trial function"
    assert set(captured.large) == {"BIG"} and set(captured.small) == {"f", "np", "small"}


def test_capture_names_a_missing_name_and_its_line():
    cell = parse_cell("a = uniform(0, 1)\nb = 2\nacc = a + missing\n", metric="acc")
    with pytest.raises(CellError, match=r"line 4: the body reads `missing`, which the notebook"):
        capture(cell, {})


def test_the_parser_starts_no_ray_and_no_ipython():
    import subprocess
    import sys

    code = (
        "import sys, ray; from tunebook.cell import parse_cell;"
        "parse_cell('a = uniform(0, 1)\\nacc = a\\n', metric='acc');"
        "print(ray.is_initialized(), 'IPython' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["False", "False"]
