"""Behind PgBouncer in transaction pooling: every hop succeeds and statement caps still hold."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from models.fixed import FixedQuery
from ops.runtime import Role, build_runtime
from tests.ussd_dial import Dial, ready_id_number

pytestmark = pytest.mark.postgres
CAP = 0.2  # seconds: USSD_STATEMENT_TIMEOUT and WORKER_STATEMENT_TIMEOUT of the cap test
CALLERS = 4
BOOK = ("2", "1", "1", "1", "1", "1")  # a service, county, centre, day and time: then the ID
_phones = itertools.count(1)


def _via(url: str, port: int) -> str:
    return make_url(url).set(port=port).render_as_string(hide_password=False)


@pytest.fixture()
def settings(settings, pgbouncer_factory):
    """The app's database reached through PgBouncer (transaction pooling, two server links)."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("PgBouncer stands in front of PostgreSQL only")
    bouncer = pgbouncer_factory(pool_size=2)
    return settings.with_overrides(database_url=_via(settings.database_url, bouncer.port),
                                   ussd_hop_deadline=5.0)  # fmt: skip


def test_psycopg_prepared_statements_get_lost_between_server_links(pgbouncer_factory):
    target = pgbouncer_factory(pool_size=2).target
    query = "SELECT %s::int + 1"
    with target.connect(autocommit=True) as a, target.connect() as b, target.connect() as c:
        b.execute("SELECT 1")  # b's transaction holds one server link
        for number in range(6):  # prepared by psycopg (as _pg3_0) on the other one
            a.execute(query, (number,))
        c.execute("SELECT 1")  # c's transaction now holds that other link
        b.commit()
        with pytest.raises(errors.InvalidSqlStatementName, match="_pg3_"):
            a.execute(query, (7,))  # on b's former link, which never saw it


def _status(client, number: str) -> str:
    dial = Dial(client, session_id=f"pgb-{next(_phones)}", phone=f"+2547113{next(_phones):05d}")
    dial.start()
    return dial.send("1", "1", number)


def _booking(client) -> str:
    dial = Dial(client, session_id=f"pgb-{next(_phones)}", phone=f"+2547114{next(_phones):05d}")
    dial.start()
    return dial.send(*BOOK, f"{next(_phones):08d}", "1")


def _language(client, choice: str) -> str:
    dial = Dial(client, session_id=f"pgb-{next(_phones)}", phone=f"+2547115{next(_phones):05d}")
    dial.start()
    return dial.send("6", choice)


def _journeys(app, number: str) -> list[str]:
    """Lookups, and writes each repeated enough that psycopg would prepare their statements."""
    client = app.test_client()
    return ([_status(client, number) for _ in range(6)] + [_booking(client) for _ in range(2)]
            + [_language(client, choice) for choice in "12" * 4])  # fmt: skip


def test_every_hop_succeeds_through_transaction_pooling(seeded, db_session):
    number = ready_id_number(db_session)
    with ThreadPoolExecutor(CALLERS) as pool:
        answers = [a for batch in pool.map(lambda _: _journeys(seeded, number), range(CALLERS))
                   for a in batch]  # fmt: skip
    assert not [a for a in answers if "busy" in a or "try again" in a.lower()]
    assert sum("ready for collection" in a for a in answers) == 6 * CALLERS
    assert sum(a.startswith("END ") and "HKA-" in a for a in answers) == 2 * CALLERS
    assert sum("Language saved" in a or "Lugha" in a for a in answers) == 8 * CALLERS


def _cancelled(run: Any) -> bool:
    with pytest.raises(OperationalError) as raised:
        run()
    return isinstance(raised.value.orig, errors.QueryCanceled)


SLEEP = FixedQuery(select(func.pg_sleep(bindparam("s"))))


def _timeouts(url: str) -> set[str]:
    """statement_timeout as new clients find it, on whichever server link they get."""
    found = set()
    for _ in range(4):
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as plain:
            found.add(str(plain.execute("SHOW statement_timeout").fetchone()))
    return found


def test_statement_caps_hold_through_pgbouncer_and_leave_nothing_behind(settings, app):
    before = _timeouts(settings.database_url)
    capped = settings.with_overrides(ussd_statement_timeout=CAP, worker_statement_timeout=CAP)
    found = build_runtime(capped, Role.WORKER)
    sleep, seconds = text("SELECT pg_sleep(:s)"), {"s": 3 * CAP}
    try:
        with found.reader_factory() as reader:
            assert _cancelled(lambda: reader.execute(sleep, seconds))
            assert _cancelled(lambda: SLEEP.first(reader, s=3 * CAP))
            assert reader.execute(text("SELECT pg_sleep(:s)"), {"s": CAP / 4}).all()
        with found.session_factory() as writer:
            assert _cancelled(lambda: writer.execute(sleep, seconds))
    finally:
        found.dispose()
    assert _timeouts(settings.database_url) == before and len(before) == 1
