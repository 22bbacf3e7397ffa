"""Visits seen whole: the local day, whom a visit's SMS goes to, visits to rate, and no-shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Booking, BookingStatus, Centre, Feedback, Slot, Visit, VisitStatus
from sms.visits import Addressee

LOOKBACK = timedelta(days=7)  # how far back the sweep looks for bookings nobody checked in


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The local date of `moment`."""
    return moment.astimezone(tz).date()


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The first moment of a local date and of the next one."""
    start = datetime.combine(day, time.min, tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tz)


def addressee(session: Session, visit: Visit) -> Addressee | None:
    """Whom a visit's SMS go to; None for a walk-in who gave no phone."""
    if not visit.phone:
        return None
    centre = session.scalar(select(Centre.name).where(Centre.id == visit.centre_id)) or ""
    return Addressee(visit.id, visit.phone, visit.language, visit.ticket, centre)


@dataclass(frozen=True, slots=True)
class VisitToRate:
    """A visit its citizen may still rate."""

    visit_id: int
    booking_id: int | None
    centre_id: int
    centre: str
    served_at: datetime


def visits_today(session: Session, phone: str, now: datetime, tz: ZoneInfo) -> list[VisitToRate]:
    """A phone's visits served today and not rated yet, latest first."""
    start, end = day_bounds(local_day(now, tz), tz)
    rated = select(Feedback.visit_id).where(Feedback.visit_id.is_not(None))
    query = (
        select(Visit.id, Visit.booking_id, Visit.centre_id, Centre.name, Visit.finished_at)
        .join(Centre, Centre.id == Visit.centre_id)
        .where(Visit.phone == phone, Visit.status == VisitStatus.SERVED)
        .where(Visit.finished_at >= start, Visit.finished_at < end, Visit.id.not_in(rated))
        .order_by(Visit.finished_at.desc())
        .limit(3)
    )
    return [
        VisitToRate(id_, booking_id, centre_id, centre, served_at or start)
        for id_, booking_id, centre_id, centre, served_at in session.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one no-show sweep changed."""

    bookings: int
    visits: int


def mark_no_shows(session: Session, *, now: datetime, grace: timedelta, tz: ZoneInfo) -> Sweep:
    """Mark bookings nobody checked in within the grace period as no-shows and free their seats.

    A check-in changes the booking from ACTIVE in the same row, so whichever of the two comes
    second finds it changed: a booking is never both checked in and a no-show.
    """
    due = select(Slot.id).where(Slot.starts_at <= now - grace, Slot.starts_at > now - LOOKBACK)
    freed = session.execute(
        update(Booking)
        .where(Booking.status == BookingStatus.ACTIVE, Booking.slot_id.in_(due))
        .values(status=BookingStatus.NO_SHOW)
        .returning(Booking.slot_id)
        .execution_options(synchronize_session=False)
    ).scalars()
    per_slot = Counter(freed)
    for slot_id, seats in per_slot.items():
        free_seats(session, slot_id, seats)
    return Sweep(sum(per_slot.values()), close_past_days(session, local_day(now, tz), now))


def free_seats(session: Session, slot_id: int, seats: int = 1) -> None:
    """Give `seats` booked seats of a slot back (to walk-ins, or to anyone booking)."""
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked >= seats)
        .values(booked=Slot.booked - seats)
        .execution_options(synchronize_session=False)
    )


def close_past_days(session: Session, today: date, now: datetime) -> int:
    """Close tickets of earlier days still waiting or called: those citizens went home."""
    result = session.execute(
        update(Visit)
        .where(Visit.day < today, Visit.status.in_((VisitStatus.WAITING, VisitStatus.CALLED)))
        .values(status=VisitStatus.NO_SHOW, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    closed: int = result.rowcount  # type: ignore[attr-defined]
    return closed
