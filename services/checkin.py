"""Check-in at the desk: a booked citizen (by reference or phone) or a walk-in gets a ticket.

- A booking checks in once, on its own day, at its own centre; checking it in again shows the
  same ticket.
- Early, or on time (up to the grace period after the slot starts): queued at the slot's start,
  so an early arrival waits for their time and overtakes nobody booked before them.
- Late (past the grace period): queued from arrival, like a walk-in.
- A booking nobody checked in within the grace period is marked a no-show by the worker and its
  seat is freed; the citizen may still come in as a walk-in.
- A walk-in takes a free seat of the slot running now or of a later one today (the same
  conditional UPDATE as a booking) and is queued from arrival, or from that slot's start if it is
  later. With no free seat left today there is no ticket: the desk books another day instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from identifiers.codes import normalise_code
from identifiers.references import booking_of
from models import Booking, BookingStatus, Centre, CentreService, Service, Slot, Visit
from models.db import serialise
from models.work import Work
from services.bookings import take_seat
from services.queueing import NEAR, ahead_of
from services.visits import addressee, day_bounds, local_day
from sms.visits import Event, queue_visit_sms

NUMBER_TRIES = 20  # ticket numbers tried when another desk took the same one at that moment
SEAT_TRIES = 10  # today's slots tried for a walk-in's seat


class Refused(Exception):
    """No ticket; `reason` says why in one word."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Desk:
    """Where, by whom and when a check-in happens."""

    centre_id: int
    staff_id: int
    now: datetime
    tz: ZoneInfo
    grace: timedelta


@dataclass(frozen=True, slots=True)
class WalkIn:
    """A citizen without a booking; `key` makes a resubmitted form give the same ticket."""

    service_id: int
    phone: str | None
    language: str
    key: str


def normalise_reference(raw: str) -> str:
    """Read a booking reference however it was typed: hka7q4m2 -> HKA-7Q4M2."""
    return booking_of(raw) or normalise_code(raw)[:12]  # one reading of references everywhere


def phone_of(session: Session, reference: str) -> str | None:
    """The phone a booking reference belongs to."""
    query = select(Booking.phone).where(Booking.reference == normalise_reference(reference))
    return session.scalar(query)


def check_in_booking(work: Work, reference: str, desk: Desk) -> Visit:
    """Give a booked citizen a ticket (the same one again if already checked in)."""
    session = work.session
    query = select(Booking).where(Booking.reference == normalise_reference(reference))
    booking = session.scalars(query).first()
    if booking is None:
        raise Refused("unknown")
    if booking.slot.centre_id != desk.centre_id:
        raise Refused("other_centre")
    done = _visit_where(session, Visit.booking_id == booking.id)
    if done is not None:
        return done
    _check_booking(booking, desk)
    if not _mark_attended(session, booking.id):  # another desk, or the no-show sweep, came first
        session.refresh(booking)
        done = _visit_where(session, Visit.booking_id == booking.id)
        if done is not None:
            return done
        raise Refused(booking.status.lower())
    slot = booking.slot
    on_time = desk.now <= slot.starts_at + desk.grace
    fields = _fields(desk, slot, slot.starts_at if on_time else desk.now)
    fields |= {"booking_id": booking.id, "phone": booking.phone, "language": booking.language}
    visit = _insert(session, fields, lambda: _visit_where(session, Visit.booking_id == booking.id))
    _announce(work, visit)
    return visit


def _check_booking(booking: Booking, desk: Desk) -> None:
    if local_day(booking.slot.starts_at, desk.tz) != local_day(desk.now, desk.tz):
        raise Refused("other_day")
    if booking.status != BookingStatus.ACTIVE:
        raise Refused(booking.status.lower())


