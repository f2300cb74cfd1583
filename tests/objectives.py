"""Trial functions that tests in several files run on the session's Ray."""

from __future__ import annotations

import warnings

import tunebook as tb


def quadratic(config):
    for step in range(1, 6):
        tb.report(loss=(config["x"] - 0.3) ** 2 + 1 / step, step_name=f"s{step}", warm=step < 3)


def bowl(config):
    for step in range(1, 5):
        tb.report(loss=(config["x"] - 0.3) ** 2 + (config["y"] - 0.7) ** 2 + 1 / step)


def counter(config):
    """A member whose state is a counter: after an exploit it must go on from the donor's."""
    state = tb.restore() or {"count": 0}
    while state["count"] < 12:
        state["count"] += 1
        tb.report(score=state["count"] * (1 - config["h"]), count=state["count"], state=state)


def chatty(config):
    print("starting with", config["x"])
    warnings.warn("this model is a toy", stacklevel=1)
    for step in range(1, 4):
        print("epoch", step)
        tb.report(acc=step * config["x"])


#: The score each step reports: best at step 3, worse after it.
SCORES = [0.1, 0.5, 0.9, 0.4, 0.2]


def zigzag(config):
    state = tb.restore() or {"step": 0}
    for step in range(state["step"], len(SCORES)):
        tb.report(score=SCORES[step] * config["q"], state={"step": step + 1})
