"""PBT read from the fold: the hyperparameter schedule of a member's final model."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.logs import pbt_log
from tunebook.errors import OptionError
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
