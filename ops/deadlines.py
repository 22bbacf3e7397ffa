"""Deadlines kept by a watchdog thread: whatever is still running at its deadline is expired.

A timeout on a socket bounds each read, not a whole exchange, and a server-side statement timeout
never arrives over a network that drops packets. Code that must end by a deadline schedules a
watch here; at the deadline the watchdog calls its `expire`, which cuts the connection, so the
blocked call fails at once and its caller can answer.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from typing import Protocol

# Deadlines are rounded up to this step, so the many watches of a busy process share one wake-up
# per step instead of one each (each wake-up is a thread switch that takes the GIL).
TICK = 0.05


class Expiring(Protocol):
    """Something a deadline ends."""

    def expire(self) -> None:
        """The deadline has come."""


class Watchdog:
    """One thread expiring what is due; it stops when nothing is left and restarts on demand."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._heap: list[tuple[float, int, Expiring]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, deadline: float, item: Expiring) -> None:
        """Expire `item` at monotonic time `deadline`, up to TICK late (ended items ignore it)."""
        deadline = math.ceil(deadline / TICK) * TICK
        with self._wake:
            heapq.heappush(self._heap, (deadline, next(self._order), item))
            if self._thread is None or not self._thread.is_alive():  # none yet, or forked
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            elif self._heap[0][2] is item:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while (pause := self._expire_due()) is not None:
                self._wake.wait(pause)
            self._thread = None

    def _expire_due(self) -> float | None:
        """Expire everything that is due; return the time to the next deadline (None: none)."""
        now = time.monotonic()
        while self._heap and self._heap[0][0] <= now:
            heapq.heappop(self._heap)[2].expire()
        return self._heap[0][0] - now if self._heap else None
