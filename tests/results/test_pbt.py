"""PBT read from the fold: the hyperparameter schedule of a member's final model."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.logs import pbt_log
from tunebook.errors import OptionError
from tunebook.events import EventLog
from tunebook.figures import lineage_info
from tunebook.results import Results


def test_schedule_walks_back_through_the_donors():
    results = Results(pbt_log())
    assert results.lineage["trained"].tolist() == [True, True, False]
    assert results.lineage["recipient"].tolist() == ["a", "b", "a"]
    expected_b = pd.DataFrame(
        {
            "start": [0, 4, 6],
            "end": [4, 6, 8],
            "trained_by": ["b", "a", "b"],
            "config/h": [2.0, 2.4, 2.88],
        }
    )
    pd.testing.assert_frame_equal(results.schedule("b"), expected_b, check_dtype=False)
    expected_a = pd.DataFrame(
        {"start": [0, 4], "end": [4, 8], "trained_by": ["b", "a"], "config/h": [2.0, 2.4]}
    )
    pd.testing.assert_frame_equal(results.schedule("a"), expected_a, check_dtype=False)
    # the last exploit of a never trained: a's config stays the one it ran with
    assert results.trials.set_index("trial_id")["config/h"].to_dict() == {"a": 2.4, "b": 2.88}
    with pytest.raises(OptionError, match="no trial 'c'"):
        results.schedule("c")


def test_a_donor_cloned_before_it_trained_under_its_own_exploit_hands_on_that_exploit():
    """Ray gives a member the donor's checkpoint and config at the exploit: when c clones b
    right after b cloned a (b has not reported since), c's model is a's, through b's exploit,
    in the schedule and in the lineage view alike."""
    log = EventLog()
    log.append("experiment_started", name="pbt", metric="acc", mode="max")
    for trial, h in (("a", 1.0), ("b", 2.0), ("c", 3.0)):
        log.append("trial_started", trial_id=trial, config={"h": h})
        for i in (1, 2):
            log.append("result", trial_id=trial, iteration=i, metrics={"acc": h * i})

    def exploit(recipient, donor, new_h):
        log.append(
            "exploit",
            recipient=recipient,
            donor=donor,
            step=2,
            donor_step=2,
            new_config={"h": new_h},
            donor_config={},
            operations={},
        )

    exploit("b", "a", 1.2)  # b goes on from a's model, with h 1.2
    exploit("c", "b", 1.44)  # c clones b before b reported again: a's model, b's new h
    for trial in ("b", "c"):
        log.append("trial_started", trial_id=trial, config={})
        log.append("result", trial_id=trial, iteration=3, metrics={"acc": 9.0})
    results = Results(log)
    schedule = results.schedule("c")
    assert schedule["trained_by"].tolist() == ["a", "b", "c"]
    assert schedule["config/h"].tolist() == [1.0, 1.2, 1.44]
    (edge_b, edge_c) = lineage_info(results.state).edges
    assert (edge_c.donor, edge_c.recipient) == ("b", "c")
    assert edge_c.donor_level == next(  # drawn from b's second segment, the exploit's
        s.level for s in lineage_info(results.state).stretches if s.member == "b" and s.x == (3,)
    )
