"""A booking that would overrun the hop's deadline ends with "we will SMS you" and a job."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text

from app import create_app
from demo.seed import seed_all
from jobs.promises import keep
from models import Booking
from tests.conftest import TEST_SECRET
from tests.dates import MONDAY, NAIROBI
from tests.ussd_dial import Dial

BOOK = ("2", "1", "1", "1", "1", "1", "12345678")


@pytest.mark.postgres
@pytest.mark.committed  # a second app and a blocking connection
def test_slow_booking_is_finished_by_a_job(app, settings, db_session):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("statement and lock timeouts need PostgreSQL")
    fast = create_app(settings.with_overrides(ussd_hop_deadline=0.5))
    found = fast.extensions["huduma"]
    with found.session_factory.begin() as session:
        seed_all(session, today=MONDAY, days=2, documents=5, hash_key=TEST_SECRET, tz=NAIROBI)
    dial = Dial(fast.test_client())
    dial.start()
    dial.send(*BOOK)
    with found.engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE slots IN EXCLUSIVE MODE"))
        began = time.monotonic()
        assert "We will SMS you" in dial.send("1") and time.monotonic() - began < 2
    job = found.queues["transactional"].jobs[0]
    assert keep(*job.args, found=found) == "kept"
    assert db_session.scalar(select(func.count(Booking.id))) == 1
    found.engine.dispose()
