"""``SpaceEditor``: a search space as a form, one row per parameter, checked as you type.

Each row has a name, a kind (float, int, categorical, constant, or an expression of the space
vocabulary such as ``quniform(0, 1, 0.1)``), its bounds or values, a log toggle and a remove
button. Every change is checked by the space functions themselves (``tb.uniform`` ...), so the
messages are theirs. ``.space`` is the ``tb.Space``; ``.to_code()`` the ``%%tune`` space lines;
the insert button writes them into a new cell above (in JupyterLab, when it exposes its app to
the page) or shows them to copy.
"""

from __future__ import annotations

import ast
import html
import keyword
from collections.abc import Callable, Mapping
from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

from tunebook import space as vocabulary
from tunebook.errors import SpaceTypeError, SpaceValueError, UserInputError, did_you_mean

KINDS = ("float", "int", "categorical", "constant", "expression")


class EditorError(UserInputError, ValueError):
    """A row of the editor that does not make a parameter (its message says which)."""


def _literal(text: str, what: str) -> Any:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise EditorError(
            f"{what} must be a Python literal (a number, 'text', ...), got {text!r}."
        ) from None


def _number(text: str, what: str) -> float | int:
    value = _literal(text, what)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EditorError(f"{what} must be a number, got {text!r}.")
    return value


class _Row:
    """One parameter: its widgets and the domain they make."""

    def __init__(self, editor: SpaceEditor, name: str, value: Any) -> None:
        self.name = widgets.Text(value=name, placeholder="name", layout={"width": "120px"})
        self.kind = widgets.Dropdown(options=KINDS, layout={"width": "120px"})
        self.lower = widgets.Text(placeholder="lower", layout={"width": "90px"})
        self.upper = widgets.Text(placeholder="upper", layout={"width": "90px"})
        self.values = widgets.Text(placeholder="values, e.g. 16, 32 or 'a', 'b'")
        self.log = widgets.Checkbox(description="log", indent=False, layout={"width": "60px"})
        self.remove = widgets.Button(icon="trash", tooltip="remove", layout={"width": "40px"})
        self.message = widgets.HTML()
        self._fill(value)
        self.box = widgets.VBox([widgets.HBox(self._shown()), self.message])
        for control in (self.name, self.kind, self.lower, self.upper, self.values, self.log):
            control.observe(lambda _change: editor._changed(), names=["value"])
        self.remove.on_click(lambda _button: editor._remove(self))

    def _fill(self, value: Any) -> None:
        if isinstance(value, Mapping) and not vocabulary.is_grid(value):
            raise EditorError("the editor edits flat spaces; edit nested ones in code.")
        spec = vocabulary.spec(value)
        kind = spec["type"]
        if kind in ("uniform", "loguniform", "randint", "lograndint"):
            self.kind.value = "float" if "uniform" in kind else "int"
            self.lower.value, self.upper.value = repr(spec["lower"]), repr(spec["upper"])
            self.log.value = "log" in kind
        elif kind == "choice":
            self.kind.value = "categorical"
            self.values.value = ", ".join(repr(v) for v in spec["values"])
        elif kind == "constant":
            self.kind.value = "constant"
            self.values.value = repr(spec["value"])
        else:
            self.kind.value = "expression"
            self.values.value = vocabulary.describe(value)

    def _shown(self) -> list[widgets.Widget]:
        kind = self.kind.value
        numeric = [self.lower, self.upper, self.log] if kind in ("float", "int") else []
        return [self.name, self.kind, *numeric, *([] if numeric else [self.values]), self.remove]

    def refresh_layout(self) -> None:
        self.box.children[0].children = self._shown()

    def domain(self) -> Any:
        """The domain of the row, by the space functions (their messages on error)."""
        kind = self.kind.value
        if kind in ("float", "int"):
            lower = _number(self.lower.value, "lower")
            upper = _number(self.upper.value, "upper")
            calls: dict[tuple[str, bool], Callable[[Any, Any], Any]] = {
                ("float", False): vocabulary.uniform,
                ("float", True): vocabulary.loguniform,
                ("int", False): vocabulary.randint,
                ("int", True): vocabulary.lograndint,
            }
            return calls[(kind, self.log.value)](lower, upper)
        if kind == "categorical":
            values = _literal(f"[{self.values.value}]", "values")
            return vocabulary.choice(values)
        if kind == "constant":
            return _literal(self.values.value, "the value")
        from tunebook.cell import SPACE_CALLS

        try:
            tree = ast.parse(self.values.value.strip(), mode="eval")
        except SyntaxError:
            raise EditorError(f"not an expression: {self.values.value!r}.") from None
        call = tree.body
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) in SPACE_CALLS):
            raise EditorError(
                f"an expression must call the space vocabulary ({', '.join(SPACE_CALLS)}), got "
                f"{self.values.value!r}."
            )
        return eval(compile(tree, "<SpaceEditor>", "eval"), {**SPACE_CALLS})  # noqa: S307


