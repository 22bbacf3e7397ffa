"""HTTP calls with a deadline for the whole exchange: connecting, sending and every byte back.

requests bounds each socket operation, not the exchange, so an answer dribbled a few bytes at a
time never times out. Here a watchdog thread shuts the socket of a call still running at its
deadline: the call fails at once and is reported as DeadlinePassed, a requests.Timeout.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, ProxyManager
from urllib3.connection import HTTPConnection, HTTPSConnection

from ops.deadlines import Watchdog

# The watch of the call this thread is making: a connection finds it here when it is used.
_current = threading.local()


class DeadlinePassed(requests.Timeout):
    """The whole answer did not arrive before the call's deadline."""


class Watch:
    """One call's deadline and the connection the call is using."""

    __slots__ = ("deadline", "expired", "_conn", "_over", "_lock")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._conn: HTTPConnection | None = None
        self._over = False
        self._lock = threading.Lock()

    def attach(self, conn: HTTPConnection) -> None:
        """Follow `conn`; if the deadline has already passed, cut it at once."""
        with self._lock:
            self._conn = conn
            if self.expired:
                _cut(conn)

    def expire(self) -> None:
        """The deadline has come: cut the connection, unless the call is over."""
        with self._lock:
            if not self._over:
                self.expired = True
                if self._conn is not None:
                    _cut(self._conn)

    def finish(self) -> bool:
        """End the watch; say whether the deadline cut the call (what it read may be cut short)."""
        with self._lock:
            self._over, self._conn = True, None
            return self.expired


def _cut(conn: HTTPConnection) -> None:
    sock = conn.sock
    if sock is None:
        return  # still connecting: the connect timeout is below the deadline; attach cuts it
    try:
        # The plain socket's shutdown, also under TLS: a blocked read returns at once.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


@contextmanager
def within(watchdog: Watchdog, seconds: float) -> Iterator[Watch]:
    """Give the HTTP call made in the block (on a watched session) `seconds` in all.

    A call the deadline cut raises DeadlinePassed even if it returned: a socket shut mid-head
    can look like a complete, empty answer.
    """
    watch = Watch(time.monotonic() + seconds)
    watchdog.schedule(watch.deadline, watch)
    _current.watch = watch
    try:
        yield watch
    except Exception as exc:  # whatever a cut socket raised, the deadline is the cause
        if watch.finish():
            raise DeadlinePassed(f"no whole answer within {seconds:g} s") from exc
        raise
    finally:
        _current.watch = None
        cut = watch.finish()  # always: a pooled connection must never be cut later
    if cut:
        raise DeadlinePassed(f"no whole answer within {seconds:g} s")


def _follow(conn: HTTPConnection) -> None:
    watch: Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(conn)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _follow(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _follow(self)  # a kept-alive connection is not connected again
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _follow(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _follow(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """A requests adapter whose connections (direct or through a proxy) a watch can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):  # a SOCKS manager keeps its own pools
            manager.pool_classes_by_scheme = POOLS
        return manager


def watched_session() -> requests.Session:
    """A session whose calls `within` can bound as a whole."""
    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, WatchedAdapter())
    return session
