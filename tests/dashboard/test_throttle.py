"""The throttle that paces the dashboard's refreshes."""

from __future__ import annotations

from tests.clock import Clock
from tunebook.dashboard import Throttle


def test_throttle_counter_gate_time_gate_and_flush():
    clock = Clock()
    gate = Throttle(interval=1.0, clock=clock)
    assert gate.due(new=1)
    assert not gate.due(new=5)  # too soon
    clock.now = 1.5
    assert not gate.due(new=0)  # nothing new
    assert gate.due(new=1)
    assert gate.due(new=0, flush=True)  # the final refresh always passes