class _Inserter(anywidget.AnyWidget):
    """A button that writes ``code`` into a new cell above the current one, where the page
    has JupyterLab's app (``window.jupyterapp``), and otherwise shows it to copy."""

    _esm = """
    function render({ model, el }) {
      const button = document.createElement("button");
      button.className = "jupyter-widgets jupyter-button widget-button tunebook-insert";
      button.textContent = "Write a %%tune cell above";
      button.style.width = "auto";
      const note = document.createElement("pre");
      note.className = "tunebook-insert-note";
      button.onclick = async () => {
        const code = model.get("code");
        const app = window.jupyterapp;
        const panel = app && app.shell && app.shell.currentWidget;
        const notebook = panel && panel.content;
        if (app && notebook && notebook.activeCell) {
          await app.commands.execute("notebook:insert-cell-above");
          notebook.activeCell.model.sharedModel.setSource(code);
          note.textContent = "Written into the cell above.";
          model.set("inserted", model.get("inserted") + 1);
          model.save_changes();
          return;
        }
        note.textContent = "Copy these lines into a cell:\\n\\n" + code;
      };
      el.append(button, note);
    }
    export default { render };
    """
    code = traitlets.Unicode("").tag(sync=True)
    inserted = traitlets.Int(0).tag(sync=True)


class SpaceEditor:
    """Edit a search space in a form.

    Args:
        space: the space to start from (``tb.Space`` or a dict; ``results.refine()`` for the
            next stage of a coarse-to-fine search), or None for an empty form.

    Example:
        >>> editor = SpaceEditor({"lr": vocabulary.loguniform(1e-4, 1e-1)})  # doctest: +SKIP
        >>> editor.to_code()  # doctest: +SKIP
        'lr = loguniform(0.0001, 0.1)'
    """

    def __init__(self, space: Mapping[str, Any] | None = None) -> None:
        self.rows: list[_Row] = []
        self.add_button = widgets.Button(description="Add a parameter", icon="plus")
        self.add_button.on_click(lambda _button: self.add())
        self.status = widgets.HTML()
        self.code = widgets.Textarea(layout={"width": "100%", "height": "8em"}, disabled=True)
        self.inserter = _Inserter()
        self.rows_box = widgets.VBox()
        self.widget = widgets.VBox(
            [self.rows_box, self.add_button, self.status, self.code, self.inserter]
        )
        self.widget.add_class("tunebook-space-editor")
        for name, value in dict(space or {}).items():
            self.add(name, value)
        self._changed()

    def add(self, name: str = "", value: Any = None) -> None:
        """Add a row (a float range by default)."""
        row = _Row(self, name, vocabulary.uniform(0.0, 1.0) if value is None else value)
        self.rows.append(row)
        self.rows_box.children = [r.box for r in self.rows]
        self._changed()

    def row(self, name: str) -> _Row:
        """The row of parameter ``name`` (its widgets: ``name``, ``kind``, ``lower``,
        ``upper``, ``values``, ``log``), to edit it from code."""
        for row in self.rows:
            if row.name.value == name:
                return row
        known = [r.name.value for r in self.rows]
        raise EditorError(f"no parameter {name!r} in the editor.{did_you_mean(name, known)}")

    def _remove(self, row: _Row) -> None:
        self.rows.remove(row)
        self.rows_box.children = [r.box for r in self.rows]
        self._changed()

    def _check(self) -> dict[str, Any]:
        """The parameters of the valid rows; each row's message says what is wrong with it."""
        params: dict[str, Any] = {}
        for row in self.rows:
            row.refresh_layout()
            name = row.name.value.strip()
            try:
                if not name.isidentifier() or keyword.iskeyword(name):
                    raise EditorError(f"the name {name!r} is not a Python name.")
                if name in params:
                    raise EditorError(f"{name!r} is defined twice.")
                params[name] = row.domain()
                row.message.value = ""
            except (SpaceValueError, SpaceTypeError, EditorError) as err:
                row.message.value = (
                    f"<span class='tb-error' style='color:#d62728'>{html.escape(str(err))}</span>"
                )
        return params

    def _changed(self) -> None:
        params = self._check()
        invalid = len(self.rows) - len(params)
        self.status.value = (
            f"<b style='color:#d62728'>{invalid} row(s) to fix</b>"
            if invalid
            else f"{len(params)} parameter(s)"
        )
        code = _code(params)
        self.code.value = code
        self.inserter.code = "%%tune\n" + code

    @property
    def space(self) -> vocabulary.Space:
        """The space of the form.

        Raises:
            EditorError: while a row does not make a parameter (the row says why).
        """
        params = self._check()
        if len(params) != len(self.rows):
            bad = [r.name.value or "(unnamed)" for r in self.rows if r.message.value]
            raise EditorError(f"fix the rows first: {', '.join(bad)}.")
        return vocabulary.Space(params)

    def to_code(self) -> str:
        """The ``%%tune`` space lines of the form (constants last, as plain assignments:
        the cell reads them as its body's first lines)."""
        return _code(self.space)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _code(params: Mapping[str, Any]) -> str:
    kinds = {name: vocabulary.spec(value)["type"] for name, value in params.items()}
    lines = [f"{n} = {vocabulary.describe(v)}" for n, v in params.items() if kinds[n] != "constant"]
    lines += [f"{n} = {v!r}" for n, v in params.items() if kinds[n] == "constant"]
    return "\n".join(lines)
