"""Pytest fixtures of the fault toolkit; a missing program skips here and fails under CI=true."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.faults.pgbouncer import Pgbouncer, pgbouncer_binary
from tests.faults.postgres import PgTarget
from tests.faults.processes import HOST, BinaryMissing
from tests.faults.proxy import FaultProxy
from tests.faults.redis_server import RedisServer, redis_binary
from tests.faults.sentinel import SentinelCluster, sentinel_command
from tests.faults.slowbody import SlowBodyClients

T = TypeVar("T")
NO_POSTGRES = "needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://user@host:port/db"


def on_ci() -> bool:
    """Tell whether this run is CI's, where every fault must really be exercised."""
    return os.environ.get("CI", "").strip().lower() == "true"


def require(find: Callable[[], T]) -> T:
    """Return what `find` locates; without it skip, or fail when on CI."""
    try:
        return find()
    except BinaryMissing as missing:
        if on_ci():
            pytest.fail(str(missing), pytrace=False)
        pytest.skip(str(missing))


@pytest.fixture()
def postgres_backend(request: pytest.FixtureRequest) -> PgTarget:
    """This test run's PostgreSQL database (skipped without TEST_DATABASE_URL).

    A run split over workers gives each worker a database of its own: the one the tests use.
    """
    if PgTarget.from_environment() is None:
        pytest.skip(NO_POSTGRES)
    target = PgTarget.from_url(request.getfixturevalue("database_url"))
    assert target is not None
    return target


@pytest.fixture()
def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
    """Make started proxies to a backend port on 127.0.0.1; all are stopped afterwards."""
    proxies: list[FaultProxy] = []

    def make(backend_port: int, backend_host: str = HOST, **options: Any) -> FaultProxy:
        proxies.append(FaultProxy(backend_port, backend_host, **options))
        return proxies[-1].start()

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture()
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A throwaway, empty redis-server on a port of its own."""
    server = RedisServer(tmp_path / "redis", binary=require(redis_binary)).start()
    yield server
    server.stop()


@pytest.fixture()
def redis_proxy(redis_server: RedisServer, fault_proxy: Callable[..., FaultProxy]) -> FaultProxy:
    """A fault proxy in front of the throwaway redis-server."""
    return fault_proxy(redis_server.port)


@pytest.fixture()
def postgres_proxy(
    postgres_backend: PgTarget, fault_proxy: Callable[..., FaultProxy]
) -> FaultProxy:
    """A fault proxy in front of the test PostgreSQL."""
    return fault_proxy(postgres_backend.port, postgres_backend.host)


@pytest.fixture()
def sentinel_cluster(tmp_path: Path) -> Iterator[SentinelCluster]:
    """A master, a replica and three sentinels, ready to fail over."""
    require(sentinel_command)
    cluster = SentinelCluster(tmp_path / "sentinel").start()
    yield cluster
    cluster.stop()


@pytest.fixture()
def pgbouncer_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Pgbouncer]]:
    """Make started PgBouncers (transaction pooling by default) in front of the test database."""
    binary = require(pgbouncer_binary)  # checked before the database, so CI fails without it
    backend: PgTarget = request.getfixturevalue("postgres_backend")
    bouncers: list[Pgbouncer] = []

    def make(**options: Any) -> Pgbouncer:
        bouncers.append(Pgbouncer(backend, binary=binary, **options))
        return bouncers[-1].start()

    yield make
    for bouncer in bouncers:
        bouncer.stop()


@pytest.fixture()
def pgbouncer(pgbouncer_factory: Callable[..., Pgbouncer]) -> Pgbouncer:
    """PgBouncer in transaction pooling mode in front of the test database."""
    return pgbouncer_factory()


@pytest.fixture()
def slow_clients() -> Iterator[Callable[..., SlowBodyClients]]:
    """Open groups of slow-body HTTP clients to a port; all are closed afterwards."""
    groups: list[SlowBodyClients] = []

    def make(port: int, count: int, **options: Any) -> SlowBodyClients:
        groups.append(SlowBodyClients(port, count, **options))
        return groups[-1].open()

    yield make
    for group in groups:
        group.close()
