"""The stop flags set from the notebook and read by Ray Tune's loop."""

from __future__ import annotations

import pickle

from tunebook.engine._control import StopControl


def test_the_stop_control_pickles_without_its_lock():
    control = StopControl()
    control.request_stop_trial("t1")
    again = pickle.loads(pickle.dumps(control))
    assert again("t1", {}) and not again("t2", {}) and not again.stop_all()
    control.request_stop_all()
    assert pickle.loads(pickle.dumps(control)).stop_all()
