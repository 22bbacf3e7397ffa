"""Engines and session factories for SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from psycopg import ClientCursor
from sqlalchemy import Engine, create_engine, event, text, update
from sqlalchemy.orm import Session, sessionmaker

from models.replica import ON_PRIMARY, Fallback, swap_primary_connections

# Execution option of a lookup engine: the text sent before each statement, in the same message.
LOOKUP_PREFIX = "lookup_prefix"


@dataclass(frozen=True, slots=True)
class Waits:
    """How long a client waits on the database before it gives up, in seconds."""

    connect: float = 1.0  # a new connection (psycopg rounds its own timeout up to 2 s)
    tcp_user: float = 5.0  # data sent and not acknowledged (a network that drops packets)
    keepalive_idle: float = 10.0  # then probes every 3 s, 3 times, on an idle connection


@dataclass(frozen=True, slots=True)
class PoolSize:
    """Connections an engine keeps open, and how many more it may open in a burst."""

    size: int = 2
    overflow: int = 2


def make_engine(
    url: str,
    *,
    pre_ping: bool = False,
    autocommit: bool = False,
    statement_seconds: float = 0.0,
    waits: Waits = Waits(),
    pool: PoolSize = PoolSize(),
    fallback: Fallback | None = None,
) -> Engine:
    """Create a pooled engine tuned for the backend the URL names.

    `autocommit` engines serve lookups that write nothing (no BEGIN and COMMIT round trips).
    `statement_seconds` caps every statement (and, on SQLite, every wait for the write lock).
    With a `fallback`, `url` is a read replica and connections go to the primary while it is down.
    Nothing here needs a session of its own on the server: it runs behind PgBouncer's
    transaction pooling (no prepared statements, no start-up options, caps per transaction).
    """
    if url.startswith("sqlite"):
        return _sqlite_engine(url, autocommit, statement_seconds)
    ms = max(int(statement_seconds * 1000), 1) if statement_seconds else 0
    connect_args = {**_libpq_waits(waits), "prepare_threshold": None}
    kwargs: dict[str, Any] = {
        "connect_args": connect_args,
        "hide_parameters": True,  # bound values hold phone and ID numbers: keep them out of logs
    }
    if autocommit:
        kwargs["isolation_level"] = "AUTOCOMMIT"
        kwargs["execution_options"] = {LOOKUP_PREFIX: _cap_text(ms)}
    # A web process does not ping on checkout: it costs a round trip on every hop. A connection
    # that died is detected on use, the pool is invalidated and that one request answers "busy".
    kwargs.update(pool_size=pool.size, max_overflow=pool.overflow, pool_timeout=2,
                  pool_recycle=1800, pool_pre_ping=pre_ping)  # fmt: skip
    engine = create_engine(url, **kwargs)
    primary = fallback.primary_params(engine, connect_args) if fallback else None
    _connect_within(engine, waits.connect, fallback, primary)
    if fallback is not None:
        swap_primary_connections(engine, fallback)
    if ms and autocommit:
        _cap_each_statement(engine, _cap_text(ms))
    elif ms:
        _cap_each_transaction(engine, ms)
    return engine


def _libpq_waits(waits: Waits) -> dict[str, Any]:
    """libpq's connection options that bound every wait on the socket."""
    return {
        "connect_timeout": max(2, int(waits.connect + 0.999)),
        "keepalives": 1,
        "keepalives_idle": max(1, int(waits.keepalive_idle)),
        "keepalives_interval": 3,
        "keepalives_count": 3,
        "tcp_user_timeout": int(waits.tcp_user * 1000),
    }


def _cap_text(ms: int) -> str:
    return f"SET LOCAL statement_timeout = {ms}; " if ms else ""


