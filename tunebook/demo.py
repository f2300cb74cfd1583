"""The demo: tune a small neural network on scikit-learn's digits, epoch by epoch, with ASHA.

Everything it needs ships with scikit-learn (no download). Each trial trains an
``MLPClassifier`` one epoch at a time (``partial_fit``) and reports the validation accuracy
after each epoch, so ASHA can stop the poor configurations early.

Example:
    >>> from tunebook.demo import run_demo
    >>> exp = run_demo(num_samples=40)  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from tunebook.engine import Experiment, report, run
from tunebook.space import choice, loguniform

#: The search space of the demo.
SPACE = {
    "hidden": choice([8, 16, 32, 64, 128]),
    "alpha": loguniform(1e-6, 1e-1),
    "learning_rate": loguniform(1e-4, 3e-1),
    "batch_size": choice([16, 64, 256]),
}


def digits_objective(config: dict[str, Any]) -> None:
    """Train an MLP on digits for ``config["epochs"]`` epochs; report accuracy per epoch."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
    model = MLPClassifier(
        hidden_layer_sizes=(config["hidden"],),
        alpha=config["alpha"],
        learning_rate_init=config["learning_rate"],
        batch_size=config["batch_size"],
        random_state=0,
    )
    classes = np.unique(y)
    rng = np.random.default_rng(0)
    for _epoch in range(config["epochs"]):
        order = rng.permutation(len(X_train))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(X_train[order], y_train[order], classes=classes)
        report(val_acc=float(model.score(X_val, y_val)), train_loss=float(model.loss_))


def run_demo(
    num_samples: int = 40,
    epochs: int = 30,
    storage_path: str | Path | None = None,
    seed: int | None = 0,
    name: str | None = None,
) -> Experiment:
    """Start the demo experiment (ASHA over ``num_samples`` configurations) and return it."""
    return run(
        digits_objective,
        {**SPACE, "epochs": epochs},
        metric="val_acc",
        mode="max",
        num_samples=num_samples,
        scheduler="asha",
        max_t=epochs,
        grace_period=2,
        reduction_factor=3,
        storage_path=storage_path,
        seed=seed,
        name=name,
    )
