"""Citizens' ratings of a visit: one per booking, stored with the phone only as a hash."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Booking, Feedback


@dataclass(frozen=True, slots=True)
class Rating:
    """What a caller said about a centre (and maybe a booking)."""

    centre_id: int
    rating: int
    comment: str
    phone_hash: str
    idempotency_key: str
    booking_id: int | None = None


def already_rated(session: Session, booking_id: int) -> bool:
    """Return True when a booking has feedback."""
    return session.scalar(select(Feedback.id).where(Feedback.booking_id == booking_id)) is not None


def give(session: Session, rating: Rating) -> Feedback | None:
    """Store a rating once per hop and per booking; None when the booking was rated before."""
    done = session.scalars(
        select(Feedback).where(Feedback.idempotency_key == rating.idempotency_key)
    ).first()
    if done is not None:
        return done
    if rating.booking_id is not None and already_rated(session, rating.booking_id):
        return None
    service_id = None
    if rating.booking_id is not None:
        booking = session.get(Booking, rating.booking_id)
        service_id = booking.slot.service_id if booking else None
    feedback = Feedback(
        centre_id=rating.centre_id, service_id=service_id, booking_id=rating.booking_id,
        rating=rating.rating, comment=rating.comment[:160] or None, phone_hash=rating.phone_hash,
        idempotency_key=rating.idempotency_key,
    )  # fmt: skip
    session.add(feedback)
    session.flush()
    return feedback
