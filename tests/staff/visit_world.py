"""What the role table's cases for the centre pages need: today's slots, visits, bookings.

Each maker takes the role table's world (its acting user `me`, `begin()`, `read()`, `name()`)
and ties the acting user to the first centre, so a centre's agent may act there.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update

from models import Booking, BookingStatus, Slot, StaffUser, Visit, VisitStatus, utcnow
from services import bookings
from tests.dates import NAIROBI

CENTRE, WALK_IN, QUEUE = 1, 3, 4  # the first centre; services no other case switches off


def _today_start(world: Any) -> datetime:
    """A moment of today (local) just past, different for each maker."""
    now, n = utcnow(), world.name("")
    seconds = int(n) if n.isdigit() else 0
    midnight = datetime.combine(now.astimezone(NAIROBI).date(), time.min, NAIROBI)
    return max(now - timedelta(seconds=60 + seconds), midnight + timedelta(seconds=seconds))


def at_centre(world: Any) -> dict[str, Any]:
    """Tie the acting user to the first centre."""
    with world.begin() as session:
        session.execute(update(StaffUser).where(StaffUser.id == world.me).values(centre_id=CENTRE))
    return {"centre": CENTRE}


def _slot(session: Any, start: datetime, service: int) -> Slot:
    slot = Slot(centre_id=CENTRE, service_id=service, starts_at=start, capacity=5)
    session.add(slot)
    session.flush()
    return slot


def booked_today(world: Any) -> dict[str, Any]:
    """A booking of a slot that started a minute ago."""
    made, start = at_centre(world), _today_start(world)
    with world.begin() as session:
        slot = _slot(session, start, WALK_IN)
        request = bookings.Request(f"+2547131{slot.id:05d}", slot.id, "****1234", "h", "en",
                                   f"roles-{slot.id}")  # fmt: skip
        booking = bookings.book(session, request, now=start - timedelta(days=1), limit=5,
                                tz=NAIROBI)  # fmt: skip
        return {**made, "ref": booking.reference, "booking": booking.id}


def seat_today(world: Any) -> dict[str, Any]:
    """A slot of today a walk-in can sit in, and a fresh form nonce."""
    made, start = at_centre(world), _today_start(world)
    with world.begin() as session:
        slot = _slot(session, start, WALK_IN)
        return {**made, "service": WALK_IN, "nonce": f"roles-{slot.id}"}


def _visit(world: Any, status: VisitStatus, counter: int | None) -> dict[str, Any]:
    made, start = at_centre(world), _today_start(world)
    with world.begin() as session:
        slot = _slot(session, start, QUEUE)
        visit = Visit(centre_id=CENTRE, service_id=QUEUE, slot_id=slot.id, day=start.astimezone(
            NAIROBI).date(), number=1000 + slot.id, status=status, priority_at=start,
            arrived_at=start, counter=counter)  # fmt: skip
        session.add(visit)
        session.flush()
        return {**made, "id": visit.id, "counter": 10 + slot.id % 80}


def waiting_visit(world: Any) -> dict[str, Any]:
    """A ticket waiting in the queue of a service of its own."""
    return _visit(world, VisitStatus.WAITING, None)


def called_visit(world: Any) -> dict[str, Any]:
    """A ticket called to a counter of its own."""
    made = _visit(world, VisitStatus.CALLED, None)
    with world.begin() as session:
        session.execute(update(Visit).where(Visit.id == made["id"]).values(counter=made["counter"]))
    return made


def future_slot(world: Any) -> dict[str, Any]:
    """A slot of the first centre a few days ahead, and a phone of its own."""
    made = at_centre(world)
    with world.begin() as session:
        start = datetime.combine(utcnow().date() + timedelta(days=9), time(6), NAIROBI)
        slot = _slot(session, start + timedelta(seconds=int(world.name("") or 0)), WALK_IN)
        return {**made, "slot": slot.id, "phone": f"+2547132{slot.id:05d}"}


def desk_booking(world: Any) -> dict[str, Any]:
    """An active booking at the first centre a few days ahead."""
    made = future_slot(world)
    with world.begin() as session:
        request = bookings.Request(made["phone"], made["slot"], "****1234", "h", "en",
                                   f"roles-desk-{made['slot']}")  # fmt: skip
        booking = bookings.book(session, request, now=utcnow(), limit=5, tz=NAIROBI)
        return {**made, "id": booking.id}


def visit_status(status: str) -> Any:
    """An effect: the case's visit reached `status`."""

    def check(world: Any, made: dict[str, Any]) -> bool:
        with world.read() as session:
            return bool(session.get(Visit, made["id"]).status == status)

    return check


def exists(query: Any) -> Any:
    """An effect: `query(made)` finds a row."""

    def check(world: Any, made: dict[str, Any]) -> bool:
        with world.read() as session:
            return session.scalars(query(made)).first() is not None

    return check


def checked_in(made: dict[str, Any]) -> Any:
    return select(Visit.id).where(Visit.booking_id == made["booking"])


def walked_in(made: dict[str, Any]) -> Any:
    return select(Visit.id).where(Visit.idempotency_key.like(f"%:{made['nonce']}"))


def desk_booked(made: dict[str, Any]) -> Any:
    return select(Booking.id).where(Booking.slot_id == made["slot"], Booking.channel == "desk")


def cancelled(made: dict[str, Any]) -> Any:
    return select(Booking.id).where(
        Booking.id == made["id"], Booking.status == BookingStatus.CANCELLED
    )


def centre_set(made: dict[str, Any]) -> Any:
    return select(StaffUser.id).where(StaffUser.id == made["id"], StaffUser.centre_id == CENTRE)
