"""When to refresh: a counter gate, a time gate and a final flush, with an injectable clock."""

from __future__ import annotations

import time
from collections.abc import Callable


class Throttle:
    """Lets a refresh through at most every ``interval`` seconds, and only when something new
    happened (``min_new`` events since the last refresh). ``flush=True`` always passes.

    As tqdm does, the cheap counter check comes before reading the clock; the clock is
    injectable so that tests need no sleeps.

    Example:
        >>> now = [0.0]
        >>> gate = Throttle(interval=0.5, clock=lambda: now[0])
        >>> gate.due(new=3), gate.due(new=3)
        (True, False)
        >>> now[0] = 0.6; gate.due(new=1)
        True
    """

    def __init__(
        self, interval: float = 0.5, min_new: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.min_new = min_new
        self.clock = clock
        self._last: float | None = None

    def due(self, new: int, flush: bool = False) -> bool:
        """Whether to refresh now, given ``new`` events since the last refresh."""
        if not flush and new < self.min_new:
            return False
        now = self.clock()
        if flush or self._last is None or now - self._last >= self.interval:
            self._last = now
            return True
        return False
