"""A clock the tests move by hand (the dashboard's and its throttle's), instead of sleeping."""

from __future__ import annotations


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now
