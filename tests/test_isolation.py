"""The test harness itself: what a test commits stays in its transaction, and leaks are caught."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from models import LanguagePreference
from models.db import make_engine
from tests import databases
from tests.databases import LeakedRows, RunDatabase

PHONE = "+254799000777"


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count(LanguagePreference.id))) or 0)


def _add(session: Session, phone: str = PHONE) -> int:
    row = LanguagePreference(phone=phone, language="sw")
    session.add(row)
    session.flush()
    return row.id


@pytest.fixture()
def outer(empty_database: RunDatabase) -> Iterator[Connection]:
    """A connection of this test's own in an outer transaction, as the app fixture opens it."""
    engine = make_engine(empty_database.url)
    databases.allow_savepoints(engine)
    conn = engine.connect()
    conn.begin()
    yield conn
    conn.close()
    engine.dispose()


def test_a_commit_in_a_test_is_invisible_to_other_connections(app, settings):
    with app.extensions["huduma"].session_factory.begin() as session:
        _add(session)
    with app.extensions["huduma"].session_factory() as session:
        assert _count(session) == 1
    other = make_engine(settings.database_url)
    with Session(other) as session:
        assert _count(session) == 0
    other.dispose()


def test_an_observer_rollback_keeps_what_the_app_committed_meanwhile(app, db_session):
    assert _count(db_session) == 0  # its SAVEPOINT is open from here on
    with app.extensions["huduma"].session_factory.begin() as session:
        _add(session)
    db_session.rollback()
    assert _count(db_session) == 1


def test_an_observer_rollback_undoes_its_own_writes(app, db_session):
    _add(db_session)
    assert _count(db_session) == 1
    db_session.rollback()
    assert _count(db_session) == 0


def test_rows_committed_on_another_connection_are_reported_and_removed(empty_database, outer):
    other = make_engine(empty_database.url)
    with other.begin() as conn:
        conn.execute(insert(LanguagePreference).values(phone=PHONE, language="en"))
    with pytest.raises(LeakedRows, match="committed"):
        databases.end_test(outer, empty_database)
    with Session(other) as session:
        assert _count(session) == 0
    other.dispose()


def test_ids_start_where_they_did_after_a_rollback(empty_database, outer):
    with Session(bind=outer, join_transaction_mode="create_savepoint") as session:
        first = _add(session)
        session.commit()
    databases.end_test(outer, empty_database)
    outer.begin()
    with Session(bind=outer, join_transaction_mode="create_savepoint") as session:
        assert _add(session, "+254799000778") == first


@pytest.mark.committed
def test_a_committed_test_gets_a_committed_copy_of_the_demo_data(seeded, seeded_database):
    with seeded.extensions["huduma"].engine.connect() as conn:
        assert databases.row_counts(conn) == seeded_database.baseline.counts
        assert databases.sequence_positions(conn) == seeded_database.baseline.sequences
