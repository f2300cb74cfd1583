"""Population Based Training from a tunebook space: what PBT mutates, what PB2 bounds."""

from __future__ import annotations

import pytest

import tunebook as tb
from tests.objectives import counter


@pytest.mark.usefixtures("ray_session")
def test_pb2_runs_to_the_end_within_its_bounds(storage):
    exp = tb.run(
        counter,
        {"h": tb.uniform(0.1, 0.9)},
        metric="score",
        mode="max",
        num_samples=4,
        scheduler="pb2",
        perturbation_interval=4,
        synch=True,
        storage_path=storage,
        seed=1,
        wait=True,
    )
    assert exp.status == "completed" and len(exp.results.trials) == 4
    assert set(exp.results.trials["status"]) == {"terminated"}
    assert len(exp.results.lineage) >= 1  # PB2 explored: the bounds below are checked
    for config in exp.results.lineage["new_config"]:
        assert 0.1 <= config["h"] <= 0.9


def test_default_mutations_follow_the_space():
    from ray.tune.search.sample import Float, Integer

    from tunebook.engine._pbt import Clip, bounds, mutations

    ray_space = tb.Space(
        {
            "lr": tb.loguniform(1e-4, 1e-1),
            "depth": tb.randint(2, 10),
            "kind": tb.choice(["a", "b"]),
            "grid": tb.grid([1, 2]),
            "fixed": 3,
            "opt": {"m": tb.uniform(0, 1)},
        }
    ).to_ray()
    found = mutations(ray_space)
    assert set(found) == {"lr", "depth", "kind", "grid", "opt"}
    assert isinstance(found["lr"], Float) and isinstance(found["depth"], Integer)
    assert found["kind"] == ["a", "b"] and found["grid"] == [1, 2]
    assert isinstance(found["opt"]["m"], Float)
    assert bounds(ray_space) == {"lr": [1e-4, 1e-1], "depth": [2.0, 9.0], "opt": {"m": [0.0, 1.0]}}
    clipped = Clip(ray_space)({"lr": 0.5, "depth": 11, "kind": "a", "opt": {"m": -0.2}})
    assert clipped == {"lr": 0.1, "depth": 9, "kind": "a", "opt": {"m": 0.0}}
