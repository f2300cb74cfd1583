"""Ray Train trainers as trials: a real TorchTrainer (PyTorch on the CPU, two workers) on the
session's Ray."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import ray.train
import torch
from ray.train import ScalingConfig
from ray.train.torch import TorchTrainer

import tunebook as tb
from tunebook.dashboard import Dashboard
from tunebook.errors import OptionError

EPOCHS = 3


def create_model(hidden_size: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(4, hidden_size), torch.nn.ReLU(), torch.nn.Linear(hidden_size, 1)
    )


def train_func(config):
    """The seed's train function, with a real model: each worker fits its shard, rank 0
    saves the model with each report."""
    context = ray.train.get_context()
    model = ray.train.torch.prepare_model(create_model(config["hidden_size"]))
    optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"])
    generator = torch.Generator().manual_seed(context.get_world_rank())
    x = torch.randn(256, 4, generator=generator)
    y = x.sum(dim=1, keepdim=True)
    for epoch in range(EPOCHS):
        for batch in range(0, len(x), 32):
            loss = torch.nn.functional.mse_loss(model(x[batch : batch + 32]), y[batch : batch + 32])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with tempfile.TemporaryDirectory() as folder:
            checkpoint = None
            if context.get_world_rank() == 0:
                weights = getattr(model, "module", model).state_dict()  # without DDP
                torch.save(weights, os.path.join(folder, "model.pt"))
                checkpoint = ray.train.Checkpoint.from_directory(folder)
            ray.train.report(
                {"loss": loss.item(), "epoch": epoch, "workers": context.get_world_size()},
                checkpoint=checkpoint,
            )


SPACE = {
    "train_loop_config": {
        "lr": tb.loguniform(1e-3, 1e-1),
        "hidden_size": tb.choice([8, 16]),
    }
}


@pytest.mark.usefixtures("ray_session")
@pytest.mark.heavy
def test_a_torch_trainer_is_tuned_over_its_train_loop_config(storage):
    trainer = TorchTrainer(train_func, scaling_config=ScalingConfig(num_workers=2))
    exp = tb.run(
        trainer,
        SPACE,
        metric="loss",
        mode="min",
        num_samples=2,
        keep_checkpoints=1,
        seed=3,
        storage_path=storage,
        wait=True,
    )
    results = exp.results
    trials = results.trials
    assert (trials["status"] == "terminated").all() and len(trials) == 2
    assert (trials["iterations"] == EPOCHS).all()
    assert set(trials["config/train_loop_config/hidden_size"]) <= {8, 16}
    assert trials["resources"].tolist() == ["cpu=2", "cpu=2"]  # the two workers'
    assert results.settings["trainer"] == {
        "class": "TorchTrainer",
        "num_workers": 2,
        "resources_per_worker": {"cpu": 1.0},
    }
    # the workers' ray.train.report metrics are the trial's reports
    history = results.history
    assert (history["workers"] == 2).all() and len(history) == 2 * EPOCHS
    assert "checkpoint_path" not in history.columns  # recorded as a checkpoint instead
    # the best trial's checkpoint holds the model its workers trained
    best = results.best()
    assert Path(best.checkpoint, "model.pt").is_file() and len(best.checkpoints) == 1
    state = torch.load(Path(best.checkpoint, "model.pt"))
    size = best.config["train_loop_config"]["hidden_size"]
    assert state["0.weight"].shape == (size, 4)
    # and the dashboard draws them like any trial's
    dashboard = Dashboard(results, start=False)
    drawn = {name: len(y) for name, (_, y) in dashboard._pool.drawn().items()}
    assert drawn == dict.fromkeys(trials["trial_id"], EPOCHS)


@pytest.mark.usefixtures("ray_session")
def test_the_seeds_four_workers_do_not_fit_two_cpus_and_say_so():
    """The seed's example asks for ScalingConfig(num_workers=4): on this 2-CPU Ray its workers
    could never all start, and Ray Train would wait forever."""
    trainer = TorchTrainer(train_func, scaling_config=ScalingConfig(num_workers=4))
    with pytest.raises(OptionError, match=r"4 workers .* the cluster has 2.*num_workers=2"):
        tb.run(trainer, SPACE, metric="loss", mode="min", num_samples=20)


@pytest.mark.parametrize(
    ("space", "options", "message"),
    [
        ({"lr": tb.uniform(0, 1)}, {}, "tuned over its train_loop_config"),
        (SPACE, {"resources_per_trial": {"cpu": 1}}, "ScalingConfig"),
        (SPACE, {"adaptive_resources": True}, "adaptive_resources does not apply"),
        (SPACE, {"with_parameters": {"data": 1}}, "datasets="),
    ],
)
def test_what_does_not_apply_to_a_trainer_is_refused(space, options, message):
    trainer = TorchTrainer(train_func, scaling_config=ScalingConfig(num_workers=1))
    with pytest.raises(OptionError, match=message):
        tb.run(trainer, space, metric="loss", mode="min", **options)
