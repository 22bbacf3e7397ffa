"""Lookups on a read replica while it answers; on the primary, automatically, while it does not.

The lookup engine's connections are made to the replica. When one cannot be made, that
connection and the next ones go to the primary for `retry_seconds`; then one new connection
tries the replica again (one at a time, like a breaker's half-open probe). Pooled connections to
the primary are swapped for new ones whenever the replica may be tried, so lookups return to the
replica by themselves once it answers.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

log = logging.getLogger(__name__)
ON_PRIMARY = "on_primary"  # connection record info: this connection went to the primary


@dataclass(slots=True)
class Fallback:
    """Where the next lookup connection goes: the replica, or the primary while it is down."""

    primary_url: str
    retry_seconds: float
    up: bool = True
    retry_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def try_replica(self) -> bool:
        """True when a new connection should try the replica (while down: one every interval)."""
        with self._lock:
            if self.up:
                return True
            if time.monotonic() < self.retry_at:
                return False
            self.retry_at = time.monotonic() + self.retry_seconds
            return True

    def due(self) -> bool:
        """True when a connection to the primary should make way for one to the replica."""
        return self.up or time.monotonic() >= self.retry_at

    def answered(self) -> None:
        """The replica took a connection: lookups go back to it."""
        if not self.up:
            log.warning("database: the read replica answers again; lookups go back to it")
        self.up = True

    def failed(self, exc: Exception) -> None:
        """The replica took no connection: lookups go to the primary for a while."""
        with self._lock:
            if self.up:
                log.warning("database: read replica unreachable (%s); lookups use the primary",
                            type(exc).__name__)  # fmt: skip
            self.up, self.retry_at = False, time.monotonic() + self.retry_seconds

    def primary_params(self, engine: Engine, connect_args: dict[str, Any]) -> dict[str, Any]:
        """How the engine's dialect connects to the primary, with the engine's own options."""
        _cargs, cparams = engine.dialect.create_connect_args(make_url(self.primary_url))
        return {**cparams, **connect_args}


def swap_primary_connections(engine: Engine, fallback: Fallback) -> None:
    """Give up a pooled connection to the primary at checkout once the replica may answer."""

    @event.listens_for(engine, "checkout")
    def _checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get(ON_PRIMARY) and fallback.due():
            raise DisconnectionError("the read replica may answer again")
