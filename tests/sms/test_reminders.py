"""Reminders: uncollected documents at 7 and 21 days then a call ticket; bookings the day before."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from models import Booking, Centre, Document, Message, Service, Slot, Ticket
from sms.delivery import deliver
from sms.reminders import remind_bookings, remind_uncollected
from sms.segments import count
from tests.dates import NAIROBI, WEDNESDAY

READY_AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _ready(db_session, centre_id: int | None = None, told: datetime = READY_AT) -> Document:
    """A document ready since READY_AT, whose owner we last told at `told` (the notice)."""
    document = Document(
        reference="HK-ID-7",
        kind="ID_CARD",
        owner_phone="+254700000031",
        status="READY_FOR_COLLECTION",
        status_changed_at=READY_AT,
        centre_id=centre_id,
        updated_at=told,
    )
    db_session.add(document)
    db_session.commit()
    return document


def _run(app, db_session, days: float, minutes: int = 0) -> None:
    found = app.extensions["huduma"]
    with found.transaction() as work:
        remind_uncollected(work, found.settings, READY_AT + timedelta(days=days, minutes=minutes))
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
    eight_days_ago = now - timedelta(days=8)
    db_session.add(Document(reference="HK-ID-NEW", kind="ID_CARD", owner_phone="+254700000049",
                            status="READY_FOR_COLLECTION", status_changed_at=eight_days_ago,
                            updated_at=eight_days_ago))  # fmt: skip
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


def _bodies(db_session) -> list[str]:
    return list(db_session.scalars(select(Message.body).where(Message.kind == "reminder")))


def test_a_document_long_ready_gets_one_reminder_for_the_latest_point(app, db_session):
    _ready(db_session)
    for minutes in (0, 10, 20):  # three runs of the job, ten minutes apart
        _run(app, db_session, 25, minutes)
    bodies = _bodies(db_session)
    assert len(bodies) == 1 and "Reminder 2/2" in bodies[0], bodies


def test_a_late_ready_update_waits_days_before_any_reminder(app, db_session):
    told = READY_AT + timedelta(days=22)  # the agency said "ready" 22 days late: notice then
    _ready(db_session, told=told)
    for minutes in (0, 10, 20):
        _run(app, db_session, 22, minutes)
    assert _bodies(db_session) == []
    gap = app.extensions["huduma"].settings.reminder_gap_days
    _run(app, db_session, 22 + gap)
    assert len(_bodies(db_session)) == 1


def test_reminders_go_out_in_daytime_only(app, db_session):
    _ready(db_session)
    night = datetime(2026, 11, 8, 21, 5, tzinfo=UTC)  # 00:05 in Nairobi, a day past the 7th
    with app.extensions["huduma"].transaction() as work:
        remind_uncollected(work, app.extensions["huduma"].settings, night)
    assert _bodies(db_session) == []
    _run(app, db_session, 7.1)  # 14:24 in Nairobi
    assert len(_bodies(db_session)) == 1


def _booked_tomorrow(db_session, slot: Slot, reference: str = "HKA-7Q4M2") -> Booking:
    booking = Booking(reference=reference, phone="+254700000032", language="sw", slot=slot)
    db_session.add(booking)
    db_session.commit()
    return booking


def test_the_day_before_reminder_waits_for_the_morning(seeded, db_session):
    slot = db_session.scalars(select(Slot).order_by(Slot.starts_at)).first()
    _booked_tomorrow(db_session, slot)
    found = seeded.extensions["huduma"]
    day_before = slot.starts_at.astimezone(NAIROBI).date() - timedelta(days=1)
    for hour, reminded in ((0, 0), (8, 1)):
        at = datetime.combine(day_before, time(hour, 5), NAIROBI)
        with found.transaction() as work:
            remind_bookings(work, found.settings, at)
        assert len(_bodies(db_session)) == reminded, hour


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_the_booking_reminder_is_one_part_with_the_longest_values(seeded, db_session, lang):
    centre = db_session.scalars(select(Centre).order_by(func.length(Centre.name).desc())).first()
    service = db_session.scalars(select(Service).order_by(func.length(Service.name_en).desc(),
                                                          Service.id)).first()  # fmt: skip
    starts = datetime.combine(WEDNESDAY, time(10, 30), NAIROBI)  # the longest weekday names
    slot = Slot(centre=centre, service=service, starts_at=starts, capacity=5)
    booking = _booked_tomorrow(db_session, slot, "HKA-9Q9Q9")
    booking.language = lang
    db_session.commit()
    found = seeded.extensions["huduma"]
    with found.transaction() as work:
        remind_bookings(work, found.settings, starts - timedelta(hours=20))
    body = db_session.scalars(select(Message.body)).one()
    assert count(body).parts == 1, (len(body), body)
