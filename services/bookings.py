"""Appointments: what can be booked, booking a seat atomically, listing and cancelling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from identifiers.codes import booking_reference
from identifiers.numbers import keyed_hash
from models import Booking, BookingStatus, Slot
from models.db import cap_waits, serialise


class Proof(StrEnum):
    """What an applicant shows to book: an ID number, or the birth certificate's before any ID."""

    ID_NUMBER = "id"
    BIRTH_CERTIFICATE = "bc"


PROOFS = {"ID_FIRST": Proof.BIRTH_CERTIFICATE}  # by service code; ID_NUMBER otherwise


def proof_for(service_code: str) -> Proof:
    """What a caller booking this service shows."""
    return PROOFS.get(service_code, Proof.ID_NUMBER)


def proof_hash(proof: Proof, number: str, secret: str) -> str:
    """The keyed hash a booking keeps of the number shown (kinds never share a hash)."""
    return keyed_hash(number if proof is Proof.ID_NUMBER else f"{proof.value}:{number}", secret)


@dataclass(frozen=True, slots=True)
class Request:
    """What a caller asks to book."""

    phone: str
    slot_id: int
    id_masked: str
    id_hash: str
    language: str
    idempotency_key: str
    replaces: int | None = None


class Refused(Exception):
    """The booking cannot be made; `reason` says why in one word."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


REFERENCE_TRIES = 5  # fresh references tried when one is already taken


def _free_slots(service_id: int, centre_id: int, after: datetime) -> Select[Slot]:
    return select(Slot).where(
        Slot.service_id == service_id,
        Slot.centre_id == centre_id,
        Slot.starts_at > after,
        Slot.booked < Slot.capacity,
    )


@dataclass(frozen=True, slots=True)
class Days:
    """The dates a caller may choose, and the earliest free slot among them."""

    days: list[date]
    first_slot: int | None
    first_at: datetime | None


def open_days(
    session: Session, where: tuple[int, int], now: datetime, tz: ZoneInfo, limit: int,
    skip: frozenset[date] = frozenset(),
) -> Days:  # fmt: skip
    """The next local dates with free seats (`where` is service and centre), minus `skip`."""
    horizon = now + timedelta(days=limit * 3 + 7)
    query = _free_slots(*where, now).where(Slot.starts_at < horizon).order_by(Slot.starts_at)
    days: list[date] = []
    first: tuple[int, datetime] | None = None
    for slot_id, starts_at in session.execute(query.with_only_columns(Slot.id, Slot.starts_at)):
        day = starts_at.astimezone(tz).date()
        if day in skip:
            continue
        first = first or (slot_id, starts_at)
        if day not in days:
            days.append(day)
        if len(days) == limit:
            break
    return Days(days, *(first or (None, None)))


def booked_days(
    session: Session, phone: str, service_id: int, now: datetime, tz: ZoneInfo, but: int | None
) -> frozenset[date]:
    """Local dates on which the phone already holds this service (the booking `but` aside)."""
    mine = [b for b in active_bookings(session, phone, now) if b.id != but]
    return frozenset(
        b.slot.starts_at.astimezone(tz).date() for b in mine if b.slot.service_id == service_id
    )


def slot_open(session: Session, slot_id: int, now: datetime) -> bool:
    """True while the slot exists, is still ahead and has a free seat."""
    query = select(Slot.id).where(Slot.id == slot_id, Slot.starts_at > now)
    return session.scalar(query.where(Slot.booked < Slot.capacity)) is not None


def open_slots(
    session: Session, service_id: int, centre_id: int, day: date, now: datetime, tz: ZoneInfo
) -> list[Slot]:
    """Return the slots of a local date with free seats, earliest first."""
    first = max(now, datetime.combine(day, datetime.min.time(), tz))
    last = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    query = _free_slots(service_id, centre_id, first).where(Slot.starts_at < last)
    return list(session.scalars(query.order_by(Slot.starts_at)))


def active_bookings(session: Session, phone: str, now: datetime) -> list[Booking]:
    """Return a phone's active future bookings, soonest first."""
    query = (
        select(Booking)
        .join(Slot)
        .where(Booking.phone == phone, Booking.status == BookingStatus.ACTIVE)
        .where(Slot.starts_at > now)
        .order_by(Slot.starts_at)
    )
    return list(session.scalars(query))


