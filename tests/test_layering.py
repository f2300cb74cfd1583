"""The layers of DESIGN.md: pure modules import neither widgets, IPython nor (for events and
results) Ray, so a results folder loads fast anywhere; the package's import graph has no
circle, no import up the layers, and no module over 450 lines."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tunebook.events import EVENTS_FILE, EventLog

PACKAGE = Path(__file__).resolve().parents[1] / "tunebook"

PROBE = """
import json, sys
{code}
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in
      ('ray', 'ipywidgets', 'IPython', 'plotly', 'optuna'))))
"""


def imported_by(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


@pytest.mark.parametrize(
    "module",
    ["tunebook", "tunebook.events", "tunebook.results", "tunebook.errors", "tunebook.space"],
)
def test_core_needs_no_ray_and_no_jupyter(module):
    assert imported_by(f"import {module}") == set()


def test_reading_every_table_of_a_folder_imports_no_ray(tmp_path):
    log = EventLog(tmp_path / EVENTS_FILE)
    space = {"lr": {"type": "loguniform", "lower": 1e-4, "upper": 0.1}}
    log.append("experiment_started", name="e", metric="acc", mode="max", space=space)
    log.append("trial_started", trial_id="a", config={"lr": 0.01})
    log.append("result", trial_id="a", iteration=1, metrics={"acc": 0.5})
    log.append(
        "decision", trial_id="a", bracket=0, rung=1, value=0.5, cutoff=None, decision="continue"
    )
    log.append("trial_ended", trial_id="a", status="terminated")
    log.append("experiment_ended", status="completed")
    log.close()
    code = (
        "import tunebook as tb\n"
        f"r = tb.load({str(tmp_path)!r})\n"
        "r.trials, r.history, r.decisions, r.lineage, r.stages, r.space, r.best(), r.progress()\n"
        "r.refine(min_trials=1), r.export_stages(r.path / 'stages.json'), repr(r)\n"
        "tb.load_stages(r.path / 'stages.json')"
    )
    assert imported_by(code) == set()


def test_the_engine_never_imports_widgets():
    assert {"ipywidgets", "IPython"}.isdisjoint(imported_by("import tunebook.engine"))


def test_every_lazy_name_is_public():
    import tunebook

    assert set(tunebook._LAZY) <= set(tunebook.__all__)
    for name in tunebook.__all__:
        getattr(tunebook, name)  # raises for a name that does not resolve


def test_figures_are_pure_plotly():
    assert imported_by("import tunebook.figures") == {"plotly"}


def test_the_dashboard_never_talks_to_ray():
    assert "ray" not in imported_by("import tunebook.dashboard; tunebook.dashboard.Dashboard")


#: DESIGN.md's layers, lowest first: a module imports its own layer and those before it.
LAYERS = (
    ("tunebook.errors",),
    ("tunebook.events",),
    ("tunebook.space", "tunebook._refine", "tunebook._importance"),
    ("tunebook.results",),
    ("tunebook.figures",),
    ("tunebook.engine", "tunebook.local_cluster"),
    ("tunebook.dashboard", "tunebook.watch", "tunebook.editor", "tunebook.cell"),
    ("tunebook.magic", "tunebook.demo", "tunebook.cli"),
)


def _layer(module: str) -> int | None:
    found = None
    for n, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            found = n
    return len(LAYERS) if module == "tunebook" else found


def _graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (lazy imports count; TYPE_CHECKING not)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skipped = {
            id(sub)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
            for child in node.body
            for sub in ast.walk(child)
        }
        targets = set()
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = (
                        name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    )
                    package = package[: len(package) - node.level + 1]
                    base = ".".join([*package, *([node.module] if node.module else [])])
                subs = {f"{base}.{a.name}" for a in node.names} & set(modules)
                targets |= subs if len(subs) == len(node.names) else {base, *subs}
        resolved = set()
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith("tunebook") and target != name:
                resolved.add(target)
        graph[name] = resolved
    return graph


def test_no_import_runs_up_the_layers_and_no_circle():
    graph = _graph()
    upward = [
        f"{a} -> {b}"
        for a, targets in graph.items()
        for b in targets
        if _layer(a) is not None and _layer(b) is not None and _layer(b) > _layer(a)
    ]
    assert not upward, upward

    def reaches(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    circles = sorted(m for m in graph if m in reaches(m))
    assert not circles, circles


def test_no_module_is_over_450_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := p.read_text().count("\n") + 1) > 450
    }
    assert not long, long
