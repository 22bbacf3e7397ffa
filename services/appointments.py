"""Appointments as screens and their owners see them: the seat, the service, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Booking, BookingStatus, Centre, Service, Slot


@dataclass(frozen=True, slots=True)
class Seat:
    """What a screen or an SMS says of a slot."""

    slot_id: int
    centre_id: int
    service_id: int
    centre: str
    service_en: str
    service_sw: str
    starts_at: datetime

    def service(self, lang: str) -> str:
        """The service's name in `lang`."""
        return self.service_sw if lang == "sw" else self.service_en


@dataclass(frozen=True, slots=True)
class Appointment:
    """A booking as its owner sees it."""

    id: int
    reference: str
    seat: Seat
    id_masked: str
    id_hash: str


_SEAT = (
    select(Slot.id, Slot.centre_id, Slot.service_id, Centre.name, Service.name_en,
           Service.name_sw, Slot.starts_at)
    .join(Centre, Centre.id == Slot.centre_id)
    .join(Service, Service.id == Slot.service_id)
)  # fmt: skip


def seat(session: Session, slot_id: int) -> Seat | None:
    """The slot `slot_id` as screens show it, or None."""
    row = session.execute(_SEAT.where(Slot.id == slot_id)).first()
    return None if row is None else Seat(*row)


def _appointments(session: Session, query: Any) -> list[Appointment]:
    columns = (Booking.id, Booking.reference, Booking.id_number_masked, Booking.id_number_hash)
    rows = session.execute(query.add_columns(*columns))
    return [
        Appointment(row[7], row[8], Seat(*row[:7]), row[9] or "", row[10] or "") for row in rows
    ]


def upcoming(session: Session, phone: str, now: datetime) -> list[Appointment]:
    """A phone's active future appointments, soonest first."""
    query = (
        _SEAT.join(Booking, Booking.slot_id == Slot.id)
        .where(Booking.phone == phone, Booking.status == BookingStatus.ACTIVE, Slot.starts_at > now)
        .order_by(Slot.starts_at)
    )
    return _appointments(session, query)


def appointment(session: Session, booking_id: int, phone: str) -> Appointment | None:
    """An active appointment of `phone`, or None (another phone's bookings are never shown)."""
    query = _SEAT.join(Booking, Booking.slot_id == Slot.id).where(
        Booking.id == booking_id, Booking.phone == phone, Booking.status == BookingStatus.ACTIVE
    )
    found = _appointments(session, query)
    return found[0] if found else None
