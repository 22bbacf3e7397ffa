"""Reminders: uncollected documents at 7 and 21 days then a call ticket; bookings the day before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import Booking, Document, Message, Slot, Ticket
from sms.delivery import deliver
from sms.reminders import remind_bookings, remind_uncollected

READY_AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _ready(db_session, centre_id: int | None = None) -> Document:
    document = Document(
        reference="HK-ID-7",
        kind="ID_CARD",
        owner_phone="+254700000031",
        status="READY_FOR_COLLECTION",
        status_changed_at=READY_AT,
        centre_id=centre_id,
    )
    db_session.add(document)
    db_session.commit()
    return document


def _run(app, db_session, days: int) -> None:
    found = app.extensions["huduma"]
    with found.transaction() as work:
        remind_uncollected(work, found.settings, READY_AT + timedelta(days=days))
    db_session.expire_all()


def _reminders(db_session) -> int:
    return len(db_session.scalars(select(Message).where(Message.kind == "reminder")).all())


def test_uncollected_reminders_at_7_and_21_days_then_a_call_ticket(app, db_session):
    document = _ready(db_session)
    for day in (3, 7, 8, 20, 21, 30):
        _run(app, db_session, day)
    assert _reminders(db_session) == 2
    assert document.needs_call is True
    assert db_session.scalars(select(Ticket.reason)).all() == ["uncollected"]


def test_reminders_stop_once_collected(app, db_session):
    document = _ready(db_session)
    _run(app, db_session, 7)
    document.status = "COLLECTED"
    db_session.commit()
    _run(app, db_session, 21)
    assert _reminders(db_session) == 1 and db_session.scalars(select(Ticket)).all() == []


def test_booking_reminder_the_day_before_once(seeded, db_session):
    booking = Booking(
        reference="HKA-7Q4M2",
        phone="+254700000032",
        language="sw",
        slot_id=db_session.scalars(select(Slot.id).order_by(Slot.starts_at)).first(),
    )
    db_session.add(booking)
    db_session.commit()
    settings = seeded.extensions["huduma"].settings
    day_before = booking.slot.starts_at - timedelta(hours=20)
    for _ in range(2):
        with seeded.extensions["huduma"].transaction() as work:
            remind_bookings(work, settings, day_before)
    bodies = db_session.scalars(select(Message.body).where(Message.kind == "reminder")).all()
    assert len(bodies) == 1 and "HKA-7Q4M2 kesho" in bodies[0]


def test_documents_waiting_longer_do_not_starve_newer_due_ones(app, db_session):
    settings = app.extensions["huduma"].settings
    now = READY_AT + timedelta(days=10)
    for n in range(3):  # reminded once, not due again before day 21: selected first before
        db_session.add(Document(reference=f"HK-ID-OLD{n}", kind="ID_CARD",
                                owner_phone=f"+25470000004{n}", status="READY_FOR_COLLECTION",
                                status_changed_at=READY_AT, reminders_sent=1))  # fmt: skip
    db_session.add(Document(reference="HK-ID-NEW", kind="ID_CARD", owner_phone="+254700000049",
                            status="READY_FOR_COLLECTION",
                            status_changed_at=now - timedelta(days=8)))  # fmt: skip
    db_session.commit()
    with app.extensions["huduma"].transaction() as work:
        assert remind_uncollected(work, settings, now, page=2) == 1
    assert db_session.scalars(select(Message.recipient)).all() == ["+254700000049"]


@pytest.mark.committed  # delivery pins a connection of its own
def test_a_reminder_for_a_booking_cancelled_since_is_dropped(seeded, db_session, delivery,
                                                             fake_at):  # fmt: skip
    slot = db_session.scalars(select(Slot).order_by(Slot.starts_at)).first()
    booking = Booking(reference="HKA-7Q4M3", phone="+254700000032", slot_id=slot.id)
    db_session.add(booking)
    db_session.commit()
    settings = seeded.extensions["huduma"].settings
    with seeded.extensions["huduma"].transaction() as work:
        remind_bookings(work, settings, slot.starts_at - timedelta(hours=20))
    booking.status = "CANCELLED"
    db_session.commit()
    reminder = db_session.scalars(select(Message).where(Message.kind == "reminder")).one()
    deliver(delivery, [reminder.id])
    db_session.refresh(reminder)
    assert (reminder.status, reminder.failure_reason) == ("cancelled", "BookingNotActive")
    assert fake_at.stats()["calls"] == 0
