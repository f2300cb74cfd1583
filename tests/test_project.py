"""The project's promises about itself: binder in step with pyproject, README and CI agree."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def requirement_lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_binder_requirements_are_the_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert requirement_lines(ROOT / "binder" / "requirements.txt") == project["dependencies"]


#: Pinned exactly, on purpose: torch 2.13.0 is a CPU build; a range takes a CUDA build of GBs.
EXACT = {"torch==2.13.0"}


def test_every_dependency_has_a_lower_bound():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [spec for specs in project["optional-dependencies"].values() for spec in specs]
    for spec in project["dependencies"] + extras:
        assert ">=" in spec or spec in EXACT, spec


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```(?:bash|sh)\n(.*?)\n```", text, flags=re.S)


def test_the_readme_starts_with_the_demo_and_the_test_command_and_ci_runs_the_latter():
    demo, tests = readme_commands()[:2]
    assert "tunebook demo" in demo
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests.strip() in ci, "the README's test command must be what .ci/run runs"


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_is_clean():
    checked = run_tool("ruff", "check", "tunebook", "tests", "benchmarks")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_mypy_is_clean():
    checked = run_tool("mypy")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dashboard_benchmark_runs_on_the_current_code():
    """A small run of benchmarks/dashboard.py (the full one is slow): it must still drive the
    dashboard as it is, without the view failing."""
    ran = subprocess.run(
        [sys.executable, "benchmarks/dashboard.py", "--trials", "16", "--reports", "10"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert "| refreshes | dashboard CPU |" in ran.stdout
    assert "Traceback" not in ran.stderr, ran.stderr
