"""Waits between attempts: doubling up to a cap, starting over after a long enough run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class Backoff:
    """Delays of base, 2 x base, 4 x base... up to `cap`; a run of `settle` seconds starts over."""

    base: float = 1.0
    cap: float = 30.0
    settle: float = 60.0
    failures: int = 0

    def next_delay(self, ran_for: float = 0.0) -> float:
        """Count a failure after `ran_for` seconds of running; return the wait before retrying."""
        self.failures = 1 if ran_for >= self.settle else self.failures + 1
        return float(min(self.cap, self.base * 2 ** min(self.failures - 1, 30)))


def nap(seconds: float, stopping: Callable[[], bool], step: float = 0.2) -> None:
    """Sleep for `seconds`, waking early once `stopping()` is true."""
    deadline = time.monotonic() + seconds
    while not stopping() and time.monotonic() < deadline:
        time.sleep(min(step, max(0.0, deadline - time.monotonic())))
