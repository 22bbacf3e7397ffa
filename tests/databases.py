"""Test databases: created, migrated and seeded once per run; each test rolls back what it did.

A test runs inside one outer transaction on one connection, and every session the app opens
joins it through a SAVEPOINT, so a test's own commits stay private and vanish at the end. What a
rollback cannot undo is checked afterwards: PostgreSQL sequences are set back, and the row count
of every table must be what it was, or the test wrote through a connection of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from alembic import command
from sqlalchemy import Connection, Engine, event, make_url, text
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from demo.seed import seed_all
from models import Base
from models.db import make_engine
from models.migrate import alembic_config
from tests.dates import MONDAY, NAIROBI

TEST_SECRET = "test-secret-key"
WROTE = "tests.wrote"
Sequences = tuple[tuple[str, int, bool], ...]
RESTART_SEQUENCES = """SELECT setval(format('%I.%I', schemaname, sequencename), 1, false)
FROM pg_sequences WHERE schemaname = 'public'"""


class LeakedRows(AssertionError):
    """A test changed a database outside its own transaction."""


class SecondConnection(AssertionError):
    """A test's app opened a connection of its own, which cannot see the test's transaction."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a test database holds between tests: rows per table and where sequences stand."""

    counts: tuple[int, ...]
    sequences: Sequences


@dataclass(frozen=True, slots=True)
class RunDatabase:
    """A migrated database of this run, seeded or empty, and its state between tests."""

    url: str
    seeded: bool
    baseline: Baseline


def seed_demo(session: Session, documents: int = 60) -> None:
    """Add the small demo data set: two working days of slots and `documents` applications."""
    seed_all(session, today=MONDAY, days=2, documents=documents, hash_key=TEST_SECRET, tz=NAIROBI)


def postgres_url(base_url: str, slot: int) -> str:
    """Return the URL of database number `slot` of a run: the given one, then name_1, name_2..."""
    url = make_url(base_url)
    return (
        base_url
        if slot == 0
        else url.set(database=f"{url.database}_{slot}").render_as_string(hide_password=False)
    )


def recreate_postgres(base_url: str, url: str) -> None:
    """Give `url` an empty public schema, creating the database when it is not `base_url`."""
    name = make_url(url).database
    target = url if url == base_url else base_url
    engine = make_engine(target, autocommit=True)
    with engine.connect() as conn:
        if url == base_url:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def drop_postgres(base_url: str, url: str) -> None:
    """Drop a database this run created (never the given one)."""
    if url == base_url:
        return
    engine = make_engine(base_url, autocommit=True)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def prepare(url: str, *, seeded: bool) -> RunDatabase:
    """Migrate an empty database to head, seed it if asked, and note its baseline."""
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    if seeded:
        with Session(engine) as session, session.begin():
            seed_demo(session)
    with engine.connect() as conn:
        found = RunDatabase(url, seeded, Baseline(row_counts(conn), sequence_positions(conn)))
    engine.dispose()
    return found


def row_counts(conn: Connection) -> tuple[int, ...]:
    """Count the rows of every table in one statement."""
    parts = ", ".join(f"(SELECT count(*) FROM {t.name})" for t in Base.metadata.sorted_tables)
    counts = tuple(int(n) for n in conn.execute(text(f"SELECT {parts}")).one())
    conn.rollback()
    return counts


def sequence_positions(conn: Connection) -> Sequences:
    """Where each PostgreSQL sequence stands (none on SQLite)."""
    if conn.dialect.name != "postgresql":
        return ()
    names = conn.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))
    found = tuple(
        (name, *conn.execute(text(f'SELECT last_value, is_called FROM "{name}"')).one())
        for name in sorted(names)
    )
    conn.rollback()
    return found


def restore_sequences(conn: Connection, sequences: Sequences) -> None:
    """Set the sequences back: nextval survives a rollback, so ids would drift from test to test."""
    if not sequences:
        return
    calls = ", ".join(
        f"setval('\"{name}\"', {value}, {called})" for name, value, called in sequences
    )
    conn.execute(text(f"SELECT {calls}"))
    conn.commit()


