"""Reading a ``%%tune`` cell: the search space lines, the trial body, and the names it needs.

Pure: parsing needs neither IPython nor a running Ray (it evaluates the space lines, which
build Ray Tune domain objects). The magic (``tunebook.magic``) parses, then calls ``tb.run``.

A cell is::

    lr = loguniform(1e-4, 1e-1)          # leading NAME = <space call> lines: the space
    depth = randint(2, 10)
    model = make_model(lr=lr, depth=depth)   # the rest: the trial body
    for epoch in range(20):
        report(acc=model.fit_epoch(X, y))

Line numbers in errors are the ones the user sees: the ``%%tune`` line is line 1.

Example:
    >>> cell = parse_cell("x = uniform(0, 1)\\nloss = (x - 0.3) ** 2\\n", metric="loss")
    >>> list(cell.space), cell.reads, cell.implicit_report
    (['x'], [], True)
"""

from __future__ import annotations

import ast
import builtins
import difflib
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ray.cloudpickle as cloudpickle

from tunebook import space as vocabulary
from tunebook.errors import SpaceTypeError, SpaceValueError, UserInputError, did_you_mean

__all__ = ["CellError", "TrialCell", "capture", "parse_cell"]

#: Names a space line may call, bare or as ``tune.X`` / ``tb.X`` / ``tunebook.X``.
SPACE_CALLS = {
    "uniform": vocabulary.uniform,
    "loguniform": vocabulary.loguniform,
    "quniform": vocabulary.quniform,
    "qloguniform": vocabulary.qloguniform,
    "randint": vocabulary.randint,
    "lograndint": vocabulary.lograndint,
    "choice": vocabulary.choice,
    "grid": vocabulary.grid,
    "grid_search": vocabulary.grid,
    "randn": vocabulary.randn,
}
SPACE_PREFIXES = ("tune", "tb", "tunebook")
#: Objects bigger than this (pickled) go through Ray's object store once per experiment.
LARGE_BYTES = 1_000_000
#: The trial function's own names, out of the way of the user's.
CONFIG_ARG = "__tunebook_config__"
TRIAL_NAME = "__tunebook_trial__"


class CellError(UserInputError, ValueError):
    """A ``%%tune`` cell that cannot run, with the line (as the user sees it) to fix."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


def _space_call_name(node: ast.expr) -> str | None:
    """``loguniform`` for ``loguniform(...)``, ``tune.loguniform(...)``, ``tb.loguniform(...)``."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id in SPACE_CALLS:
        return func.id
    if (
        isinstance(func, ast.Attribute)
        and func.attr in SPACE_CALLS
        and isinstance(func.value, ast.Name)
        and func.value.id in SPACE_PREFIXES
    ):
        return func.attr
    return None


def _is_space_line(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and _space_call_name(statement.value) is not None
    )


def _misspelt_space_call(
    cell: str, statement: ast.stmt, known: Mapping[str, Any], offset: int
) -> None:
    """Refuse ``a = unifrom(0, 1)`` where a space line was meant: the first line that is not
    one assigns the call of a name close to a space function's, a name that neither ``known``
    (the notebook's names and the parameters) nor Python's builtins define: it ends the space
    lines, and would fail in the trial."""
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and isinstance(statement.value, ast.Call)
    ):
        return
    func = statement.value.func
    if isinstance(func, ast.Name):
        name = called = func.id
        if name in known or hasattr(builtins, name):
            return
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        prefix, name = func.value.id, func.attr
        called = f"{prefix}.{name}"
        if prefix not in SPACE_PREFIXES or hasattr(known.get(prefix), name):
            return
    else:
        return
    # a near miss only (unifrom, randnit): ``score`` or ``choose`` are the notebook's own
    meant = did_you_mean(name, SPACE_CALLS) if close_matches(name, list(SPACE_CALLS)) else ""
    if meant:
        raise CellError(
            f"`{ast.get_source_segment(cell, statement)}` calls `{called}`, which is not a "
            f"space function ({', '.join(SPACE_CALLS)}).{meant}",
            statement.lineno + offset,
        )


def close_matches(name: str, allowed: Sequence[str]) -> list[str]:
    """The names of ``allowed`` that ``name`` is a near miss of (one or two letters)."""
    return difflib.get_close_matches(name, allowed, n=1, cutoff=0.8)


