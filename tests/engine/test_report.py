"""What a trial function calls: report and restore, outside a trial and across a retry."""

from __future__ import annotations

from pathlib import Path

import pytest

import tunebook as tb
from tunebook.errors import TunebookError


def test_report_outside_a_trial_says_what_to_do():
    with pytest.raises(tb.TunebookError, match="outside a trial"):
        tb.report(acc=1)


def test_restore_outside_a_trial_says_where_it_works():
    with pytest.raises(TunebookError, match="restore\\(\\) was called outside a trial"):
        tb.restore()


@pytest.mark.usefixtures("ray_session")
def test_keep_checkpoints_keeps_the_last_n_and_a_retry_restores_its_own_state(storage):
    def flaky(config):
        state = tb.restore() or {"step": 0}
        fresh = state["step"] == 0
        while state["step"] < 5:
            if fresh and state["step"] == 3:
                raise RuntimeError("a crash after step 3")
            state["step"] += 1
            tb.report(step=state["step"], state=dict(state))

    exp = tb.run(
        flaky,
        {"x": tb.uniform(0, 1)},
        metric="step",
        mode="max",
        num_samples=1,
        keep_checkpoints=2,
        max_failures=1,
        storage_path=storage,
        wait=True,
    )
    assert exp.status == "completed"
    history = exp.results.history
    assert history["step"].tolist() == [1, 2, 3, 4, 5]  # after the retry: 4 and 5, not 1 again
    checkpoints = sorted(Path(storage, ".ray", exp.name).glob("*/checkpoint_*"))
    assert len(checkpoints) == 2