def wipe(engine: Engine) -> None:
    """Delete every row and start the ids over (DELETE: TRUNCATE costs PostgreSQL file work)."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            conn.execute(text(RESTART_SEQUENCES))


def copy_seed(source: RunDatabase, engine: Engine) -> None:
    """Copy every row of the seeded database into the empty one of `engine`, ids and all.

    Ten times cheaper than seeding again: for tests that commit and need the demo data.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            with _driver(conn).cursor() as cursor:
                for name, rows in _postgres_rows(source.url).items():
                    with cursor.copy(f'COPY "{name}" FROM STDIN') as copy:
                        copy.write(rows)
            conn.commit()
            restore_sequences(conn, source.baseline.sequences)
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("ATTACH DATABASE ? AS seed", (make_url(source.url).database,))
        for table in Base.metadata.sorted_tables:
            # Generated columns (documents.reference_key) are computed again, never inserted.
            names = ", ".join(f'"{c.name}"' for c in table.columns if c.computed is None)
            conn.exec_driver_sql(
                f'INSERT INTO main."{table.name}" ({names}) SELECT {names} FROM seed."{table.name}"'
            )
        conn.commit()
        conn.exec_driver_sql("DETACH DATABASE seed")


def _driver(conn: Connection) -> Any:
    """The psycopg connection under `conn`, for COPY."""
    return conn.connection.driver_connection


@cache
def _postgres_rows(url: str) -> dict[str, bytes]:
    """Every non-empty table of a PostgreSQL database in COPY's text format, parents first."""
    engine = make_engine(url)
    found = {}
    with engine.connect() as conn, _driver(conn).cursor() as cursor:
        for table in Base.metadata.sorted_tables:
            with cursor.copy(f'COPY "{table.name}" TO STDOUT') as copy:
                rows = b"".join(bytes(block) for block in copy)
            if rows:
                found[table.name] = rows
    engine.dispose()
    return found


def allow_savepoints(engine: Engine) -> None:
    """Let pysqlite nest SAVEPOINTs in an outer transaction: it must leave BEGIN to SQLAlchemy."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


def refuse_other_connections(*engines: Engine) -> None:
    """Fail any later checkout from `engines`: it would read and write outside the test."""

    def refuse(*_args: Any) -> None:
        raise SecondConnection(
            "the app opened a second database connection, which cannot see this test's "
            "transaction: mark the test `committed`"
        )

    for engine in engines:
        event.listen(engine, "checkout", refuse)


def end_test(conn: Connection, database: RunDatabase) -> None:
    """Roll back a test's outer transaction, then check the database is as the run left it."""
    conn.rollback()
    restore_sequences(conn, database.baseline.sequences)
    if row_counts(conn) == database.baseline.counts:
        return
    conn.close()
    engine = make_engine(database.url)  # the app's engine takes no second connection
    wipe(engine)
    if database.seeded:
        with Session(engine) as session, session.begin():
            seed_demo(session)
    engine.dispose()
    raise LeakedRows("the test committed rows through a connection of its own: mark it `committed`")


class ObserverSession(Session):
    """A test's own long-lived session on the test's one connection.

    Its SAVEPOINT opens at its first statement, so the hops a test drives afterwards commit
    inside it. A rollback of a separate transaction never undoes what other transactions
    committed meanwhile, so when this session wrote nothing its rollback releases the SAVEPOINT
    and forgets what it loaded instead.
    """

    def rollback(self) -> None:
        """Undo this session's own writes; keep what the app committed meanwhile."""
        pending = self.new or self.dirty or self.deleted
        if self.info.pop(WROTE, False) or pending or not self.is_active:
            super().rollback()
            return
        self.commit()
        self.expire_all()


@event.listens_for(ObserverSession, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[WROTE] = True


@event.listens_for(ObserverSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[WROTE] = True


@event.listens_for(ObserverSession, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)
