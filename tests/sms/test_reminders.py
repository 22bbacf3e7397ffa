"""Reminders: uncollected documents at 7 and 21 days then a call ticket; bookings the day before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models import Booking, Document, Message, Slot, Ticket
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
    settings = app.extensions["huduma"].settings
    remind_uncollected(db_session, settings, READY_AT + timedelta(days=days))
    db_session.commit()


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
        remind_bookings(db_session, settings, day_before)
        db_session.commit()
    bodies = db_session.scalars(select(Message.body).where(Message.kind == "reminder")).all()
    assert len(bodies) == 1 and "HKA-7Q4M2 kesho" in bodies[0]
