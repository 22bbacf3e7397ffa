"""Circuit breakers: after a dependency fails, fail fast for a while instead of waiting on it.

Closed: calls go through. One failure opens the breaker: for `open_seconds` callers are told at
once that the dependency is down. Then one caller at a time probes it (half open): a success
closes the breaker, a failure opens it again. Each process keeps its own breakers.
"""

from __future__ import annotations

import threading
import time
from enum import StrEnum

from ops.metrics import BREAKER_OPEN, DEPENDENCY_ERRORS


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Breaker:
    """The breaker of one dependency in this process."""

    def __init__(self, name: str, open_seconds: float) -> None:
        self.name = name
        self.open_seconds = open_seconds
        self._lock = threading.Lock()
        self._state = State.CLOSED
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> State:
        return self._state

    def allow(self) -> bool:
        """True when a call may go to the dependency now."""
        with self._lock:
            if self._state is State.CLOSED:
                return True
            if time.monotonic() - self._opened_at < self.open_seconds or self._probing:
                return False
            self._state, self._probing = State.HALF_OPEN, True
            return True

    def cancel_probe(self) -> None:
        """A probe granted by `allow` will not be made after all: let the next caller probe."""
        with self._lock:
            self._probing = False

    def succeeded(self) -> None:
        """The dependency answered: close the breaker."""
        if self._state is State.CLOSED:  # the common case, without the lock
            return
        with self._lock:
            self._state, self._probing = State.CLOSED, False
            BREAKER_OPEN.labels(self.name).set(0)

    def failed(self, kind: str) -> None:
        """The dependency failed (`kind` names how): open the breaker."""
        DEPENDENCY_ERRORS.labels(self.name, kind).inc()
        with self._lock:
            self._state, self._opened_at, self._probing = State.OPEN, time.monotonic(), False
            BREAKER_OPEN.labels(self.name).set(1)


class Breakers:
    """The breakers of the dependencies a hop needs."""

    def __init__(self, open_seconds: float) -> None:
        self.database = Breaker("database", open_seconds)
        self.redis = Breaker("redis", open_seconds)

    def allow(self) -> bool:
        """True when both dependencies may be called now."""
        if not self.database.allow():
            return False
        if self.redis.allow():
            return True
        self.database.cancel_probe()
        return False
