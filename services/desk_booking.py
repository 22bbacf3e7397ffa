"""Assisted booking: an agent books, moves or cancels a slot for a citizen who cannot use USSD.

The same rules as USSD (seat taken by a conditional UPDATE, one phone's bookings serialised, the
limits) and the same receipts; the booking records the channel "desk" and the agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from identifiers.numbers import InvalidIdNumber, keyed_hash, mask_id_number, validate_id_number
from models import Booking, Centre, CentreService, Service, Slot, StaffUser
from models.work import Work
from services import appointments, bookings
from services.bookings import Refused
from sms.receipts import Receipt, queue_receipt

DESK = "desk"


@dataclass(frozen=True, slots=True)
class Agent:
    """Who books; a centre's own agent (with `centre_id`) acts on that centre only."""

    staff_id: int
    centre_id: int | None

    def may_act_on(self, centre_id: int) -> bool:
        """True when this agent may book or cancel at `centre_id`."""
        return self.centre_id is None or self.centre_id == centre_id


@dataclass(frozen=True, slots=True)
class DeskRequest:
    """A booking asked at the desk; `key` makes a resubmitted form book once."""

    phone: str
    slot_id: int
    id_number: str
    language: str
    key: str
    replaces: int | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    """The booking rules of this deployment, as USSD applies them."""

    now: datetime
    limit: int
    tz: ZoneInfo
    secret: str
    settings: Settings  # what receipts need: the local time, the code to check them on


def book_for(work: Work, agent: Agent, asked: DeskRequest, rules: Rules) -> Booking:
    """Book (or move) a citizen's seat and queue the receipt; raise Refused when it cannot be."""
    session = work.session
    seat = appointments.seat(session, asked.slot_id)
    if seat is None:
        raise Refused("full")
    if not agent.may_act_on(seat.centre_id):
        raise Refused("other_centre")
    masked, hashed = _proof(session, agent, asked, rules.secret)
    request = bookings.Request(
        phone=asked.phone, slot_id=asked.slot_id, id_masked=masked, id_hash=hashed,
        language=asked.language, idempotency_key=f"desk:{agent.staff_id}:{asked.key}",
        replaces=asked.replaces,
    )  # fmt: skip
    booking = bookings.book(session, request, now=rules.now, limit=rules.limit, tz=rules.tz)
    booking.channel, booking.booked_by_id = DESK, agent.staff_id
    old = bookings.reference_of(session, asked.replaces)
    receipt = Receipt.MOVED if old else Receipt.CONFIRMED
    queue_receipt(work, booking, receipt, asked.language, rules.settings, old)
    return booking


def _proof(session: Session, agent: Agent, asked: DeskRequest, secret: str) -> tuple[str, str]:
    """The ID number typed, or for a move with none typed the one the moved booking holds."""
    if asked.replaces is not None:
        moved = visible_booking(session, agent, asked.replaces, asked.phone)
        if moved is None:
            raise Refused("not_found")
        if not asked.id_number.strip():
            return moved.id_number_masked or "", moved.id_number_hash or ""
    try:
        number = validate_id_number(asked.id_number)
    except InvalidIdNumber:
        raise Refused("id_number") from None
    return mask_id_number(number), keyed_hash(number, secret)


def visible_booking(session: Session, agent: Agent, booking_id: int, phone: str) -> Booking | None:
    """A booking of `phone` the agent may act on, or None."""
    booking = session.get(Booking, booking_id)
    if booking is None or booking.phone != phone or not agent.may_act_on(booking.slot.centre_id):
        return None
    return booking


def cancel_for(work: Work, agent: Agent, booking_id: int, phone: str, rules: Rules) -> Booking:
    """Cancel a citizen's active booking, free its seat and queue the receipt."""
    if visible_booking(work.session, agent, booking_id, phone) is None:
        raise Refused("not_found")
    cancelled = bookings.cancel(work.session, booking_id, phone, rules.now)
    if cancelled is None:
        raise Refused("not_active")
    queue_receipt(work, cancelled, Receipt.CANCELLED, cancelled.language, rules.settings)
    return cancelled


@dataclass(frozen=True, slots=True)
class Held:
    """A citizen's upcoming appointment as the desk lists it, with who booked it."""

    appointment: appointments.Appointment
    channel: str
    agent: str


def upcoming_for(session: Session, agent: Agent, phone: str, now: datetime) -> list[Held]:
    """A phone's upcoming appointments the agent may see, soonest first."""
    found = [
        a for a in appointments.upcoming(session, phone, now) if agent.may_act_on(a.seat.centre_id)
    ]
    ids = [a.id for a in found]
    query = (
        select(Booking.id, Booking.channel, StaffUser.full_name)
        .outerjoin(StaffUser, StaffUser.id == Booking.booked_by_id)
        .where(Booking.id.in_(ids))
    )
    who = {id_: (channel, name or "") for id_, channel, name in session.execute(query)}
    return [Held(a, *who.get(a.id, ("ussd", ""))) for a in found]


def centres(session: Session, agent: Agent) -> list[tuple[int, str]]:
    """(id, name) of the open centres the agent may book at, by name."""
    query = select(Centre.id, Centre.name).where(Centre.active).order_by(Centre.name)
    if agent.centre_id is not None:
        query = query.where(Centre.id == agent.centre_id)
    return [(id_, name) for id_, name in session.execute(query)]


def services_at(session: Session, centre_id: int) -> list[tuple[int, str]]:
    """(id, English name) of the services a centre offers, most demanded first."""
    query = (
        select(Service.id, Service.name_en)
        .join(CentreService, CentreService.service_id == Service.id)
        .where(CentreService.centre_id == centre_id, CentreService.active, Service.active)
        .order_by(Service.demand_rank, Service.id)
    )
    return [(id_, name) for id_, name in session.execute(query)]


def free_times(
    session: Session, centre_id: int, service_id: int, rules: Rules, days: int
) -> list[tuple[date, list[Slot]]]:
    """The next `days` dates with free seats and their free slots, as USSD offers them."""
    found = bookings.open_days(session, (service_id, centre_id), rules.now, rules.tz, days).days
    return [
        (day, bookings.open_slots(session, service_id, centre_id, day, rules.now, rules.tz))
        for day in found
    ]