class _Names(ast.NodeVisitor):
    """Names a body reads and names it binds (any binding makes a name local to the trial)."""

    def __init__(self) -> None:
        self.read: dict[str, int] = {}  # name -> first line read
        self.bound: set[str] = set()
        self.calls_report = False

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.read.setdefault(node.id, node.lineno)
        else:
            self.bound.add(node.id)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "report":
            self.calls_report = True
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "report"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in SPACE_PREFIXES
        ):
            self.calls_report = True
        self.generic_visit(node)

    def _bind_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.bound.add(node.name)
        self.generic_visit(node)

    visit_FunctionDef = _bind_function
    visit_AsyncFunctionDef = _bind_function
    visit_ClassDef = _bind_function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.bound.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.bound.add(alias.asname or alias.name)

    def visit_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)


@dataclass
class TrialCell:
    """A parsed ``%%tune`` cell.

    Attributes:
        space: the search space from the leading space lines.
        body: the trial body's source, as written.
        reads: names the body reads from the notebook, in order of first use.
        implicit_report: the body never calls ``report``; it assigns the metric, which is
            reported once at the end.
        metric: the metric the experiment optimises.
        first_body_line: the body's first line, as the user sees it.
        read_lines: the line where each read name is first used.
    """

    space: vocabulary.Space
    body: str
    reads: list[str]
    implicit_report: bool
    metric: str
    first_body_line: int
    read_lines: dict[str, int] = field(default_factory=dict)
    _statements: list[ast.stmt] = field(default_factory=list, repr=False)

    def function_ast(self, keyword_args: list[str]) -> ast.Module:
        """The trial function ``def f(config, *, NAME=None...)`` as a module AST, the body's
        line numbers those of the cell (so tracebacks point at the user's lines)."""
        keywords = "".join(f", {name}=None" for name in keyword_args)
        star = ", *" if keyword_args else ""
        module = ast.parse(f"def {TRIAL_NAME}({CONFIG_ARG}{star}{keywords}):\n    pass\n")
        function = module.body[0]
        assert isinstance(function, ast.FunctionDef)
        names = list(self.space)
        unpack = ast.parse(
            f"({', '.join(names)},) = ({', '.join(f'{CONFIG_ARG}[{n!r}]' for n in names)},)"
        ).body
        for node in unpack:
            ast.increment_lineno(node, self.first_body_line - 2)
        body: list[ast.stmt] = [*unpack, *self._statements]
        if self.implicit_report:
            report = ast.parse(f"report(**{{{self.metric!r}: {self.metric}}})").body
            last = self._statements[-1]
            for node in report:
                ast.increment_lineno(node, (last.end_lineno or last.lineno) - 1)
            body.extend(report)
        function.body = body
        return ast.fix_missing_locations(module)


