"""Shared fixtures: one real local Ray for the whole test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """A real local Ray (2 CPUs, no dashboard), started once and reused by every test."""
    import ray

    from tunebook.engine import ensure_ray

    ensure_ray(num_cpus=2)  # tunebook's own local start: 127.0.0.1 only, dashboard off
    yield
    ray.shutdown()


@pytest.fixture
def storage(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("experiments"))


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("TUNEBOOK_RESULTS", str(config.rootpath / ".pytest-results"))
