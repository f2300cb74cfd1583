"""Where trials run: the session's local Ray, its address, and requests no node can hold."""

from __future__ import annotations

import pytest

import tunebook as tb
from tests.objectives import zigzag
from tunebook.errors import OptionError

pytestmark = pytest.mark.usefixtures("ray_session")


def test_the_address_of_the_cluster_this_process_is_on_is_that_cluster():
    import ray

    from tunebook.engine import ensure_ray

    current = ray.get_runtime_context().gcs_address
    assert ensure_ray(current) == current
    assert ensure_ray("auto") == current


def test_the_local_ray_listens_on_loopback_only():
    import ray

    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ({"gpu": 0.5}, "gpu=0.5, but no node has any"),
        ({"CPU": 2, "GPU": 1}, "gpu=1, but no node has any.*Leave gpu out"),  # the seed's
        ({"cpu": 3}, "cpu=3, but the largest node has 2"),
    ],
)
def test_a_request_no_node_can_hold_fails_before_the_run(storage, resources, message):
    before = len(tb.engine.experiments())
    with pytest.raises(OptionError, match=message):
        tb.run(zigzag, {"q": 1.0}, metric="score", mode="max", resources_per_trial=resources)
    assert len(tb.engine.experiments()) == before


def test_starting_ray_leaves_rays_logging_level_to_the_user():
    import logging

    # the session's Ray was started by ensure_ray: Ray's own default level, not one of ours
    assert logging.getLogger("ray").level == logging.INFO


def test_a_local_start_on_a_new_machine_says_nothing_of_rays_own(tmp_path):
    """Ray's start notices (the start, token auth, a token written to a new HOME) stay out of
    the notebook, though Ray's logging level is left as it is."""
    import os
    import subprocess
    import sys

    code = (
        "from tunebook.engine import ensure_ray; import ray; ensure_ray(num_cpus=1); ray.shutdown()"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / ".ray" / "auth_token").exists()  # Ray did write a token
    assert "INFO" not in ran.stderr + ran.stdout, ran.stderr


def test_connecting_to_a_running_cluster_says_nothing_of_rays_own():
    import subprocess
    import sys

    import ray

    address = ray.get_runtime_context().gcs_address  # the session's Ray, from another process
    code = f"from tunebook.engine import ensure_ray; ensure_ray({address!r})"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert "INFO" not in ran.stderr + ran.stdout, ran.stderr
