"""Hops answer within 2 s whatever the database or Redis does, and are served once it is back."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.engine import make_url

from tests.faults.redis_server import RedisServer
from tests.faults.service import Reply, Service

pytestmark = pytest.mark.committed  # the service's own processes

BUDGET = 2.0
RECOVERY = 10.0
BURST = 8
LOOKUP = ("1", "1", "123456")  # a status lookup: Redis and the database on every dial
_phones = itertools.count(1)


def _dial(service: Service) -> list[Reply]:
    """A status lookup from a new caller (whose language is looked up too)."""
    return service.dial(*LOOKUP, phone=f"+2547112{next(_phones):05d}")


def _served(replies: list[Reply]) -> bool:
    """A whole dial went through, down to the database's answer."""
    return all(r.status == 200 for r in replies) and "Not found" in replies[-1].body


def _polite(replies: list[Reply]) -> None:
    for reply in replies:
        assert reply.status == 200 and reply.body[:4] in ("CON ", "END "), reply
        assert reply.seconds < BUDGET, reply


def _burst(service: Service) -> list[Reply]:
    """Callers dialling at once, as a busy hour sends them."""
    with ThreadPoolExecutor(BURST) as pool:
        dials = list(pool.map(lambda _: _dial(service), range(BURST)))
    return [reply for dial in dials for reply in dial]


def _recovery(service: Service) -> float:
    """Seconds until a whole dial is served again (bounded)."""
    began = time.monotonic()
    while time.monotonic() - began < 3 * RECOVERY:
        if _served(_dial(service)):
            return time.monotonic() - began
        time.sleep(0.2)
    return float("inf")


def _through(url: str, port: int) -> str:
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


@pytest.mark.parametrize("fault", ["blackhole", "reset"])
def test_a_database_fault_gets_polite_answers_in_time(service, postgres_proxy, fault):
    service.database_url = _through(service.database_url, postgres_proxy.port)
    service.start_callbacks()
    assert _served(_dial(service))
    getattr(postgres_proxy, fault)()
    replies = _burst(service) + [r for _ in range(4) for r in _dial(service)]
    _polite(replies)
    assert any("busy" in r.body for r in replies)
    postgres_proxy.pass_through()
    assert _recovery(service) < RECOVERY


def _freeze(server: RedisServer) -> Callable[[], object]:
    server.freeze()
    return server.thaw


def _stop(server: RedisServer) -> Callable[[], object]:
    server.stop()
    return server.start


def _restart_empty(server: RedisServer) -> Callable[[], object]:
    server.stop()
    return server.restart_empty


@pytest.mark.parametrize("fault", [_freeze, _stop, _restart_empty])
def test_a_redis_fault_gets_polite_answers_in_time(service, redis_server, fault):
    service.redis_url = redis_server.url
    service.start_callbacks()
    assert _served(_dial(service))
    heal = fault(redis_server)
    replies = _burst(service) + [r for _ in range(4) for r in _dial(service)]
    _polite(replies)
    heal()
    assert _recovery(service) < RECOVERY