def _cap_each_statement(engine: Engine, cap: str) -> None:
    """Send each statement of an autocommit engine behind `cap`, in one message.

    Several statements in one simple-protocol message run as one implicit transaction, so the
    SET LOCAL bounds the statement after it and nothing else: one round trip, pool-safe. Lookup
    connections bind parameters on the client so that the message may hold both statements.
    """

    @event.listens_for(engine, "connect")
    def _client_side(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.cursor_factory = ClientCursor

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _prefix(
        _conn: Any, cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> tuple[str, Any]:
        if many or not isinstance(cursor, ClientCursor):
            return statement, parameters
        return cap + statement, parameters

    @event.listens_for(engine, "after_cursor_execute")
    def _to_the_statement(
        _conn: Any, cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        if statement.startswith(cap):
            cursor.nextset()  # past the SET's empty result, to the statement's rows


def _cap_each_transaction(engine: Engine, ms: int) -> None:
    """Cap the statements of every transaction on `engine` (set per transaction, pool-safe)."""

    @event.listens_for(engine, "begin")
    def _cap(conn: Any) -> None:
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")


def cap_waits(session: Session, seconds: float) -> None:
    """Let the rest of this transaction wait at most `seconds` per statement or lock."""
    ms = str(max(int(seconds * 1000), 50))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT set_config('lock_timeout', :ms, true), "
                 "set_config('statement_timeout', :ms, true)"), {"ms": ms},
        )  # fmt: skip


def _connect_within(
    engine: Engine, seconds: float, fallback: Fallback | None, primary: dict[str, Any] | None
) -> None:
    """Fail a new connection after `seconds` (psycopg rounds any connect_timeout up to 2 s).

    With a `fallback`, a connection the replica does not take is made to the `primary` instead.
    """
    attempts = ThreadPoolExecutor(max_workers=4, thread_name_prefix="db-connect")

    def dial(dialect: Any, cargs: Any, cparams: Any) -> Any:
        attempt = attempts.submit(dialect.connect, *cargs, **cparams)
        try:
            return attempt.result(timeout=seconds)
        except FutureTimeout:
            if not attempt.cancel():  # still dialling: close it should it ever connect
                attempt.add_done_callback(_close_late_connection)
            raise dialect.loaded_dbapi.OperationalError(
                f"no database connection within {seconds} s"
            ) from None

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        if fallback is None or primary is None:
            return dial(dialect, cargs, cparams)
        record.info[ON_PRIMARY] = False
        if fallback.try_replica():
            try:
                connection = dial(dialect, cargs, cparams)
            except dialect.loaded_dbapi.OperationalError as exc:
                fallback.failed(exc)
            else:
                fallback.answered()
                return connection
        record.info[ON_PRIMARY] = True
        return dial(dialect, (), primary)


def _close_late_connection(attempt: Future[Any]) -> None:
    if attempt.exception() is None:
        attempt.result().close()


def _sqlite_engine(url: str, autocommit: bool, statement_seconds: float) -> Engine:
    extra: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    busy_ms = int(statement_seconds * 1000) if statement_seconds else 15000
    engine = create_engine(
        url, connect_args={"timeout": 15, "check_same_thread": False}, hide_parameters=True, **extra
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the web server read while the worker writes; FKs are off by default.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    return engine


AUTOCOMMIT_INFO = "autocommit"


def make_session_factory(engine: Engine, *, autocommit: bool = False) -> sessionmaker[Session]:
    """Return the session factory every request and job uses.

    Sessions of an `autocommit` engine say so in `Session.info`, so fixed lookups
    (`models.fixed.FixedQuery`) may run straight on a pooled DB-API connection.
    """
    info = {AUTOCOMMIT_INFO: True} if autocommit else None
    return sessionmaker(bind=engine, expire_on_commit=False, info=info)


def serialise(session: Session, key: str, table: Any) -> None:
    """Make transactions that name the same `key` wait for each other until commit or rollback.

    PostgreSQL: a transaction-scoped advisory lock on a hash of the key. SQLite has one writer at
    a time: a write that changes nothing (on `table`, a mapped class) takes that lock now, so the
    reads that follow it see every earlier writer's commit and no later one can interleave.
    """
    if session.get_bind().dialect.name == "postgresql":
        lock = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})
        return
    session.execute(
        update(table).where(table.id == -1).values(id=table.id)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
