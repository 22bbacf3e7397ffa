"""Client-side deadlines for database work: a connection held past its deadline is cut.

Work inside `deadline(seconds)` has each connection it checks out watched; one still held at the
deadline has its socket shut (a statement timeout cannot reach a client over a network that drops
packets), so the read blocked on it fails at once and the pool throws the connection away.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from ops.deadlines import Watchdog

log = logging.getLogger(__name__)
WATCHDOG = Watchdog("db-deadlines")
_local = threading.local()


class Held:
    """A connection checked out inside a deadline, until it is given back."""

    __slots__ = ("dbapi_connection", "back")

    def __init__(self, dbapi_connection: Any) -> None:
        self.dbapi_connection = dbapi_connection
        self.back = False

    def expire(self) -> None:
        """Cut the connection, unless it was given back in time."""
        if not self.back:
            _sever(self.dbapi_connection)


def _sever(dbapi_connection: Any) -> None:
    fileno = getattr(getattr(dbapi_connection, "pgconn", None), "socket", -1)
    if fileno < 0:
        return  # SQLite: nothing on a network to wait for
    log.warning("database: a connection outlived its deadline; cutting it")
    try:
        with socket.socket(fileno=os.dup(fileno)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Database work in this block (this thread) must finish within `seconds`."""
    previous = getattr(_local, "until", None)
    _local.until = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.until = previous


def guard(engine: Engine) -> None:
    """Watch every connection `engine` hands out inside a `deadline` block."""

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        until = getattr(_local, "until", None)
        if until is not None:
            held = record.info["held"] = Held(dbapi_connection)
            WATCHDOG.schedule(until, held)

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        held = record.info.pop("held", None)
        if held is not None:
            held.back = True
