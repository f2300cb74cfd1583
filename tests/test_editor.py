"""The search-space editor: form state -> Space -> %%tune code -> the cell parser, and its
checks (the space functions' own messages)."""

from __future__ import annotations

import html

import pytest

import tunebook as tb
from tunebook.cell import parse_cell
from tunebook.editor import EditorError, SpaceEditor

SPACE = tb.Space(
    {
        "lr": tb.loguniform(1e-4, 1e-1),
        "momentum": tb.uniform(0.5, 0.99),
        "depth": tb.randint(2, 10),
        "width": tb.lograndint(8, 512),
        "opt": tb.choice(["adam", "sgd"]),
        "step": tb.quniform(0.0, 1.0, 0.25),
    }
)


def test_state_to_space_to_code_and_back_through_the_cell_parser():
    editor = SpaceEditor(SPACE)
    assert [r.kind.value for r in editor.rows] == [
        "float",
        "float",
        "int",
        "int",
        "categorical",
        "expression",
    ]
    assert editor.rows[0].log.value and not editor.rows[1].log.value
    assert editor.space == SPACE
    code = editor.to_code()
    assert code.splitlines()[0] == "lr = loguniform(0.0001, 0.1)"
    cell = parse_cell(code + "\nreport(acc=lr)\n", metric="acc")
    assert cell.space == SPACE
    assert editor.inserter.code == "%%tune\n" + code


def test_edits_rebuild_the_space_and_constants_come_last():
    editor = SpaceEditor({"x": tb.uniform(0, 1), "fixed": 3})
    editor.rows[0].lower.value = "0.25"
    editor.rows[0].log.value = True
    editor.add("batch", tb.choice([16, 32]))
    editor.rows[-1].values.value = "16, 32, 64"
    assert editor.space == tb.Space(
        {"x": tb.loguniform(0.25, 1), "fixed": 3, "batch": tb.choice([16, 32, 64])}
    )
    assert editor.to_code().splitlines() == [
        "x = loguniform(0.25, 1.0)",
        "batch = choice([16, 32, 64])",
        "fixed = 3",
    ]
    editor._remove(editor.rows[1])
    assert list(editor.space) == ["x", "batch"]


def test_rows_are_checked_with_the_space_functions_own_messages():
    editor = SpaceEditor({"x": tb.uniform(0, 1)})
    row = editor.rows[0]
    row.lower.value = "2"
    with pytest.raises(tb.SpaceValueError) as expected:
        tb.uniform(2, 1.0)  # the upper bound as the form holds it
    assert html.escape(str(expected.value)) in row.message.value
    assert "1 row(s) to fix" in editor.status.value
    with pytest.raises(EditorError, match="fix the rows first: x"):
        _ = editor.space
    row.lower.value = "0"
    row.log.value = True
    with pytest.raises(tb.SpaceValueError) as expected:
        tb.loguniform(0, 1.0)
    assert html.escape(str(expected.value)) in row.message.value
    row.log.value = False
    row.name.value = "class"
    assert "is not a Python name" in row.message.value
    row.name.value = "x"
    editor.add("x")
    assert "defined twice" in editor.rows[1].message.value
    editor.rows[1].name.value = "y"
    editor.rows[1].kind.value = "categorical"
    editor.rows[1].values.value = ""
    with pytest.raises(tb.SpaceValueError) as expected:
        tb.choice([])
    assert html.escape(str(expected.value)) in editor.rows[1].message.value


def test_a_refined_space_opens_in_the_editor():
    refined = tb.Space({"lr": tb.loguniform(1e-4, 10**-1.5), "opt": "adam"})
    editor = SpaceEditor(refined)
    assert editor.space == refined
    assert editor.to_code().splitlines()[-1] == "opt = 'adam'"
    with pytest.raises(EditorError, match="flat spaces"):
        SpaceEditor({"outer": {"inner": tb.uniform(0, 1)}})
