"""Shared fixtures: one real local Ray for the whole test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """A real local Ray (2 CPUs, no dashboard), started once and reused by every test."""
    import ray

    from tunebook.engine import ensure_ray

    # Trial functions defined in test modules are pickled by reference: the workers (which a
    # local Ray starts with this process's environment) must be able to import them.
    tests = str(Path(__file__).parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (tests, os.environ.get("PYTHONPATH")) if p
    )
    if not ray.is_initialized():
        ray.init(
            address="local",
            num_cpus=2,
            include_dashboard=False,
            _node_ip_address="127.0.0.1",
            log_to_driver=False,
        )
    ensure_ray()  # tunebook's settings on top of the running Ray
    yield
    ray.shutdown()


@pytest.fixture
def storage(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("experiments"))


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("TUNEBOOK_RESULTS", str(config.rootpath / ".pytest-results"))
