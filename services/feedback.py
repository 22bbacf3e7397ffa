"""Citizens' ratings of a visit: one per booking, stored with the phone only as a hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Booking, BookingStatus, Centre, County, Feedback, Slot
from models import Visit as CentreVisit


@dataclass(frozen=True, slots=True)
class Rating:
    """What a caller said about a centre (and maybe a booking)."""

    centre_id: int
    rating: int
    comment: str
    phone_hash: str
    idempotency_key: str
    booking_id: int | None = None
    visit_id: int | None = None
    channel: str = "ussd"


def already_rated(session: Session, booking_id: int) -> bool:
    """Return True when a booking has feedback."""
    return session.scalar(select(Feedback.id).where(Feedback.booking_id == booking_id)) is not None


def visit_rated(session: Session, visit_id: int) -> bool:
    """Return True when a visit has feedback."""
    return session.scalar(select(Feedback.id).where(Feedback.visit_id == visit_id)) is not None


def give(session: Session, rating: Rating) -> Feedback | None:
    """Store a rating once per hop, booking and visit; None when it was rated before."""
    done = session.scalars(
        select(Feedback).where(Feedback.idempotency_key == rating.idempotency_key)
    ).first()
    if done is not None:
        return done
    if rating.visit_id is not None:
        return _give_for_visit(session, rating)
    if rating.booking_id is not None and already_rated(session, rating.booking_id):
        return None
    service_id = None
    if rating.booking_id is not None:
        booking = session.get(Booking, rating.booking_id)
        service_id = booking.slot.service_id if booking else None
    return _add(session, rating, service_id, rating.booking_id)


def _give_for_visit(session: Session, rating: Rating) -> Feedback | None:
    """One rating per visit, counted for its booking too (a booked visit is rated once)."""
    visit = session.get(CentreVisit, rating.visit_id)
    if visit is None or visit_rated(session, visit.id):
        return None
    booking_id = visit.booking_id
    if booking_id is not None and already_rated(session, booking_id):
        return None
    return _add(session, rating, visit.service_id, booking_id)


def _add(
    session: Session, rating: Rating, service_id: int | None, booking_id: int | None
) -> Feedback | None:
    feedback = Feedback(
        centre_id=rating.centre_id, service_id=service_id, booking_id=booking_id,
        visit_id=rating.visit_id, rating=rating.rating, comment=rating.comment[:160] or None,
        phone_hash=rating.phone_hash, channel=rating.channel,
        idempotency_key=rating.idempotency_key,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(feedback)
    except IntegrityError:
        return None  # the same visit or booking was rated at this very moment
    return feedback


@dataclass(frozen=True, slots=True)
class Visit:
    """A recent booking its owner may rate."""

    booking_id: int
    centre_id: int
    centre: str
    starts_at: datetime


def visits_to_rate(session: Session, phone: str, since: datetime, now: datetime) -> list[Visit]:
    """A phone's bookings that started since `since` and have no feedback yet, newest first."""
    rated = select(Feedback.booking_id).where(Feedback.booking_id.is_not(None))
    query = (
        select(Booking.id, Slot.centre_id, Centre.name, Slot.starts_at)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Centre, Centre.id == Slot.centre_id)
        .where(Booking.phone == phone, Booking.status != BookingStatus.CANCELLED)
        .where(Slot.starts_at >= since, Slot.starts_at <= now, Booking.id.not_in(rated))
        .order_by(Slot.starts_at.desc())
        .limit(5)
    )
    return [Visit(*row) for row in session.execute(query)]


def counties(session: Session) -> list[tuple[int, str]]:
    """(id, name) of the counties with an open centre, by name."""
    ids = select(Centre.county_id).where(Centre.active)
    query = select(County.id, County.name).where(County.id.in_(ids)).order_by(County.name)
    return [(id_, name) for id_, name in session.execute(query)]


def centres(session: Session, county_id: int) -> list[tuple[int, str]]:
    """(id, name) of a county's open centres, by name."""
    query = select(Centre.id, Centre.name).where(Centre.active, Centre.county_id == county_id)
    return [(id_, name) for id_, name in session.execute(query.order_by(Centre.name))]