def parse_cell(
    cell: str,
    metric: str,
    namespace: Mapping[str, Any] | None = None,
    first_line: int = 2,
    base: Mapping[str, Any] | None = None,
) -> TrialCell:
    """Split a ``%%tune`` cell into its search space and its trial body.

    Args:
        cell: the cell's text below the ``%%tune`` line.
        metric: the metric the experiment optimises (``--metric``).
        namespace: the notebook's names, for space lines that use them
            (``choice(MODELS)``); bare vocabulary names always work.
        first_line: the line number the user sees for the cell's first line.
        base: a space the cell starts from (``%%tune --refine``): the cell's space lines,
            if any, replace or add single parameters.

    Raises:
        CellError: naming the line: a syntax error, a space line that does not evaluate or is
            invalid, an empty body, a body that never reports the metric.
    """
    offset = first_line - 1
    try:
        tree = ast.parse(cell)
    except SyntaxError as err:
        line = (err.lineno or 1) + offset
        raise CellError(f"{err.msg}: {(err.text or '').strip()!r}", line) from None
    statements = list(tree.body)
    space_lines: list[ast.Assign] = []
    while statements and _is_space_line(statements[0]):
        statement = statements.pop(0)
        assert isinstance(statement, ast.Assign)
        space_lines.append(statement)
    if statements:
        named = [
            line.targets[0].id for line in space_lines if isinstance(line.targets[0], ast.Name)
        ]
        known = {**dict(namespace or {}), **dict.fromkeys([*named, *(base or {})])}
        _misspelt_space_call(cell, statements[0], known, offset)
    if not space_lines and base is None:
        raise CellError(
            "the cell starts with no search space: begin it with lines such as "
            "`lr = loguniform(1e-4, 1e-1)` (uniform, loguniform, randint, choice, grid, ...).",
            first_line,
        )
    scope: dict[str, Any] = {**SPACE_CALLS, **dict(namespace or {})}
    for prefix in SPACE_PREFIXES:
        scope.setdefault(prefix, types.SimpleNamespace(**SPACE_CALLS))
    params: dict[str, Any] = {}
    for statement in space_lines:
        target = statement.targets[0]
        assert isinstance(target, ast.Name)
        line = statement.lineno + offset
        if target.id in params:
            raise CellError(f"parameter {target.id!r} is defined twice.", line)
        text = ast.get_source_segment(cell, statement.value) or ""
        try:
            value = eval(  # noqa: S307 (the user's own cell, as IPython would run it)
                compile(ast.Expression(statement.value), "<%%tune>", "eval"), scope
            )
            vocabulary.validate_domain(target.id, value)
        except (SpaceValueError, SpaceTypeError) as err:
            message = str(err)
            if not message.startswith("parameter "):
                message = f"parameter {target.id!r}: {message}"
            raise CellError(message, line) from None
        except Exception as err:
            raise CellError(
                f"the space line `{target.id} = {text}` failed: {type(err).__name__}: {err}",
                line,
            ) from None
        params[target.id] = value
    if base is not None:
        params = {**dict(base), **params}  # the cell's lines override single parameters
    if not statements:
        last = space_lines[-1].end_lineno or space_lines[-1].lineno if space_lines else 1
        raise CellError(
            "the cell has a search space but no trial body: below the space lines, write "
            f"the code that trains and calls report({metric}=...).",
            last + offset,
        )
    body_start = statements[0].lineno
    body_lines = cell.splitlines()[body_start - 1 :]
    body = "\n".join(body_lines)
    names = _Names()
    for statement in statements:
        names.visit(statement)
    implicit = False
    if not names.calls_report:
        if metric not in names.bound:
            raise CellError(
                f"the body never reports `{metric}`: call report({metric}=...) after each "
                f"epoch, or assign `{metric} = ...` to report it once at the end.",
                body_start + offset,
            )
        implicit = True
    local = names.bound | set(params)
    reads = [
        name
        for name in names.read
        if name not in local and name not in ("report", "restore") and not hasattr(builtins, name)
    ]
    for statement in statements:
        ast.increment_lineno(statement, offset)
    return TrialCell(
        space=vocabulary.Space(params),
        body=body,
        reads=reads,
        implicit_report=implicit,
        metric=metric,
        first_body_line=body_start + offset,
        read_lines={name: names.read[name] + offset for name in reads},
        _statements=statements,
    )


@dataclass
class Captured:
    """What a trial function takes from the notebook, and how each name travels."""

    small: dict[str, Any]
    large: dict[str, Any]
    how: dict[str, dict[str, Any]]


def capture(cell: TrialCell, namespace: Mapping[str, Any]) -> Captured:
    """Take the names the body reads from the notebook.

    Modules travel by name (the workers import them); objects over ``LARGE_BYTES`` pickled
    go through Ray's object store once per experiment; the rest travel with the trial
    function.

    Raises:
        CellError: a name the body reads that the notebook does not define, with its line.
    """
    small: dict[str, Any] = {}
    large: dict[str, Any] = {}
    how: dict[str, dict[str, Any]] = {}
    for name in cell.reads:
        if name not in namespace:
            raise CellError(
                f"the body reads `{name}`, which the notebook does not define. Run the cell "
                "that defines it first, or define it in the body.",
                cell.read_lines.get(name),
            )
        value = namespace[name]
        if isinstance(value, types.ModuleType):
            small[name] = value
            how[name] = {"how": "module", "module": value.__name__}
            continue
        try:
            size = len(cloudpickle.dumps(value))
        except Exception as err:
            raise CellError(
                f"`{name}` ({type(value).__name__}) cannot be sent to Ray's workers: "
                f"{type(err).__name__}: {err}. Create it inside the body instead.",
                cell.read_lines.get(name),
            ) from None
        if size > LARGE_BYTES:
            large[name] = value
            how[name] = {"how": "object store", "bytes": size}
        else:
            small[name] = value
            how[name] = {"how": "with the trial function", "bytes": size}
    return Captured(small, large, how)


def trial_function(cell: TrialCell, captured: Captured) -> Callable[..., Any]:
    """Compile the cell into ``f(config, *, LARGE=None...)``: the objective ``tb.run`` takes
    (the large objects come as keyword arguments, from Ray's object store)."""
    from tunebook.engine import report, restore

    scope: dict[str, Any] = {
        "__name__": "__tunebook_cell__",  # not importable: the function is pickled by value
        "__builtins__": builtins,
        "report": report,
        "restore": restore,
        **captured.small,
    }
    code = compile(cell.function_ast(list(captured.large)), "<%%tune cell>", "exec")
    exec(code, scope)  # noqa: S102 (the user's own cell, as IPython would run it)
    function: Callable[..., Any] = scope[TRIAL_NAME]
    return function
