"""Administrative changes reach the slots that already exist; booked seats are never lost."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import Booking, BookingStatus, Centre, CentreService, Holiday, Slot, Ticket
from services import administration as admin
from services.slots import extend_slots, reconcile_slots
from tests.dates import MONDAY, NOON, SATURDAY, SUNDAY, TUESDAY, WEDNESDAY

NAIROBI = ZoneInfo("Africa/Nairobi")
NOW = NOON  # the seed's "today"; slots exist on Tuesday and Wednesday


@pytest.fixture()
def gpo(seeded, db_session):
    return db_session.scalars(select(Centre).where(Centre.code == "GPO")).one()


def _slots(db_session, centre: Centre, day: date | None = None, service_id: int | None = None):
    query = select(Slot).where(Slot.centre_id == centre.id).order_by(Slot.starts_at, Slot.id)
    if service_id is not None:
        query = query.where(Slot.service_id == service_id)
    found = db_session.scalars(query).all()
    return [s for s in found if day is None or s.starts_at.astimezone(NAIROBI).date() == day]


def _book(db_session, slot: Slot, ref: str, status: str = BookingStatus.ACTIVE) -> Booking:
    if status == BookingStatus.ACTIVE:
        slot.booked += 1
    booking = Booking(reference=ref, phone="+254700000009", slot_id=slot.id, status=status)
    db_session.add(booking)
    db_session.flush()
    return booking


def _offer(db_session, centre: Centre):
    query = select(CentreService).where(CentreService.centre_id == centre.id, CentreService.active)
    return db_session.scalars(query.order_by(CentreService.service_id)).first()


def test_new_seats_reach_future_slots_but_never_below_those_booked(db_session, gpo):
    offer = _offer(db_session, gpo)
    busy = _slots(db_session, gpo, TUESDAY, offer.service_id)[0]
    for n in range(3):
        _book(db_session, busy, f"HKA-B{n}")
    admin.set_offer(db_session, gpo, offer.service_id, 2, True)
    changes = reconcile_slots(db_session, now=NOW, tz=NAIROBI, centre_id=gpo.id)
    capacities = {s.id: s.capacity for s in _slots(db_session, gpo, None, offer.service_id)}
    assert capacities.pop(busy.id) == 3
    assert set(capacities.values()) == {2}
    assert changes.resized == len(capacities) + 1


def test_a_closed_weekday_removes_free_slots_and_keeps_booked_ones(db_session, gpo):
    booked = _slots(db_session, gpo, TUESDAY)[0]
    booking = _book(db_session, booked, "HKA-TUE01")
    hours = {h.weekday: (h.opens, h.closes) for h in gpo.hours}
    admin.set_hours(db_session, gpo, {**hours, TUESDAY.weekday(): None})
    wednesday = len(_slots(db_session, gpo, WEDNESDAY))
    changes = reconcile_slots(db_session, now=NOW, tz=NAIROBI, centre_id=gpo.id)
    left = _slots(db_session, gpo, TUESDAY)
    assert [(s.id, s.capacity, s.booked) for s in left] == [(booked.id, 1, 1)]
    assert [(b.reference, why) for b, why in changes.stranded] == [
        (booking.reference, "the centre is closed on Tuesdays")
    ]
    assert len(_slots(db_session, gpo, WEDNESDAY)) == wednesday


def test_shorter_hours_close_the_slots_outside_them(db_session, gpo):
    hours = {h.weekday: (time(10, 0), h.closes) for h in gpo.hours}
    admin.set_hours(db_session, gpo, hours)
    reconcile_slots(db_session, now=NOW, tz=NAIROBI, centre_id=gpo.id)
    starts = {s.starts_at.astimezone(NAIROBI).time() for s in _slots(db_session, gpo)}
    assert min(starts) == time(10, 0)


def test_a_new_holiday_closes_that_day_at_that_centre_only(db_session, gpo):
    kibra = db_session.scalars(select(Centre).where(Centre.code == "KIBRA")).one()
    before = len(_slots(db_session, kibra, WEDNESDAY))
    admin.add_holiday(db_session, day=WEDNESDAY, name="Staff training", centre_id=gpo.id)
    reconcile_slots(db_session, now=NOW, tz=NAIROBI, day=WEDNESDAY)
    assert _slots(db_session, gpo, WEDNESDAY) == []
    assert len(_slots(db_session, kibra, WEDNESDAY)) == before
    assert _slots(db_session, gpo, TUESDAY) != []


def test_a_service_no_longer_offered_loses_its_free_slots(db_session, gpo):
    offer = _offer(db_session, gpo)
    cancelled = _slots(db_session, gpo, TUESDAY, offer.service_id)[0]
    _book(db_session, cancelled, "HKA-CXL01", BookingStatus.CANCELLED)  # still refers to it
    admin.set_offer(db_session, gpo, offer.service_id, offer.capacity_per_slot, False)
    changes = reconcile_slots(db_session, now=NOW, tz=NAIROBI, centre_id=gpo.id)
    left = _slots(db_session, gpo, None, offer.service_id)
    assert [(s.id, s.capacity) for s in left] == [(cancelled.id, 0)]  # kept, but takes no one
    assert changes.closed == 1 and changes.removed > 0 and changes.stranded == []


def test_weekend_opening_hours_produce_slots(db_session, gpo):
    hours = {h.weekday: (h.opens, h.closes) for h in gpo.hours}
    admin.set_hours(db_session, gpo, {**hours, SATURDAY.weekday(): (time(9, 0), time(13, 0))})
    added = extend_slots(db_session, start=MONDAY, count=5, tz=NAIROBI, centre_id=gpo.id)
    saturday = _slots(db_session, gpo, SATURDAY)
    assert added > 0 and saturday
    assert {s.starts_at.astimezone(NAIROBI).time() for s in saturday} >= {time(9, 0), time(12, 30)}
    sunday = _slots(db_session, gpo, SUNDAY)
    assert sunday == []


def test_stranded_bookings_get_one_call_ticket_each(db_session, gpo):
    booking = _book(db_session, _slots(db_session, gpo, TUESDAY)[0], "HKA-TKT01")
    admin.add_holiday(db_session, day=TUESDAY, name="Staff training", centre_id=gpo.id)
    for _ in range(2):
        report = admin.apply_to_slots(
            db_session, now=NOW, today=NOW.date(), horizon=2, tz=NAIROBI, centre_id=gpo.id
        )
    tickets = db_session.scalars(select(Ticket)).all()
    assert [(t.reason, t.phone) for t in tickets] == [("booking_closed", booking.phone)]
    assert tickets[0].summary.startswith(f"HKA-TKT01: Huduma Centre GPO, Tue {TUESDAY:%d/%m/%Y}")
    assert "holiday: Staff training" in tickets[0].summary
    assert report.tickets == 0  # the second pass found the ticket open already


def test_reopening_restores_the_seats(db_session, gpo):
    hours = {h.weekday: (h.opens, h.closes) for h in gpo.hours}
    booked = _slots(db_session, gpo, TUESDAY)[0]
    _book(db_session, booked, "HKA-RE01")
    admin.set_hours(db_session, gpo, {**hours, TUESDAY.weekday(): None})
    admin.apply_to_slots(db_session, now=NOW, today=NOW.date(), horizon=2, tz=NAIROBI)
    count = db_session.scalar(select(func.count(Slot.id)).where(Slot.centre_id == gpo.id))
    admin.set_hours(db_session, gpo, hours)
    report = admin.apply_to_slots(db_session, now=NOW, today=NOW.date(), horizon=2, tz=NAIROBI)
    assert report.added > 0 and report.resized == 1  # the booked slot takes bookings again
    assert db_session.get(Slot, booked.id).capacity > 1
    assert db_session.scalar(select(func.count(Slot.id)).where(Slot.centre_id == gpo.id)) > count


def test_national_holidays_get_no_weekend_slots(db_session, gpo):
    db_session.add(Holiday(day=SATURDAY, name="Special day", centre_id=None))
    hours = {h.weekday: (h.opens, h.closes) for h in gpo.hours}
    admin.set_hours(db_session, gpo, {**hours, SATURDAY.weekday(): (time(9, 0), time(13, 0))})
    extend_slots(db_session, start=MONDAY, count=5, tz=NAIROBI, centre_id=gpo.id)
    assert _slots(db_session, gpo, SATURDAY) == []