def _mark_attended(session: Session, booking_id: int) -> bool:
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status == BookingStatus.ACTIVE)
        .values(status=BookingStatus.ATTENDED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def check_in_walk_in(work: Work, walk_in: WalkIn, desk: Desk) -> Visit:
    """Give a walk-in a ticket with a seat of today's; Refused("no_seat") when none is left."""
    session = work.session
    serialise(session, f"walk-in:{walk_in.key}", Visit)  # a form sent twice takes one seat
    done = _visit_where(session, Visit.idempotency_key == walk_in.key)
    if done is not None:
        return done
    if not offered(session, desk.centre_id, walk_in.service_id):
        raise Refused("not_offered")
    slot = _take_seat_today(session, desk, walk_in.service_id)
    if slot is None:
        raise Refused("no_seat")
    fields = _fields(desk, slot, max(desk.now, slot.starts_at))
    fields |= {"phone": walk_in.phone, "language": walk_in.language, "idempotency_key": walk_in.key}
    visit = _insert(session, fields, lambda: None)
    _announce(work, visit)
    return visit


def offered(session: Session, centre_id: int, service_id: int) -> bool:
    """True while the centre is open and offers the service."""
    query = (
        select(CentreService.id)
        .join(Service, Service.id == CentreService.service_id)
        .join(Centre, Centre.id == CentreService.centre_id)
        .where(CentreService.centre_id == centre_id, CentreService.service_id == service_id)
        .where(CentreService.active, Service.active, Centre.active)
    )
    return session.scalar(query) is not None


def _take_seat_today(session: Session, desk: Desk, service_id: int) -> Slot | None:
    minutes = session.scalar(select(Service.slot_minutes).where(Service.id == service_id)) or 0
    _, end = day_bounds(local_day(desk.now, desk.tz), desk.tz)
    query = (
        select(Slot)
        .where(Slot.centre_id == desk.centre_id, Slot.service_id == service_id)
        .where(Slot.starts_at > desk.now - timedelta(minutes=minutes), Slot.starts_at < end)
        .where(Slot.booked < Slot.capacity)
        .order_by(Slot.starts_at)
        .limit(SEAT_TRIES)
    )
    for slot in session.scalars(query).all():
        if take_seat(session, slot.id):
            return slot
    return None


def _fields(desk: Desk, slot: Slot, priority_at: datetime) -> dict[str, Any]:
    return {
        "centre_id": desk.centre_id, "service_id": slot.service_id, "slot_id": slot.id,
        "day": local_day(desk.now, desk.tz), "priority_at": priority_at, "arrived_at": desk.now,
        "checked_in_by_id": desk.staff_id,
    }  # fmt: skip


def _visit_where(session: Session, condition: Any) -> Visit | None:
    return session.scalars(select(Visit).where(condition)).first()


def _insert(
    session: Session, fields: dict[str, Any], existing: Callable[[], Visit | None]
) -> Visit:
    """Insert a ticket with the centre's next number of the day, retrying a number just taken."""
    for attempt in range(1, NUMBER_TRIES + 1):
        visit = Visit(number=_next_number(session, fields["centre_id"], fields["day"]), **fields)
        try:
            with session.begin_nested():  # a clash undoes only this insert
                session.add(visit)
            return visit
        except IntegrityError:
            found = existing()  # the same booking or form, checked in at the same moment
            if found is not None:
                return found
            if attempt == NUMBER_TRIES:
                raise
    raise AssertionError("unreachable")


def _next_number(session: Session, centre_id: int, day: Any) -> int:
    query = select(Visit.number).where(Visit.centre_id == centre_id, Visit.day == day)
    last = session.scalar(query.order_by(Visit.number.desc()).limit(1))
    return (last or 0) + 1


def _announce(work: Work, visit: Visit) -> None:
    """Text the ticket and the people ahead; so few ahead already counts as told it is near."""
    ahead = ahead_of(work.session, visit)
    if ahead <= NEAR:
        visit.told_near = True
        work.session.flush()
    who = addressee(work.session, visit)
    if who is not None:
        queue_visit_sms(work, Event.CHECKED_IN, who, ahead=ahead)


@dataclass(frozen=True, slots=True)
class TodayBooking:
    """A booking a phone holds at this centre today, as the desk lists it."""

    reference: str
    service: str
    starts_at: datetime
    status: str
    ticket: str | None


def bookings_today(session: Session, phone: str, desk: Desk) -> list[TodayBooking]:
    """A phone's bookings at the desk's centre today (cancelled ones left out), by time."""
    start, end = day_bounds(local_day(desk.now, desk.tz), desk.tz)
    query = (
        select(Booking.reference, Service.name_en, Slot.starts_at, Booking.status, Visit.number)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Service, Service.id == Slot.service_id)
        .outerjoin(Visit, Visit.booking_id == Booking.id)
        .where(Booking.phone == phone, Slot.centre_id == desk.centre_id)
        .where(Slot.starts_at >= start, Slot.starts_at < end)
        .where(Booking.status != BookingStatus.CANCELLED)
        .order_by(Slot.starts_at)
    )
    return [
        TodayBooking(ref, service, at, status, None if number is None else f"{number:03d}")
        for ref, service, at, status, number in session.execute(query)
    ]
