"""PgBouncer in transaction pooling: what works through it and what a start-up option breaks."""

from __future__ import annotations

import socket
from typing import Any

import psycopg
import pytest
from psycopg import errors

from tests.faults import pgbouncer as pgbouncer_module
from tests.faults.processes import free_port

pytestmark = pytest.mark.postgres
TIMEOUT = "-c statement_timeout=100"


def _show_timeout(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SHOW statement_timeout").fetchone()
    assert row is not None
    return str(row[0])


def test_a_transaction_keeps_one_server_connection(pgbouncer):
    with pgbouncer.target.connect(prepare_threshold=None) as conn:
        with conn.transaction():
            first = conn.execute("SELECT pg_backend_pid(), txid_current()").fetchone()
            for number in range(10):  # repeated enough that psycopg would otherwise prepare it
                conn.execute("SELECT %s::int", (number,))
            again = conn.execute("SELECT pg_backend_pid(), txid_current()").fetchone()
        assert first == again and conn.info.port == pgbouncer.port
        assert conn.execute("SELECT current_setting('port')::int").fetchone() == (
            pgbouncer.backend.port,
        )


def test_a_start_up_options_parameter_is_refused(pgbouncer):
    with pytest.raises(psycopg.OperationalError, match="unsupported startup parameter: options"):
        pgbouncer.target.connect(options=TIMEOUT)


def test_an_ignored_options_parameter_silently_loses_the_statement_timeout(
    pgbouncer_factory, postgres_backend
):
    bouncer = pgbouncer_factory(ignore_startup_parameters=["options"])
    with postgres_backend.connect(options=TIMEOUT) as direct:
        assert _show_timeout(direct) == "100ms"
    with bouncer.target.connect(options=TIMEOUT, prepare_threshold=None) as pooled:
        assert _show_timeout(pooled) != "100ms"
        pooled.execute("SELECT pg_sleep(0.3)")  # would be cancelled under the timeout


def test_a_session_set_leaks_to_the_next_client_of_the_server_connection(pgbouncer_factory):
    bouncer = pgbouncer_factory(pool_size=1)
    with bouncer.target.connect(autocommit=True, prepare_threshold=None) as first:
        default = _show_timeout(first)
        first.execute("SET statement_timeout = '150ms'")
    with bouncer.target.connect(autocommit=True, prepare_threshold=None) as second:
        assert _show_timeout(second) == "150ms" != default


def test_set_local_bounds_one_transaction_and_leaks_nothing(pgbouncer_factory):
    bouncer = pgbouncer_factory(pool_size=1)
    with bouncer.target.connect(autocommit=True, prepare_threshold=None) as conn:
        default = _show_timeout(conn)
        with pytest.raises(errors.QueryCanceled), conn.transaction():
            conn.execute("SET LOCAL statement_timeout = '100ms'")
            conn.execute("SELECT pg_sleep(1)")
    with bouncer.target.connect(autocommit=True, prepare_threshold=None) as other:
        assert _show_timeout(other) == default


def test_a_taken_port_is_left_for_a_free_one(pgbouncer_factory, monkeypatch):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        taken = squatter.getsockname()[1]
        ports = iter([taken, free_port()])
        monkeypatch.setattr(pgbouncer_module, "free_port", lambda: next(ports))
        bouncer = pgbouncer_factory()
        assert bouncer.port != taken and "Address already in use" in bouncer.log_text()
        with bouncer.target.connect(prepare_threshold=None) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
