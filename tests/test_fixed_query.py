"""Fixed lookups: straight on the DB-API outside a transaction, through the session inside one."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, column, event, select, table
from sqlalchemy.exc import SQLAlchemyError

from models import Document
from models.fixed import FixedQuery
from services import status
from sms.languages import preferred, remember

pytestmark = pytest.mark.committed  # lookups on the engines' own pooled connections

PHONE = "+254799000321"


def test_a_fixed_lookup_reads_what_the_orm_reads(seeded):
    found = seeded.extensions["huduma"]
    with found.session_factory() as session:
        document = session.scalars(select(Document).order_by(Document.id)).first()
        expected = (document.id, document.kind, document.status, document.reference)
    reader = found.reader_factory()
    try:
        [got] = status.find(reader, document.reference)
        assert (got.id, got.kind, got.status, got.reference) == expected
        assert got.centre  # the outer join found the centre's name
        assert status.by_id(reader, document.id) == got
        assert status.find(reader, "HK-XX-000000") == []
        assert not reader.in_transaction()  # nothing was begun: it ran on the DB-API cursor
    finally:
        reader.close()


def test_inside_a_transaction_a_lookup_sees_its_own_changes(app):
    found = app.extensions["huduma"]
    with found.session_factory() as writer:
        remember(writer, PHONE, "sw")  # flushed, not committed
        assert preferred(writer, PHONE) == "sw"
        writer.rollback()
    reader = found.reader_factory()
    try:
        assert preferred(reader, PHONE) is None  # the rollback left nothing behind
    finally:
        reader.close()


def test_only_outside_a_transaction_does_a_lookup_skip_the_session(app):
    found = app.extensions["huduma"]
    through_sqlalchemy: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        through_sqlalchemy.append(statement)

    event.listen(found.reader_engine, "before_cursor_execute", count)
    reader = found.reader_factory()
    try:
        preferred(reader, PHONE)
        assert through_sqlalchemy == []  # straight on the DB-API cursor
        reader.connection()  # a transaction is open now: the lookup joins it
        preferred(reader, PHONE)
        assert len(through_sqlalchemy) == 1
    finally:
        reader.close()
        event.remove(found.reader_engine, "before_cursor_execute", count)


def test_a_failing_lookup_raises_what_callers_catch_and_the_next_one_works(app):
    broken = FixedQuery(
        select(column("no_such_column"))
        .select_from(table("language_preferences"))
        .where(column("phone") == bindparam("phone"))
    )
    reader = app.extensions["huduma"].reader_factory()
    try:
        with pytest.raises(SQLAlchemyError) as raised:
            broken.first(reader, phone=PHONE)
        assert PHONE not in str(raised.value)  # parameters stay out of messages and logs
        assert preferred(reader, PHONE) is None  # the pool gave a sound connection
    finally:
        reader.close()