def active_count(session: Session, phone: str, now: datetime) -> int:
    """How many active future bookings a phone holds."""
    query = (
        select(func.count(Booking.id))
        .join(Slot)
        .where(Booking.phone == phone, Booking.status == BookingStatus.ACTIVE, Slot.starts_at > now)
    )
    return int(session.scalar(query) or 0)


def reference_of(session: Session, booking_id: int | None) -> str:
    """The reference of booking `booking_id` ("" for none)."""
    found = session.get(Booking, booking_id) if booking_id is not None else None
    return found.reference if found else ""


def by_key(session: Session, idempotency_key: str) -> Booking | None:
    """Return the booking an earlier run of the same hop made, if any."""
    return session.scalars(
        select(Booking).where(Booking.idempotency_key == idempotency_key)
    ).first()


def _check_limits(
    session: Session, request: Request, slot: Slot, now: datetime, limit: int, tz: ZoneInfo
) -> None:
    mine = [b for b in active_bookings(session, request.phone, now) if b.id != request.replaces]
    if len(mine) >= limit:
        raise Refused("too_many")
    day = slot.starts_at.astimezone(tz).date()
    for booking in mine:
        same_day = booking.slot.starts_at.astimezone(tz).date() == day
        if same_day and booking.slot.service_id == slot.service_id:
            raise Refused("same_day")


def take_seat(session: Session, slot_id: int) -> bool:
    """Add one booked seat unless the slot is full; the database decides, not Python."""
    result = session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    rowcount: int = result.rowcount  # type: ignore[attr-defined]
    return rowcount == 1


def book(
    session: Session,
    request: Request,
    *,
    now: datetime,
    limit: int,
    tz: ZoneInfo,
    wait_seconds: float | None = None,
) -> Booking:
    """Book a seat (and cancel the booking it replaces); raise Refused when it cannot be.

    `wait_seconds` bounds each statement and lock wait of the booking (what a hop has left).
    """
    if wait_seconds is not None:
        cap_waits(session, wait_seconds)
    # One phone's bookings wait for each other, so the limits hold under concurrency.
    serialise(session, f"bookings:{request.phone}", Booking)
    done = by_key(session, request.idempotency_key)
    if done is not None:
        return done
    slot = session.get(Slot, request.slot_id)
    if slot is None or slot.starts_at <= now:
        raise Refused("full")
    _check_limits(session, request, slot, now, limit, tz)
    if not take_seat(session, slot.id):
        raise Refused("full")
    if request.replaces is not None:
        cancel(session, request.replaces, request.phone, now)
    return _insert(session, request, slot)


def _insert(session: Session, request: Request, slot: Slot) -> Booking:
    for attempt in range(1, REFERENCE_TRIES + 1):
        booking = Booking(
            reference=booking_reference(),
            phone=request.phone,
            slot=slot,
            language=request.language,
            id_number_masked=request.id_masked,
            id_number_hash=request.id_hash,
            idempotency_key=request.idempotency_key,
        )
        try:
            with session.begin_nested():  # a taken reference undoes only this insert
                session.add(booking)
            return booking
        except IntegrityError:
            if attempt == REFERENCE_TRIES:
                raise
    raise AssertionError("unreachable")


def cancel(session: Session, booking_id: int, phone: str, now: datetime) -> Booking | None:
    """Cancel an active booking of `phone` and free its seat; None when there is none."""
    cancelled = session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.phone == phone)
        .where(Booking.status == BookingStatus.ACTIVE)
        .values(status=BookingStatus.CANCELLED, cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if cancelled.rowcount != 1:  # type: ignore[attr-defined]
        return None
    booking = session.get(Booking, booking_id)
    assert booking is not None
    session.refresh(booking)
    session.execute(
        update(Slot)
        .where(Slot.id == booking.slot_id, Slot.booked > 0)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )
    return booking


def recent_bookings(session: Session, phone: str, since: datetime, now: datetime) -> list[Booking]:
    """Return a phone's bookings whose slot started since `since`, newest first."""
    query = (
        select(Booking)
        .join(Slot)
        .where(Booking.phone == phone, Booking.status != BookingStatus.CANCELLED)
        .where(Slot.starts_at >= since, Slot.starts_at <= now)
        .order_by(Slot.starts_at.desc())
        .limit(5)
    )
    return list(session.scalars(query))
