"""The fault proxy in each mode, in front of the test PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import psycopg
import pytest

from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.postgres
HUNG = 0.5  # long enough to call a call hung on this machine, short enough to keep tests quick


@pytest.fixture()
def background(postgres_proxy: FaultProxy) -> Iterator[ThreadPoolExecutor]:
    """Run calls that may hang; any still hanging is freed by a reset before joining."""
    pool = ThreadPoolExecutor(max_workers=2)
    yield pool
    postgres_proxy.reset()
    pool.shutdown(wait=True)


def _hangs(call: Future[Any]) -> bool:
    return not wait([call], timeout=HUNG).done


def test_pass_reaches_the_real_server_and_counts_connections(postgres_backend, postgres_proxy):
    with postgres_backend.via(postgres_proxy.port).connect() as conn:
        row = conn.execute("SELECT current_database(), inet_server_port()").fetchone()
    assert row == (postgres_backend.dbname, postgres_backend.port)
    assert postgres_proxy.accepted == 1


def test_blackhole_hangs_a_query_until_the_network_heals(
    postgres_backend, postgres_proxy, background
):
    conn = postgres_backend.via(postgres_proxy.port).connect(autocommit=True)
    postgres_proxy.blackhole()
    query = background.submit(lambda: conn.execute("SELECT 41 + 1").fetchone())
    assert _hangs(query)
    postgres_proxy.pass_through()
    assert query.result(timeout=5) == (42,)
    conn.close()


def test_blackhole_hangs_new_connections_and_a_reset_ends_them(
    postgres_backend, postgres_proxy, background
):
    postgres_proxy.blackhole()
    dialling = background.submit(postgres_backend.via(postgres_proxy.port).connect)
    assert _hangs(dialling) and postgres_proxy.accepted == 1
    postgres_proxy.reset()
    with pytest.raises(psycopg.OperationalError):
        dialling.result(timeout=2)


def test_reset_breaks_open_connections_and_refuses_new_ones_at_once(
    postgres_backend, postgres_proxy
):
    through = postgres_backend.via(postgres_proxy.port)
    conn = through.connect(autocommit=True)
    postgres_proxy.reset()
    began = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError, match="refused"):
        through.connect()
    assert time.monotonic() - began < 1.0
    conn.close()


def test_slow_adds_its_delay_to_every_round_trip(postgres_backend, postgres_proxy):
    with postgres_backend.via(postgres_proxy.port).connect(autocommit=True) as conn:
        postgres_proxy.slow = 0.15
        began = time.monotonic()
        conn.execute("SELECT 1")
        assert 0.3 <= time.monotonic() - began < 1.5
